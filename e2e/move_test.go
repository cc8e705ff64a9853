package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// movePlatform gives the move scenario namespaces of its own, and names the
// box's gateways, so that every preflight command of the runbook asks
// about something that exists here.
const movePlatform = `apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: box
spec:
  features: {kserve: true, llmd: true}
  gpus: 2
  namespaces: {rawVLLM: mv-serving, kserve: mv-kserve, llmd: mv-llmd}
  litellm: {namespace: mv-litellm}
  kserve:
    deploymentMode: Standard
    gateway: {className: e2e, name: kserve-ingress-gateway, namespace: kserve}
  llmd:
    gateway: {className: e2e, name: llm-d-gateway, namespace: llm-d}
`

// notInBox are the runbook commands that cannot run on the cluster in a
// box, each with why and what the test asserts in its place (what the
// command checks). Every other command runs as printed.
var notInBox = []struct {
	match, why string
	instead    func(ctx context.Context, command string) (string, error)
}{
	{
		match: "get crd certificates.cert-manager.io",
		why:   "cert-manager is not in the box: the harness signs the KServe managers' webhook certificates itself",
		instead: func(ctx context.Context, _ string) (string, error) {
			n, err := cluster.WebhooksTrustCA(ctx)
			return fmt.Sprintf("the %d webhooks of KServe's configurations trust the CA that signed the managers' certificates", n), err
		},
	},
	{
		match: "get deployment -A -l control-plane=kserve-controller-manager",
		why:   "KServe's manager runs here as a process, not a Deployment, so the command would list nothing",
		instead: func(context.Context, string) (string, error) {
			return "the KServe manager process runs and its webhook server answers", cluster.ManagerUp()
		},
	},
	{
		match: "--image=curlimages/curl:",
		why:   "kwok's pods run no container, so nothing answers at the model's URL",
		instead: func(ctx context.Context, command string) (string, error) {
			f := strings.Fields(command)
			return cluster.Reaches(ctx, f[len(f)-1])
		},
	},
}

// TestLayerMoves runs servelayer plan's runbook, command by command as
// printed in `plan -o json`, with a real kubectl: a model with weights
// staged into a claim servelayer provisions is deployed on raw-vllm, moved
// to kserve, then to llm-d. At each move: the new layer is Ready before the
// LiteLLM alias moves, the alias is re-pointed to the plan's apiBaseTo in
// step 4 and not before, the old layer is idled (no pod, objects kept),
// then torn down with no object of the model left in its namespace but the
// provisioned claim, which is kept.
func TestLayerMoves(t *testing.T) {
	ctx := t.Context()
	start := time.Now()
	dir := t.TempDir()
	sh, err := cluster.NewShell(dir, filepath.Join(repo, "bin", "kubectl-"+KubectlVersion), envOr("SERVELAYER", filepath.Join(repo, "bin", "servelayer")))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := sh.Run(ctx, "command -v kubectl && kubectl version --client"); err != nil || !strings.Contains(out, "Client Version: "+KubectlVersion) || !strings.HasPrefix(out, filepath.Join(dir, "bin", "kubectl")) {
		t.Fatalf("the runbook's kubectl is not the pinned one: %v\n%s", err, out)
	}
	platform, model := filepath.Join(dir, "platform.yaml"), filepath.Join(dir, "qwen.yaml")
	if err := os.WriteFile(platform, []byte(movePlatform), 0o600); err != nil {
		t.Fatal(err)
	}
	// The staged model: a claim servelayer provisions, a Job that fills it.
	spec, err := os.ReadFile(filepath.Join(repo, "testdata/render/stage-hf-raw-vllm/model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, spec, 0o600); err != nil {
		t.Fatal(err)
	}

	pool := NodePool{Name: "move", Nodes: 1, GPUs: 8}
	setUp(ctx, t, pool, gatewaysKServe...)

	// What the user and the cluster provide before any layer runs: the
	// namespaces, the hub token's Secret, and a storage provisioner (here a
	// volume pre-bound to each claim servelayer renders, on every layer).
	cs := &Case{Name: "move", Namespaces: map[string]string{}}
	for _, l := range []string{"raw-vllm", "kserve", "llm-d"} {
		out, _ := servelayerRender(t, "-f", model, "--platform", platform, "--layer", l)
		objs, err := ReadObjects(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if ns := o.GetNamespace(); ns != "" {
				cs.Namespaces[ns] = ns
			}
		}
		cs.Objects = append(cs.Objects, objs...)
	}
	if err := cluster.Prerequisites(ctx, cs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.DeleteNamespaces(cs.Namespaces) })

	// The model as it runs today: raw-vllm, deployed from its render.
	runLine(t, sh, fmt.Sprintf("servelayer render -f %s --platform %s | kubectl apply --server-side -f -", model, platform))
	if err := cluster.WaitReady(ctx, workloadOn(t, model, platform, "raw-vllm"), readyTimeout); err != nil {
		t.Fatal(err)
	}
	t.Logf("raw-vllm Ready %s after the start", time.Since(start).Round(time.Millisecond))

	for _, to := range []string{"kserve", "llm-d"} {
		from := currentLayer(t, model)
		if !t.Run(from+" to "+to, func(t *testing.T) { moveBy(t, sh, model, platform, to) }) {
			t.FailNow()
		}
	}
	t.Logf("both moves done %s after the start", time.Since(start).Round(time.Millisecond))
}

// moveBy plans moving the model in file model to layer to and runs the
// plan's steps, asserting after every command.
func moveBy(t *testing.T, sh *Shell, model, platform, to string) {
	ctx := t.Context()
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(sh.Dir, "bin", "servelayer"), "plan", "-f", model, "--platform", platform, "--to", to, "-o", "json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("servelayer plan --to %s: %v\n%s", to, err, stderr.String())
	}
	var p MovePlan
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Ready || len(p.Steps) != 6 || p.LiteLLM == nil {
		t.Fatalf("plan: ready %v, %d steps, litellm %v:\n%s", p.Ready, len(p.Steps), p.LiteLLM, out)
	}
	from := p.From.Layer
	oldW, newW := workloadOn(t, model, platform, from), workloadOn(t, model, platform, to)
	alias, configMap := p.LiteLLM.Alias, p.LiteLLM.ConfigMap
	apiBase := func() string {
		s, err := cluster.APIBase(ctx, configMap, alias)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := apiBase(); got != p.LiteLLM.APIBaseFrom {
		t.Fatalf("before the move, alias %q's api_base is %q, the plan's apiBaseFrom %q", alias, got, p.LiteLLM.APIBaseFrom)
	}

	for _, step := range p.Steps {
		for _, command := range step.Commands {
			skipped := false
			for _, nb := range notInBox {
				if !strings.Contains(command, nb.match) {
					continue
				}
				skipped = true
				what, err := nb.instead(ctx, command)
				if err != nil {
					t.Fatalf("step %d: $ %s\n  not run: %s; instead: %v", step.Number, command, nb.why, err)
				}
				t.Logf("step %d: $ %s\n  not run: %s; instead: %s", step.Number, command, nb.why, what)
			}
			if !skipped {
				out := runLine(t, sh, command)
				t.Logf("step %d: $ %s\n%s", step.Number, command, indent(out))
			}
			// The alias moves in step 4, and only there.
			want := p.LiteLLM.APIBaseFrom
			if step.Number >= 4 {
				want = p.LiteLLM.APIBaseTo
			}
			if got := apiBase(); got != want {
				t.Fatalf("after step %d's %q, alias %q's api_base is %q, want %q", step.Number, command, alias, got, want)
			}
		}
		switch step.Number {
		case 3:
			// Validated: the new layer is Ready, its pods carry our spec,
			// and the alias has not moved yet (checked above).
			if err := cluster.WaitReady(ctx, newW, 10*time.Second); err != nil {
				t.Fatalf("after step 3 the new layer is not Ready: %v", err)
			}
			problems, err := cluster.CheckPods(ctx, newW)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) > 0 {
				t.Errorf("%s pods differ from the rendered spec:\n  %s", to, strings.Join(problems, "\n  "))
			}
			t.Logf("%s Ready %s into the move; the alias still points at %s", to, time.Since(start).Round(time.Millisecond), from)
		case 4:
			// The runbook says to commit spec.layer now.
			setLayer(t, model, from, to)
		case 5:
			idled(t, p, oldW)
		case 6:
			tornDown(t, p)
		}
	}
	t.Logf("%s -> %s done in %s", from, to, time.Since(start).Round(time.Millisecond))
}

// idled: the old layer's pods are gone and every object the plan removes
// is still there (for a rollback).
func idled(t *testing.T, p MovePlan, oldW *unstructured.Unstructured) {
	ctx := t.Context()
	if err := poll(ctx, readyTimeout, p.From.Layer+" idle: no pod", func() (bool, string, error) {
		pods, err := cluster.LivePods(ctx, oldW, "")
		return len(pods) == 0, fmt.Sprintf("%d pods", len(pods)), err
	}); err != nil {
		t.Fatal(err)
	}
	for _, o := range p.Objects {
		if o.Action != "remove" {
			continue
		}
		if _, err := cluster.Get(ctx, schema.FromAPIVersionAndKind(o.APIVersion, o.Kind), o.Namespace, o.Name); err != nil {
			t.Errorf("%s idled, but %s %s/%s is gone: %v", p.From.Layer, o.Kind, o.Namespace, o.Name, err)
		}
	}
}

// tornDown: nothing of the model is left in the old namespace, of any
// resource type the apiserver serves, but what the plan keeps; and what it
// keeps is there.
func tornDown(t *testing.T, p MovePlan) {
	ctx := t.Context()
	keep := map[string]bool{}
	for _, o := range p.Objects {
		if o.Action != "keep" {
			continue
		}
		u, err := cluster.Get(ctx, schema.FromAPIVersionAndKind(o.APIVersion, o.Kind), o.Namespace, o.Name)
		if err != nil {
			t.Errorf("the plan keeps %s %s/%s, but: %v", o.Kind, o.Namespace, o.Name, err)
			continue
		}
		if phase, _, _ := unstructured.NestedString(u.Object, "status", "phase"); o.Kind == "PersistentVolumeClaim" && phase != "Bound" {
			t.Errorf("kept claim %s/%s is %s", o.Namespace, o.Name, phase)
		}
		keep[strings.ToLower(o.Kind)+"s/"+o.Name] = true
	}
	if len(keep) == 0 {
		t.Errorf("the plan keeps no provisioned claim:\n%v", p.Objects)
	}
	var left []string
	err := poll(ctx, 2*time.Minute, "nothing of the model left in "+p.From.Namespace, func() (bool, string, error) {
		all, err := cluster.ObjectsOf(ctx, p.From.Namespace, p.Model.Name)
		if err != nil {
			return false, "", err
		}
		left = left[:0]
		for _, o := range all {
			if !keep[o] {
				left = append(left, o)
			}
		}
		return len(left) == 0, strings.Join(left, ", "), nil
	})
	if err != nil {
		t.Errorf("%s torn down as the runbook says, but objects of the model are left in %s: %v", p.From.Layer, p.From.Namespace, err)
	}
}

// workloadOn is the model's workload rendered on layer l.
func workloadOn(t *testing.T, model, platform, l string) *unstructured.Unstructured {
	t.Helper()
	out, _ := servelayerRender(t, "-f", model, "--platform", platform, "--layer", l)
	objs, err := ReadObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	ws := (&Case{Objects: objs}).Workloads()
	if len(ws) != 1 {
		t.Fatalf("%d workloads rendered on %s", len(ws), l)
	}
	return ws[0]
}

func currentLayer(t *testing.T, model string) string {
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if l, ok := strings.CutPrefix(strings.TrimSpace(line), "layer: "); ok {
			return l
		}
	}
	t.Fatalf("%s: no spec.layer", model)
	return ""
}

// setLayer commits spec.layer: to in the model file, as step 4 says.
func setLayer(t *testing.T, model, from, to string) {
	data, err := os.ReadFile(model)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "  layer: "+from+"\n", "  layer: "+to+"\n", 1)
	if s == string(data) {
		t.Fatalf("%s: no spec.layer: %s to change", model, from)
	}
	if err := os.WriteFile(model, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runLine(t *testing.T, sh *Shell, command string) string {
	t.Helper()
	out, err := sh.Run(t.Context(), command)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (no output)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
