package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// TestLLMISVCVersions is the evidence for the LLMInferenceService version
// servelayer renders (README, "Which LLMInferenceService version"). It
// applies the qwen-llm-d golden as rendered (v1alpha2, KServe v0.17's
// storage version) and checks that it round-trips, also for a client still
// at v1alpha1; moves an object an earlier servelayer applied at v1alpha1 to
// v1alpha2 by re-applying it once; then stops KServe's LLMInferenceService
// manager, which serves the conversion and validating webhooks, and records
// what still works.
func TestLLMISVCVersions(t *testing.T) {
	ctx := t.Context()
	objs, err := ReadObjectsFile(filepath.Join(repo, "testdata/render/qwen-llm-d/expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &Case{Name: "versions", Objects: objs}
	cs.Prepare("ver-")
	setUp(ctx, t, NodePool{Name: "ver", Nodes: 1, GPUs: 8}, [2]string{"llm-d", "llm-d-gateway"})
	if err := cluster.Prerequisites(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, o := range cs.Objects {
		if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
			t.Fatal(err)
		}
	}
	w := cs.Workloads()[0]
	if w.GroupVersionKind() != LLMISVCGVK {
		t.Fatalf("the golden renders %s; this test's premise is %s", w.GetAPIVersion(), LLMISVCGVK.GroupVersion())
	}
	ns, name := w.GetNamespace(), w.GetName()
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), LLMISVCGVK, ns, name) })
	if err := cluster.WaitReady(ctx, w, readyTimeout); err != nil {
		t.Fatal(err)
	}

	// With the webhook up: v1alpha2 reads back what was applied, and a
	// server-side dry-run re-apply (what Argo CD's server-side diff sends)
	// changes nothing; servelayer's managedFields are at v1alpha2, so an
	// apply converts nothing.
	want, _, _ := unstructured.NestedMap(w.Object, "spec")
	live, err := cluster.Get(ctx, LLMISVCGVK, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedMap(live.Object, "spec"); !subset(want, got) {
		t.Errorf("v1alpha2 read back differs from the applied spec:\n got %v\nwant %v", got, want)
	}
	if v := managerVersions(live, FieldManager); !slices.Equal(v, []string{"serving.kserve.io/v1alpha2"}) {
		t.Errorf("servelayer's managedFields are at %v, want only v1alpha2", v)
	}
	ri, err := cluster.resource(LLMISVCGVK, ns)
	if err != nil {
		t.Fatal(err)
	}
	data, err := w.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	force := true
	dryRun := metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}}
	dry, err := ri.Patch(ctx, name, types.ApplyPatchType, data, dryRun)
	if err != nil {
		t.Fatal(err)
	}
	if dry.GetGeneration() != live.GetGeneration() {
		t.Errorf("a dry-run re-apply of the same object changes the generation %d -> %d", live.GetGeneration(), dry.GetGeneration())
	}
	// A client still at v1alpha1 (kubectl get with the old name, an
	// older render in Git) reads the same spec through the conversion.
	old, err := cluster.Get(ctx, LLMISVC1GVK, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedMap(old.Object, "spec"); !subset(want, got) {
		t.Errorf("v1alpha1 read (converted by KServe's webhook) differs from the applied v1alpha2 spec:\n got %v\nwant %v", got, want)
	}

	// An object an earlier servelayer applied at v1alpha1, then re-applied
	// once at v1alpha2 with the webhook up, as the README tells users to:
	// servelayer's managedFields move to v1alpha2.
	prevName := name + "-prev"
	prev := w.DeepCopy()
	prev.SetName(prevName)
	prev.SetAPIVersion(LLMISVC1GVK.GroupVersion().String())
	applied, err := cluster.Apply(ctx, FieldManager, prev)
	if err != nil {
		t.Fatalf("apply at v1alpha1: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), LLMISVCGVK, ns, prevName) })
	if v := managerVersions(applied, FieldManager); !slices.Equal(v, []string{"serving.kserve.io/v1alpha1"}) {
		t.Errorf("applied at v1alpha1, servelayer's managedFields are at %v", v)
	}
	cur := w.DeepCopy()
	cur.SetName(prevName)
	if applied, err = cluster.Apply(ctx, FieldManager, cur); err != nil {
		t.Fatalf("re-apply at v1alpha2: %v", err)
	}
	if v := managerVersions(applied, FieldManager); !slices.Equal(v, []string{"serving.kserve.io/v1alpha2"}) {
		t.Errorf("re-applied at v1alpha2, servelayer's managedFields are at %v, want only v1alpha2", v)
	}

	// The webhook down (the manager stopped, as in an upgrade, a crash loop
	// or a lost certificate).
	cluster.StopLLMISVC()
	t.Cleanup(func() {
		if err := cluster.StartLLMISVC(context.Background()); err != nil {
			t.Errorf("restart the LLMInferenceService manager: %v", err)
		}
	})
	results := map[string]error{}
	_, results["get v1alpha2"] = cluster.Get(ctx, LLMISVCGVK, ns, name)
	_, results["list v1alpha2"] = cluster.List(ctx, LLMISVCGVK, ns, metav1.ListOptions{})
	_, results["get v1alpha1"] = cluster.Get(ctx, LLMISVC1GVK, ns, name)
	var listed []unstructured.Unstructured
	listed, results["list v1alpha1"] = cluster.List(ctx, LLMISVC1GVK, ns, metav1.ListOptions{})
	_, results["apply v1alpha2"] = cluster.Apply(ctx, FieldManager, w)
	_, results["dry-run apply v1alpha2"] = ri.Patch(ctx, name, types.ApplyPatchType, data, dryRun)
	_, results["apply v1alpha1"] = cluster.Apply(ctx, FieldManager, prev)
	// Delete has no webhook (KServe validates CREATE and UPDATE) and, at
	// the storage version, no conversion: Argo CD can still prune.
	results["delete v1alpha2"] = cluster.Delete(ctx, LLMISVCGVK, ns, prevName)
	order := []string{"get v1alpha2", "list v1alpha2", "get v1alpha1", "list v1alpha1", "apply v1alpha2", "dry-run apply v1alpha2", "apply v1alpha1", "delete v1alpha2"}
	for _, k := range order {
		t.Logf("webhook down: %-22s -> %v", k, orOK(results[k]))
	}
	for _, u := range listed {
		t.Logf("webhook down: list v1alpha1 returned %s %s", u.GetAPIVersion(), u.GetName())
	}
	// Reads and deletes at v1alpha2, the storage version, need no webhook.
	for _, k := range []string{"get v1alpha2", "list v1alpha2", "delete v1alpha2"} {
		if results[k] != nil {
			t.Errorf("webhook down: %s failed: %v", k, results[k])
		}
	}
	// Reads at v1alpha1 need the conversion webhook; every write, at any
	// version and even a dry run (Argo CD's server-side diff), needs
	// KServe's validating webhook (failurePolicy: Fail), served by the
	// same manager.
	for _, k := range []string{"get v1alpha1", "apply v1alpha2", "dry-run apply v1alpha2", "apply v1alpha1"} {
		if results[k] == nil {
			t.Errorf("webhook down: %s succeeded; expected it to need KServe's webhook", k)
		}
	}
}

// managerVersions are the apiVersions of manager's managedFields entries.
func managerVersions(o *unstructured.Unstructured, manager string) []string {
	var out []string
	for _, e := range o.GetManagedFields() {
		if e.Manager == manager && !slices.Contains(out, e.APIVersion) {
			out = append(out, e.APIVersion)
		}
	}
	slices.Sort(out)
	return out
}

func orOK(err error) string {
	if err == nil {
		return "ok"
	}
	return fmt.Sprintf("error: %v", err)
}
