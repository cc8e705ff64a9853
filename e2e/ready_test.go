package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// readyTimeout guards each wait; a model is normally Ready seconds after
// apply.
const readyTimeout = 4 * time.Minute

// allCases are the render goldens and the examples, each in namespaces of
// its own (prefix e<NN>).
func allCases(t *testing.T) []*Case {
	t.Helper()
	golden, err := GoldenCases(repo)
	if err != nil {
		t.Fatal(err)
	}
	kustomize := envOr("KUSTOMIZE", filepath.Join(repo, "bin", "kustomize-v5.8.2"))
	examples, err := ExampleCases(repo, kustomize)
	if err != nil {
		t.Fatal(err)
	}
	cases := append(golden, examples...)
	for i, cs := range cases {
		cs.Prepare(fmt.Sprintf("e%02d", i))
	}
	return cases
}

// gpuPools returns a node pool for every distinct placement the cases'
// pods ask for (node selector, the In terms of a required node affinity,
// and the extended resources they request: nvidia.com/gpu, amd.com/gpu),
// sized for all of them at once.
func gpuPools(cases []*Case) []NodePool {
	demand := map[string]int64{}
	perPod := map[string]int64{}
	labelsOf := map[string]map[string]string{}
	resourcesOf := map[string][]string{}
	for _, cs := range cases {
		if cs.Skip != "" {
			continue
		}
		for _, w := range cs.Workloads() {
			for role, ps := range podSpecs(w) {
				labels := placementLabels(ps)
				var res []string
				gpus := int64(0)
				if c := findContainer(ps, ModelContainer(w)); c != nil {
					lim, _, _ := unstructured.NestedMap(c, "resources", "limits")
					for name := range lim {
						if strings.Contains(name, "/") && !strings.HasPrefix(name, "hugepages-") {
							res = append(res, name)
							if q, ok := nestedQuantity(c, "resources", "limits", name); ok {
								gpus = max(gpus, q.Value())
							}
						}
					}
				}
				sort.Strings(res)
				key := selectorKey(labels) + "|" + strings.Join(res, ",")
				labelsOf[key], resourcesOf[key] = labels, res
				demand[key] += gpus * replicasOf(w, role)
				perPod[key] = max(perPod[key], gpus)
			}
		}
	}
	var keys []string
	for k := range labelsOf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pools []NodePool
	for i, k := range keys {
		per := max(8, perPod[k])
		pools = append(pools, NodePool{
			Name:      fmt.Sprintf("gpu%d", i),
			Nodes:     int((demand[k]+per-1)/per) + 2,
			GPUs:      per,
			Resources: resourcesOf[k],
			Labels:    labelsOf[k],
		})
	}
	return pools
}

// placementLabels are the node labels a pod spec requires: its node
// selector and the first value of each In expression of the first term of
// its required node affinity.
func placementLabels(ps map[string]interface{}) map[string]string {
	labels, _, _ := unstructured.NestedStringMap(ps, "nodeSelector")
	if labels == nil {
		labels = map[string]string{}
	}
	terms, _, _ := unstructured.NestedSlice(ps, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	if len(terms) > 0 {
		exprs, _, _ := unstructured.NestedSlice(terms[0].(map[string]interface{}), "matchExpressions")
		for _, e := range exprs {
			em := e.(map[string]interface{})
			vals, _, _ := unstructured.NestedStringSlice(em, "values")
			if em["operator"] == "In" && len(vals) > 0 {
				labels[em["key"].(string)] = vals[0]
			}
		}
	}
	return labels
}

// replicasOf is the number of pods a role of a workload runs.
func replicasOf(w *unstructured.Unstructured, role string) int64 {
	path := []string{"spec", "replicas"}
	switch w.GroupVersionKind() {
	case ISVCGVK:
		path = []string{"spec", "predictor", "minReplicas"}
	case LLMISVCGVK, LLMISVC1GVK:
		if role == "prefill" {
			path = []string{"spec", "prefill", "replicas"}
		}
	}
	n, ok, _ := unstructured.NestedInt64(w.Object, path...)
	if !ok {
		return 1
	}
	return max(n, 1)
}

// TestRenderedModelsReady applies every render golden and every example to
// the cluster, waits until KServe (or, for raw-vllm, the Deployment
// controller) reports each workload Ready on kwok's GPU nodes, and compares
// the pods the controllers run with what servelayer rendered.
func TestRenderedModelsReady(t *testing.T) {
	ctx := t.Context()
	cases := allCases(t)
	for _, p := range gpuPools(cases) {
		if err := cluster.AddNodes(ctx, p); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cluster.DeleteNodes(ctx, p) })
	}
	for _, gw := range [][2]string{{"llm-d", "llm-d-gateway"}, {KServeNamespace, "kserve-ingress-gateway"}} {
		if err := cluster.Gateway(ctx, gw[0], gw[1]); err != nil {
			t.Fatal(err)
		}
	}
	stop := cluster.RunGatewayStandIn(ctx, t.Logf)
	t.Cleanup(stop)

	// Apply everything first, then wait: the controllers work on all the
	// cases at once.
	start := time.Now()
	for _, cs := range cases {
		if cs.Skip != "" {
			continue
		}
		if err := cluster.Prerequisites(ctx, cs); err != nil {
			t.Fatalf("%s: %v", cs.Name, err)
		}
		for _, o := range cs.Objects {
			if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
				t.Errorf("%s: %v", cs.Name, err)
			}
		}
	}
	t.Logf("applied %d cases in %s", len(cases), time.Since(start).Round(time.Millisecond))
	for _, cs := range cases {
		t.Run(cs.Name, func(t *testing.T) {
			if cs.Skip != "" {
				t.Skip(cs.Skip)
			}
			ws := cs.Workloads()
			if len(ws) == 0 {
				t.Fatal("no workload in the output")
			}
			for _, w := range ws {
				id := fmt.Sprintf("%s %s/%s", w.GetKind(), w.GetNamespace(), w.GetName())
				if err := cluster.WaitReady(ctx, w, readyTimeout); err != nil {
					t.Errorf("%v\nevents:\n%s", err, cluster.Events(ctx, w.GetNamespace()))
					continue
				}
				if Paused(w) {
					continue
				}
				problems, err := cluster.CheckPods(ctx, w)
				if err != nil {
					t.Fatal(err)
				}
				if len(problems) > 0 {
					t.Errorf("%s: the pods differ from the rendered spec:\n  %s", id, strings.Join(problems, "\n  "))
				}
			}
		})
	}
	t.Logf("all cases settled %s after the first apply", time.Since(start).Round(time.Millisecond))
	t.Run("checks can fail", func(t *testing.T) { checksCanFail(t, cases) })
	t.Run("pod security as run", func(t *testing.T) { podSecurityAsRun(t, cases) })
}

// checksCanFail is the negative control of CheckPods: for one running
// workload of each kind, a copy with a different model argument, cpu limit
// and startup probe must be reported on all three.
func checksCanFail(t *testing.T, cases []*Case) {
	ctx := t.Context()
	done := map[string]bool{}
	for _, cs := range cases {
		if cs.Skip != "" {
			continue
		}
		for _, w := range cs.Workloads() {
			kind := w.GetKind()
			if done[kind] || Paused(w) {
				continue
			}
			done[kind] = true
			bad := w.DeepCopy()
			for _, ps := range podSpecs(bad) {
				c := findContainer(ps, ModelContainer(bad))
				args, _, _ := unstructured.NestedStringSlice(c, "args")
				_ = unstructured.SetNestedStringSlice(c, append(args, "--e2e-not-rendered"), "args")
				_ = unstructured.SetNestedField(c, "999", "resources", "limits", "cpu")
				_ = unstructured.SetNestedField(c, int64(4242), "startupProbe", "failureThreshold")
			}
			problems, err := cluster.CheckPods(ctx, bad)
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(problems, "\n")
			for _, want := range []string{"--e2e-not-rendered", "resources.limits", "startupProbe"} {
				if !strings.Contains(all, want) {
					t.Errorf("%s %s/%s altered (%s) but CheckPods did not notice:\n%s", kind, w.GetNamespace(), w.GetName(), want, all)
				}
			}
		}
	}
	for _, k := range []string{"Deployment", "InferenceService", "LLMInferenceService"} {
		if !done[k] {
			t.Errorf("no running %s to alter", k)
		}
	}
}

// podSecurityAsRun evaluates every pod the controllers run for the cases
// with the apiserver's own PodSecurity admission. Every case namespace
// enforces baseline, except a case whose pods add capabilities (RDMA),
// whose namespace is privileged as the README says. Restricted and
// baseline are evaluated by dry-run creates in namespaces that enforce
// them, and what fails must be exactly what conformance/README.md's table
// "Restricted exceptions of the pods KServe runs" allows: a failure it does
// not list fails the test, and so does a row no live pod needs (except the
// Knative-only row: Knative is not in the box).
func podSecurityAsRun(t *testing.T, cases []*Case) {
	ctx := t.Context()
	table, err := AsRunExceptions(filepath.Join(repo, "conformance", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, e := range table {
		allowed[e.Kind+" "+e.Path+" "+e.Check] = true
	}
	for ns, level := range map[string]string{RestrictedNamespace: "restricted", BaselineNamespace: "baseline"} {
		if err := cluster.EnsureNamespace(ctx, ns, map[string]string{"pod-security.kubernetes.io/enforce": level}); err != nil {
			t.Fatal(err)
		}
	}
	used := map[string]bool{}
	var report []string
	pods := 0
	for _, cs := range cases {
		if cs.Skip != "" {
			continue
		}
		for _, w := range cs.Workloads() {
			if Paused(w) {
				continue
			}
			for role := range podSpecs(w) {
				live, err := cluster.LivePods(ctx, w, role)
				if err != nil {
					t.Fatal(err)
				}
				path := templatePath(w, role)
				for i := range live {
					pods++
					checks, err := cluster.RestrictedFailures(ctx, &live[i])
					if err != nil {
						t.Errorf("%s %s: %v", cs.Name, live[i].Name, err)
						continue
					}
					// Only a privileged namespace runs a pod failing baseline.
					base, err := cluster.BaselineFailures(ctx, &live[i])
					if err != nil {
						t.Errorf("%s %s: %v", cs.Name, live[i].Name, err)
						continue
					}
					for _, b := range base {
						if !slices.Contains(checks, b) {
							checks = append(checks, b)
						}
					}
					sort.Strings(checks)
					report = append(report, fmt.Sprintf("%s %s %s/%s: restricted fails %v", cs.Name, w.GetKind(), live[i].Namespace, live[i].Name, checks))
					for _, ch := range checks {
						key := w.GetKind() + " " + path + " " + ch
						if w.GroupVersionKind() == DeploymentGVK || !allowed[key] {
							t.Errorf("%s: pod %s/%s (%s %s) fails restricted check %s, which conformance/README.md's as-run table does not allow", cs.Name, live[i].Namespace, live[i].Name, w.GetKind(), path, ch)
							continue
						}
						used[key] = true
					}
				}
			}
			// The router-scheduler (endpoint picker) pods pass restricted.
			if w.GroupVersionKind() == LLMISVCGVK {
				l, err := cluster.Client.CoreV1().Pods(w.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + w.GetName() + ",kserve.io/component=router-scheduler"})
				if err != nil {
					t.Fatal(err)
				}
				for i := range l.Items {
					pods++
					checks, err := cluster.RestrictedFailures(ctx, &l.Items[i])
					if err != nil {
						t.Errorf("%s %s: %v", cs.Name, l.Items[i].Name, err)
					} else if len(checks) > 0 {
						t.Errorf("%s: router-scheduler pod %s/%s fails restricted %v", cs.Name, l.Items[i].Namespace, l.Items[i].Name, checks)
					}
				}
			}
		}
	}
	if pods == 0 {
		t.Fatal("no pod evaluated")
	}
	sort.Strings(report)
	t.Logf("%d pods evaluated:\n%s", pods, strings.Join(report, "\n"))
	for _, e := range table {
		key := e.Kind + " " + e.Path + " " + e.Check
		// Knative mode, and a worker (KServe's LeaderWorkerSet), are not in
		// the box: their rows cannot be seen live.
		notInBox := strings.Contains(e.Reason, "Knative mode") || e.Path == "spec.worker" || strings.Contains(e.Reason, "with a `worker`")
		if !used[key] && !notInBox {
			t.Errorf("conformance/README.md allows %q for the pods KServe runs, but no live pod needs it", key)
		}
	}
}

// templatePath names the pod template of a role as the conformance tables
// do.
func templatePath(w *unstructured.Unstructured, role string) string {
	switch {
	case w.GroupVersionKind() == ISVCGVK:
		return "spec.predictor"
	case role == "prefill":
		return "spec.prefill.template"
	case role == "decode":
		return "spec.template"
	}
	return "spec.template"
}

// Events returns the namespace's events, oldest first, for a failure.
func (c *Cluster) Events(ctx context.Context, ns string) string {
	l, err := c.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range l.Items {
		fmt.Fprintf(&b, "  %s %s/%s %s: %s (x%d)\n", e.Type, e.InvolvedObject.Kind, e.InvolvedObject.Name, e.Reason, e.Message, e.Count)
	}
	return b.String()
}
