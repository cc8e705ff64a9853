package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// pausePlatform gives the pause scenario namespaces of its own.
const pausePlatform = `apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: box
spec:
  features: {kserve: true, llmd: true}
  namespaces: {rawVLLM: pz-serving, kserve: pz-kserve, llmd: pz-llmd}
  litellm: {namespace: pz-litellm}
  kserve:
    deploymentMode: Standard
    gateway: {className: e2e, name: kserve-ingress-gateway, namespace: kserve}
  llmd:
    gateway: {className: e2e, name: llm-d-gateway, namespace: llm-d}
`

// TestPauseResume pauses and resumes one model on each layer, as a user
// does: apply the render, Ready; apply the render with spec.paused: true,
// and what the layer does is what servelayer says it does (raw-vllm:
// replicas 0; kserve and llm-d: KServe's serving.kserve.io/stop
// annotation): no pod, no Deployment of the model left, the object itself
// kept and reported stopped; apply the render with spec.paused: false:
// Ready again, the pods carrying the rendered spec.
func TestPauseResume(t *testing.T) {
	ctx := t.Context()
	start := time.Now()
	dir := t.TempDir()
	platform := filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(platform, []byte(pausePlatform), 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(repo, "testdata/render/qwen-raw-vllm/model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	running, paused := filepath.Join(dir, "qwen.yaml"), filepath.Join(dir, "qwen-paused.yaml")
	if err := os.WriteFile(running, spec, 0o600); err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(spec), "\nspec:\n", "\nspec:\n  paused: true\n", 1)
	if s == string(spec) {
		t.Fatal("model.yaml: no spec: to pause")
	}
	if err := os.WriteFile(paused, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}

	pool := NodePool{Name: "pause", Nodes: 1, GPUs: 8}
	setUp(ctx, t, pool, gatewaysKServe...)
	t.Cleanup(func() {
		cluster.DeleteNamespaces(map[string]string{"pz-serving": "", "pz-kserve": "", "pz-llmd": "", "pz-litellm": ""})
	})

	for _, l := range []string{"raw-vllm", "kserve", "llm-d"} {
		t.Run(l, func(t *testing.T) { pauseResume(t, running, paused, platform, l) })
	}
	t.Logf("pause and resume on three layers in %s", time.Since(start).Round(time.Millisecond))
}

func pauseResume(t *testing.T, running, paused, platform, l string) {
	ctx := t.Context()
	start := time.Now()
	render := func(model string) *Case {
		out, _ := servelayerRender(t, "-f", model, "--platform", platform, "--layer", l)
		objs, err := ReadObjects(out)
		if err != nil {
			t.Fatal(err)
		}
		cs := &Case{Name: "pause-" + l, Objects: objs, Namespaces: map[string]string{}}
		for _, o := range objs {
			if ns := o.GetNamespace(); ns != "" {
				cs.Namespaces[ns] = ns
			}
		}
		if len(cs.Workloads()) != 1 {
			t.Fatalf("%d workloads rendered on %s", len(cs.Workloads()), l)
		}
		return cs
	}
	apply := func(cs *Case) {
		for _, o := range cs.Objects {
			if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	up, down := render(running), render(paused)
	w, pw := up.Workloads()[0], down.Workloads()[0]
	ns, name := w.GetNamespace(), w.GetName()
	if err := cluster.Prerequisites(ctx, up); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, time.Minute, "the weights' claim in "+ns+" Bound", func() (bool, string, error) {
		pvcs, err := cluster.Client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(pvcs.Items) == 0 {
			return false, "no claim", err
		}
		for _, c := range pvcs.Items {
			if c.Status.Phase != corev1.ClaimBound {
				return false, fmt.Sprintf("%s %s", c.Name, c.Status.Phase), nil
			}
		}
		return true, "", nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, cluster.Events(ctx, ns))
	}

	// Running: Ready, and the controllers made Deployments and pods.
	apply(up)
	ready(t, w)
	before := serving(t, ns, name)
	if len(before) == 0 {
		t.Fatalf("%s running, but no Deployment or pod of %s in %s", l, name, ns)
	}

	// Paused: what servelayer says the layer does.
	if !Paused(pw) {
		t.Fatalf("the render with spec.paused: true does not pause %s %s", pw.GetKind(), name)
	}
	apply(down)
	if err := cluster.WaitReady(ctx, pw, readyTimeout); err != nil { // stopped, no pod left
		t.Fatalf("%v\n%s", err, cluster.Events(ctx, ns))
	}
	live, err := cluster.Get(ctx, w.GroupVersionKind(), ns, name)
	if err != nil {
		t.Fatalf("paused, the %s itself is gone: %v", w.GetKind(), err)
	}
	conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
	switch l {
	case "raw-vllm":
		if r, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas"); r != 0 {
			t.Errorf("paused raw-vllm Deployment has replicas %d", r)
		}
	default:
		if live.GetAnnotations()["serving.kserve.io/stop"] != "true" {
			t.Errorf("paused %s lacks serving.kserve.io/stop=true: %v", w.GetKind(), live.GetAnnotations())
		}
		if conditionTrue(conds, "Ready") {
			t.Errorf("paused %s reports Ready: %s", w.GetKind(), condSummary(conds))
		}
	}
	// KServe deletes what it made for the model; raw-vllm's Deployment is
	// servelayer's and stays, at 0.
	if err := poll(ctx, readyTimeout, "no pod and no Deployment KServe made", func() (bool, string, error) {
		left := serving(t, ns, name)
		if l == "raw-vllm" {
			left = without(left, "deployments.apps/"+name)
		}
		return len(left) == 0, strings.Join(left, ", "), nil
	}); err != nil {
		t.Error(err)
	}
	t.Logf("paused: %s %s/%s conditions %s; of the model in %s: %s", w.GetKind(), ns, name, condSummary(conds), ns, strings.Join(objectsOf(t, ns, name), ", "))

	// Resumed: Ready again, the pods as rendered, the pause gone.
	apply(up)
	ready(t, w)
	live, err = cluster.Get(ctx, w.GroupVersionKind(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := live.GetAnnotations()["serving.kserve.io/stop"]; ok {
		t.Errorf("resumed %s still carries serving.kserve.io/stop: %v", w.GetKind(), live.GetAnnotations())
	}
	t.Logf("%s: running, paused, running again in %s", l, time.Since(start).Round(time.Millisecond))
}

// ready waits for w Ready and compares its pods with the rendered spec.
func ready(t *testing.T, w *unstructured.Unstructured) {
	t.Helper()
	ctx := t.Context()
	if err := cluster.WaitReady(ctx, w, readyTimeout); err != nil {
		t.Fatalf("%v\n%s", err, cluster.Events(ctx, w.GetNamespace()))
	}
	problems, err := cluster.CheckPods(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("the pods differ from the rendered spec:\n  %s", strings.Join(problems, "\n  "))
	}
}

// serving lists the model's Deployments and pods in ns.
func serving(t *testing.T, ns, name string) []string {
	var out []string
	for _, o := range objectsOf(t, ns, name) {
		if strings.HasPrefix(o, "deployments.apps/") || strings.HasPrefix(o, "pods/") {
			out = append(out, o)
		}
	}
	return out
}

func objectsOf(t *testing.T, ns, name string) []string {
	t.Helper()
	all, err := cluster.ObjectsOf(t.Context(), ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
