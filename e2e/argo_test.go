package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// syncTimeout guards each Argo CD sync; one normally ends seconds after
// the workloads are Ready.
const syncTimeout = 4 * time.Minute

// gitopsSetup is one model in Git under Argo CD: its namespaces, GPU pool,
// Platform and Application.
type gitopsSetup struct {
	app      string // the Application
	path     string // its directory in the repository
	prefix   string // of the layer namespaces
	pool     NodePool
	gpus     int // the Platform's spec.gpus
	platform string
}

func newGitopsSetup(repoURL, app, path, prefix string, nodes int, gpus int) *gitopsSetup {
	s := &gitopsSetup{app: app, path: path, prefix: prefix, gpus: gpus}
	s.pool = NodePool{
		Name: prefix + "gpu", Nodes: nodes, GPUs: 1,
		Labels: map[string]string{"e2e.servelayer.dev/pool": prefix + "gpu"},
		Taints: []corev1.Taint{{Key: "e2e.servelayer.dev/pool", Value: prefix + "gpu", Effect: corev1.TaintEffectNoSchedule}},
	}
	s.platform = fmt.Sprintf(`apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: box
spec:
  features: {kserve: true, llmd: true}
  gpus: %d
  kserve: {deploymentMode: Standard}
  namespaces: {rawVLLM: %[2]sraw, kserve: %[2]skserve, llmd: %[2]sllmd}
  litellm: {namespace: %[2]slitellm}
  gpuNodes:
    nodeSelector: {e2e.servelayer.dev/pool: %[2]sgpu}
    tolerations:
    - {key: e2e.servelayer.dev/pool, operator: Equal, value: %[2]sgpu, effect: NoSchedule}
  argocd:
    repoURL: %[3]s
    path: %[4]s
    targetRevision: main
    name: %[5]s
    destination: {server: https://kubernetes.default.svc}
    platformFile: platform.yaml
`, gpus, prefix, repoURL, path, app)
	return s
}

func (s *gitopsSetup) ns(layer string) string {
	return s.prefix + map[string]string{"raw-vllm": "raw", "kserve": "kserve", "llm-d": "llmd", "litellm": "litellm"}[layer]
}

// model is the ServedModel on a layer: Qwen from a pre-staged claim, one
// GPU, routed by LiteLLM alias qwen.
func model(layer string) string {
	return fmt.Sprintf(`apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata:
  name: qwen
spec:
  layer: %s
  model:
    name: Qwen/Qwen2.5-0.5B-Instruct
    source:
      pvc: {claimName: model-cache, path: qwen}
  engine:
    image: vllm/vllm-openai:v0.11.0
  resources: {cpu: "4", memory: 16Gi, gpus: 1}
  replicas: 1
  routing: {alias: qwen}
`, layer)
}

// workload is what serves the model on a layer.
func (s *gitopsSetup) workload(layer string) Watched {
	gvk := map[string]schema.GroupVersionKind{"raw-vllm": DeploymentGVK, "kserve": ISVCGVK, "llm-d": LLMISVCGVK}[layer]
	return Watched{GVK: gvk, Namespace: s.ns(layer), Name: "qwen", Layer: layer}
}

func (s *gitopsSetup) watched() []Watched {
	return []Watched{
		{GVK: ApplicationGVK, Namespace: ArgoNamespace, Name: s.app},
		{GVK: configMapGVK, Namespace: s.ns("litellm"), Name: "litellm-qwen"},
		s.workload("raw-vllm"),
		{GVK: serviceGVK, Namespace: s.ns("raw-vllm"), Name: "qwen", Layer: "raw-vllm"},
		s.workload("kserve"),
		s.workload("llm-d"),
	}
}

// prepare makes the GPU pool, the layer namespaces and what the model's
// output refers to but does not render (the weights' claim, bound), the
// llm-d Gateway, and the rendered api_base of each layer.
func (s *gitopsSetup) prepare(t *testing.T, ctx context.Context) (apiBases map[string]string, platformFile string) {
	t.Helper()
	if err := cluster.AddNodes(ctx, s.pool); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.DeleteNodes(context.Background(), s.pool) })
	dir := t.TempDir()
	platformFile = filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(platformFile, []byte(s.platform), 0o600); err != nil {
		t.Fatal(err)
	}
	apiBases = map[string]string{}
	cs := &Case{Name: s.app, Namespaces: map[string]string{}}
	for _, layer := range []string{"raw-vllm", "kserve", "llm-d"} {
		f := filepath.Join(dir, layer+".yaml")
		if err := os.WriteFile(f, []byte(model(layer)), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := servelayerRender(t, "-f", f, "--platform", platformFile)
		objs, err := ReadObjects(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			if o.GetNamespace() != "" {
				cs.Namespaces[o.GetNamespace()] = o.GetNamespace()
			}
			if o.GetKind() == "ConfigMap" {
				apiBases[layer] = apiBase(o)
			}
		}
		cs.Objects = append(cs.Objects, objs...)
	}
	for _, layer := range []string{"raw-vllm", "kserve", "llm-d"} {
		if apiBases[layer] == "" {
			t.Fatalf("the %s render has no LiteLLM api_base", layer)
		}
	}
	if err := cluster.Prerequisites(ctx, cs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for ns := range cs.Namespaces {
			_ = cluster.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	})
	if err := cluster.Gateway(ctx, s.ns("llm-d"), "llm-d-gateway"); err != nil {
		t.Fatal(err)
	}
	return apiBases, platformFile
}

// application is the Application `servelayer applications` renders from
// the Platform's spec.argocd.
func (s *gitopsSetup) application(t *testing.T, platformFile string) *unstructured.Unstructured {
	t.Helper()
	cmd := exec.Command(envOr("SERVELAYER", filepath.Join(repo, "bin", "servelayer")), "applications", "--platform", platformFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("servelayer applications: %v\n%s", err, stderr.String())
	}
	objs, err := ReadObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].GroupVersionKind() != ApplicationGVK || objs[0].GetName() != s.app || objs[0].GetNamespace() != ArgoNamespace {
		t.Fatalf("servelayer applications: want one Application %s/%s, got:\n%s", ArgoNamespace, s.app, out)
	}
	t.Logf("servelayer applications --platform:\n%s", out)
	return objs[0]
}

// TestArgoCD runs servelayer's GitOps path in the real Argo CD: its
// application controller and repo-server (v3.2.6, built from the argo-cd
// module), Redis, servelayer's plugin in argocd-cmp-server, and a Git
// repository served on 127.0.0.1; layer moves are commits, synced as
// `argocd app sync` does.
func TestArgoCD(t *testing.T) {
	ctx := t.Context()
	bins, err := ArgoBinariesIn(repo)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	argo, err := cluster.StartArgoCD(ctx, repo, bins)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Argo CD logs:\n%s", argo.logs(60))
		}
		if err := argo.Stop(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("Argo CD up in %s", time.Since(start).Round(100*time.Millisecond))
	stopGW := cluster.RunGatewayStandIn(ctx, t.Logf)
	t.Cleanup(stopGW)

	t.Run("moves", func(t *testing.T) { testMoves(t, argo) })
	t.Run("gpus_short", func(t *testing.T) { testGPUsShort(t, argo) })
}

// bringUp commits the Platform and the model on raw-vllm, creates the
// Application and syncs it, watching the setup's objects from the start.
// It returns the layers' api_base, the Platform's file, the timeline
// (stopped when the test ends) and
// the resourceVersion the sync started after.
func (s *gitopsSetup) bringUp(t *testing.T, argo *ArgoCD, what string) (apiBases map[string]string, platformFile string, tl *Timeline, from uint64) {
	t.Helper()
	ctx := t.Context()
	apiBases, platformFile = s.prepare(t, ctx)
	tl, err := cluster.WatchTimeline(ctx, s.watched())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tl.Stop)
	sha, err := argo.Git.Commit(map[string]string{
		s.path + "/platform.yaml": s.platform,
		s.path + "/qwen.yaml":     model("raw-vllm"),
	}, s.app+": qwen on raw-vllm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Apply(ctx, HarnessManager, s.application(t, platformFile)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), ApplicationGVK, ArgoNamespace, s.app) })
	return apiBases, platformFile, tl, syncAndWait(t, argo, s, tl, sha, what)
}

// testMoves: raw-vllm -> kserve -> llm-d, then a revert of the last commit
// (llm-d -> kserve), each one commit and one sync; the new layer's workload
// Ready before the LiteLLM entry changes, the old one pruned after, the
// alias never on a layer that is not Ready.
func testMoves(t *testing.T, argo *ArgoCD) {
	s := newGitopsSetup(argo.Git.URL, "servelayer-models", "models", "argo-", 2, 2)
	apiBases, _, tl, from := s.bringUp(t, argo, "bring-up on raw-vllm")

	// Bring-up: the alias appears only once raw-vllm is Ready.
	events := tl.Since(from)
	checkAlias(t, tl, from, apiBases)
	if firstIndex(events, isReady(s.workload("raw-vllm"))) < 0 || firstIndex(events, isAlias(apiBases["raw-vllm"])) < 0 {
		t.Fatalf("bring-up: raw-vllm never Ready or the alias never set:\n%s", tl.Format(events))
	}

	var shas []string
	for _, step := range []struct{ from, to string }{{"raw-vllm", "kserve"}, {"kserve", "llm-d"}} {
		sha, err := argo.Git.Commit(map[string]string{s.path + "/qwen.yaml": model(step.to)}, "qwen: layer "+step.to)
		if err != nil {
			t.Fatal(err)
		}
		shas = append(shas, sha)
		from := syncAndWait(t, argo, s, tl, sha, step.from+" -> "+step.to)
		checkMove(t, tl, from, s, apiBases, step.from, step.to)
	}
	// The revert commit of the llm-d move rolls back the same way.
	sha, err := argo.Git.Revert(shas[1])
	if err != nil {
		t.Fatal(err)
	}
	from = syncAndWait(t, argo, s, tl, sha, "revert: llm-d -> kserve")
	checkMove(t, tl, from, s, apiBases, "llm-d", "kserve")
}

// syncAndWait hard-refreshes the Application until it has seen sha, syncs
// it as `argocd app sync --prune` does, and waits until the operation
// Succeeded and the Application is Healthy. It returns the resourceVersion
// the sync was requested at, and logs the timeline since.
func syncAndWait(t *testing.T, argo *ArgoCD, s *gitopsSetup, tl *Timeline, sha, what string) uint64 {
	t.Helper()
	ctx := t.Context()
	began := time.Now()
	rv, err := requestSync(ctx, s.app, sha)
	if err != nil {
		t.Fatal(err)
	}
	err = waitOperation(ctx, s.app, sha, syncTimeout, func(phase string) bool { return phase == "Succeeded" })
	t.Logf("%s: synced in %s; timeline (resourceVersion order):\n%s", what, time.Since(began).Round(100*time.Millisecond), tl.Format(tl.Since(rv)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return rv
}

// requestSync does what `argocd app sync APP --prune --revision SHA` asks
// of Argo CD's API server (server/application/application.go Sync): a hard
// refresh first, then the Application's operation field, carrying the
// app's source and its syncPolicy.syncOptions, the revision and prune.
// It returns the resourceVersion of the operation request.
func requestSync(ctx context.Context, app, sha string) (uint64, error) {
	ri, err := cluster.resource(ApplicationGVK, ArgoNamespace)
	if err != nil {
		return 0, err
	}
	if _, err := ri.Patch(ctx, app, types.MergePatchType,
		[]byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"hard"}}}`), metav1.PatchOptions{}); err != nil {
		return 0, err
	}
	var live *unstructured.Unstructured
	if err := poll(ctx, syncTimeout, "Application "+app+" refreshed at "+sha, func() (bool, string, error) {
		live, err = ri.Get(ctx, app, metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		rev, _, _ := unstructured.NestedString(live.Object, "status", "sync", "revision")
		_, pending := live.GetAnnotations()["argocd.argoproj.io/refresh"]
		phase, _, _ := unstructured.NestedString(live.Object, "status", "operationState", "phase")
		conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
		return !pending && rev == sha && phase != "Running", fmt.Sprintf("revision %s, refresh pending %v, operation %s, conditions %v", rev, pending, phase, conds), nil
	}); err != nil {
		return 0, err
	}
	source, _, _ := unstructured.NestedMap(live.Object, "spec", "source")
	opts, _, _ := unstructured.NestedStringSlice(live.Object, "spec", "syncPolicy", "syncOptions")
	op := map[string]interface{}{"operation": map[string]interface{}{
		"sync": map[string]interface{}{
			"source": source, "revision": sha, "prune": true, "syncOptions": opts,
		},
		"initiatedBy": map[string]interface{}{"username": "servelayer-e2e"},
	}}
	data, err := json.Marshal(op)
	if err != nil {
		return 0, err
	}
	out, err := ri.Patch(ctx, app, types.MergePatchType, data, metav1.PatchOptions{})
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(out.GetResourceVersion(), 10, 64)
}

// waitOperation waits until the Application's operation for sha is in a
// phase done accepts (and, for Succeeded, the app is Healthy).
func waitOperation(ctx context.Context, app, sha string, timeout time.Duration, done func(string) bool) error {
	return poll(ctx, timeout, "Application "+app+" sync of "+sha, func() (bool, string, error) {
		live, err := cluster.Get(ctx, ApplicationGVK, ArgoNamespace, app)
		if err != nil {
			return false, "", err
		}
		state := appSummary(live)
		if _, pending, _ := unstructured.NestedMap(live.Object, "operation"); pending {
			return false, state, nil
		}
		rev, _, _ := unstructured.NestedString(live.Object, "status", "operationState", "syncResult", "revision")
		phase, _, _ := unstructured.NestedString(live.Object, "status", "operationState", "phase")
		health, _, _ := unstructured.NestedString(live.Object, "status", "health", "status")
		if rev != sha {
			return false, state, nil
		}
		if phase == "Failed" || phase == "Error" {
			if !done(phase) {
				return false, "", fmt.Errorf("operation %s", state)
			}
		}
		return done(phase) && (phase != "Succeeded" || health == "Healthy"), state, nil
	})
}

// checkMove asserts the order of one move's events: the new workload Ready
// before the alias moves to it, the old workload (and raw-vllm's Service)
// deleted only after, the alias never on a layer not Ready; and it ends
// with the old layer gone.
func checkMove(t *testing.T, tl *Timeline, since uint64, s *gitopsSetup, apiBases map[string]string, from, to string) {
	t.Helper()
	events := tl.Since(since)
	step := from + " -> " + to
	ready := firstIndex(events, isReady(s.workload(to)))
	alias := firstIndex(events, isAlias(apiBases[to]))
	oldGone := firstIndex(events, func(e Event) bool { return e.Object == s.workload(from) && (e.Deleting || e.Gone) })
	switch {
	case ready < 0:
		t.Errorf("%s: %s never observed Ready", step, s.workload(to))
	case alias < 0:
		t.Errorf("%s: the alias never moved to %s", step, apiBases[to])
	case oldGone < 0:
		t.Errorf("%s: %s never deleted", step, s.workload(from))
	default:
		if ready > alias {
			t.Errorf("%s: the LiteLLM entry moved to %s (rv %d) before %s was Ready (rv %d)", step, to, events[alias].RV, s.workload(to), events[ready].RV)
		}
		if oldGone < alias {
			t.Errorf("%s: %s deleted (rv %d) before the LiteLLM entry moved (rv %d)", step, s.workload(from), events[oldGone].RV, events[alias].RV)
		}
	}
	if from == "raw-vllm" {
		svc := Watched{GVK: serviceGVK, Namespace: s.ns("raw-vllm"), Name: "qwen", Layer: "raw-vllm"}
		if i := firstIndex(events, func(e Event) bool { return e.Object == svc && (e.Deleting || e.Gone) }); i < 0 || i < alias {
			t.Errorf("%s: %s deleted at event %d (-1: never), want after the alias moved (event %d)", step, svc, i, alias)
		}
	}
	checkAlias(t, tl, since, apiBases)
	// Pruned for good: the old workload is gone (its DELETED event seen).
	ctx := t.Context()
	if err := poll(ctx, syncTimeout, s.workload(from).String()+" gone", func() (bool, string, error) {
		return firstIndex(tl.Since(since), func(e Event) bool { return e.Object == s.workload(from) && e.Gone }) >= 0, "", nil
	}); err != nil {
		t.Error(err)
	}
	if t.Failed() {
		t.Fatalf("%s: timeline:\n%s", step, tl.Format(events))
	}
}

// checkAlias replays every event of the timeline in order and fails where,
// after resourceVersion from, the LiteLLM entry points at a layer whose
// workload is not Ready at that point.
func checkAlias(t *testing.T, tl *Timeline, from uint64, apiBases map[string]string) {
	t.Helper()
	layerOf := map[string]string{}
	for l, u := range apiBases {
		layerOf[u] = l
	}
	ready := map[string]bool{}
	alias := ""
	for _, e := range tl.Events() {
		switch {
		case e.Object.GVK == configMapGVK:
			if e.Gone || e.Deleting {
				alias = ""
			} else {
				alias = layerOf[e.APIBase]
				if alias == "" {
					t.Errorf("rv %d: api_base %q is no layer's URL", e.RV, e.APIBase)
				}
			}
		case e.Object.Layer != "" && e.Object.GVK != serviceGVK:
			ready[e.Object.Layer] = e.Ready && !e.Deleting && !e.Gone
		default:
			continue
		}
		if e.RV > from && alias != "" && !ready[alias] {
			t.Errorf("rv %d (%s %s): the alias points at %s, whose workload is not Ready", e.RV, e.Object, e.State, alias)
		}
	}
}

func firstIndex(events []Event, f func(Event) bool) int {
	for i, e := range events {
		if f(e) {
			return i
		}
	}
	return -1
}

func isReady(w Watched) func(Event) bool {
	return func(e Event) bool { return e.Object == w && e.Ready }
}

func isAlias(url string) func(Event) bool {
	return func(e Event) bool { return e.Object.GVK == configMapGVK && e.APIBase == url }
}

// testGPUsShort: one GPU for a model that needs one on each layer. The move
// to kserve stalls: the new predictor's pod is Pending for want of a GPU,
// Argo CD waits for the InferenceService's health and says so, the LiteLLM
// entry still points at raw-vllm, which keeps serving. servelayer's plan
// predicted it (gpu-headroom). A revert commit then rolls back.
func testGPUsShort(t *testing.T, argo *ArgoCD) {
	ctx := t.Context()
	s := newGitopsSetup(argo.Git.URL, "servelayer-short", "short", "short-", 1, 1)
	apiBases, platformFile, tl, _ := s.bringUp(t, argo, "bring-up on raw-vllm, one GPU")

	// servelayer plan, offline, predicts the stall from the Platform's GPUs
	// and says what the sync does then.
	f := filepath.Join(t.TempDir(), "qwen.yaml")
	if err := os.WriteFile(f, []byte(model("raw-vllm")), 0o600); err != nil {
		t.Fatal(err)
	}
	plan := exec.Command(envOr("SERVELAYER", filepath.Join(repo, "bin", "servelayer")), "plan", "-f", f, "--platform", platformFile, "--to", "kserve")
	out, _ := plan.CombinedOutput()
	for _, want := range []string{
		"[warn]   gpu-headroom", "the new pods stay Pending", "(1 + 1 > 1)",
		// The runbook's Argo CD form says what the sync then does.
		`the sync waits at wave 0 ("waiting for healthy state of" the new workload), with raw-vllm serving and the alias unchanged`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("servelayer plan lacks %q:\n%s", want, out)
		}
	}

	move, err := argo.Git.Commit(map[string]string{s.path + "/qwen.yaml": model("kserve")}, "short: qwen: layer kserve")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := requestSync(ctx, s.app, move)
	if err != nil {
		t.Fatal(err)
	}
	// The stall: the predictor's pod unschedulable for want of a GPU, and
	// Argo CD's operation Running, waiting for the InferenceService.
	isvc := s.workload("kserve")
	var msg string
	if err := poll(ctx, syncTimeout, "the predictor Pending for a GPU and the sync waiting for it", func() (bool, string, error) {
		pods, err := cluster.Client.CoreV1().Pods(isvc.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "serving.kserve.io/inferenceservice=qwen"})
		if err != nil {
			return false, "", err
		}
		pending := false
		for i := range pods.Items {
			pending = pending || unschedulableFor(&pods.Items[i], "Insufficient nvidia.com/gpu")
		}
		live, err := cluster.Get(ctx, ApplicationGVK, ArgoNamespace, s.app)
		if err != nil {
			return false, "", err
		}
		phase, _, _ := unstructured.NestedString(live.Object, "status", "operationState", "phase")
		msg, _, _ = unstructured.NestedString(live.Object, "status", "operationState", "message")
		return pending && phase == "Running" && strings.Contains(msg, "InferenceService/qwen"),
			fmt.Sprintf("%d predictor pods, one unschedulable for a GPU: %v; %s", len(pods.Items), pending, appSummary(live)), nil
	}); err != nil {
		t.Fatalf("%v\ntimeline:\n%s", err, tl.Format(tl.Since(rv)))
	}
	t.Logf("stalled: the Application's operation says %q", msg)
	if want := "waiting for healthy state of serving.kserve.io/InferenceService/qwen"; !strings.Contains(msg, want) {
		t.Errorf("operation message %q lacks %q", msg, want)
	}
	events := tl.Since(rv)
	t.Logf("stall timeline (resourceVersion order):\n%s", tl.Format(events))
	checkAlias(t, tl, rv, apiBases)
	if i := firstIndex(events, isAlias(apiBases["kserve"])); i >= 0 {
		t.Errorf("the alias moved to kserve while it cannot run (rv %d)", events[i].RV)
	}
	for _, w := range []Watched{s.workload("raw-vllm"), {GVK: serviceGVK, Namespace: s.ns("raw-vllm"), Name: "qwen"}} {
		if firstIndex(events, func(e Event) bool { return e.Object.String() == w.String() && (e.Deleting || e.Gone) }) >= 0 {
			t.Errorf("%s deleted during the stalled move", w)
		}
	}
	// raw-vllm still serves: Ready now, and the alias on it.
	if err := cluster.WaitReady(ctx, &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]interface{}{"name": "qwen", "namespace": s.ns("raw-vllm")},
		"spec":     map[string]interface{}{"replicas": int64(1)},
	}}, time.Second); err != nil {
		t.Errorf("raw-vllm no longer serves: %v", err)
	}
	cm, err := cluster.Client.CoreV1().ConfigMaps(s.ns("litellm")).Get(ctx, "litellm-qwen", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cm)
	if err != nil {
		t.Fatal(err)
	}
	if got := apiBase(&unstructured.Unstructured{Object: m}); got != apiBases["raw-vllm"] {
		t.Errorf("api_base %q, want raw-vllm's %q", got, apiBases["raw-vllm"])
	}

	// Back out: terminate the operation (`argocd app terminate-op`), then
	// commit the revert and sync: the InferenceService is pruned, raw-vllm
	// and the alias stay.
	ri, err := cluster.resource(ApplicationGVK, ArgoNamespace)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Patch(ctx, s.app, types.MergePatchType, []byte(`{"status":{"operationState":{"phase":"Terminating"}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := waitOperation(ctx, s.app, move, syncTimeout, func(phase string) bool { return phase == "Failed" || phase == "Error" }); err != nil {
		t.Fatal(err)
	}
	revert, err := argo.Git.Revert(move)
	if err != nil {
		t.Fatal(err)
	}
	from := syncAndWait(t, argo, s, tl, revert, "revert of the stalled move")
	events = tl.Since(from)
	checkAlias(t, tl, from, apiBases)
	if firstIndex(events, func(e Event) bool { return e.Object == isvc && e.Gone }) < 0 {
		if err := poll(ctx, syncTimeout, "InferenceService pruned", func() (bool, string, error) {
			return firstIndex(tl.Since(from), func(e Event) bool { return e.Object == isvc && e.Gone }) >= 0, "", nil
		}); err != nil {
			t.Error(err)
		}
	}
}
