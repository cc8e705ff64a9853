package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// TestLLMISVCVersions is the evidence for the LLMInferenceService version
// servelayer renders (README, "Which LLMInferenceService version"). It
// applies the qwen-llm-d golden as rendered (v1alpha1), reads it back at
// both versions, then stops KServe's LLMInferenceService manager, whose
// webhook converts between them, and records what still works.
func TestLLMISVCVersions(t *testing.T) {
	ctx := t.Context()
	objs, err := ReadObjectsFile(filepath.Join(repo, "testdata/render/qwen-llm-d/expected.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cs := &Case{Name: "versions", Objects: objs}
	cs.Prepare("ver-")
	if err := cluster.AddNodes(ctx, NodePool{Name: "ver", Nodes: 1, GPUs: 8}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cluster.DeleteNodes(context.Background(), NodePool{Name: "ver", Nodes: 1}) })
	if err := cluster.Gateway(ctx, "llm-d", "llm-d-gateway"); err != nil {
		t.Fatal(err)
	}
	stop := cluster.RunGatewayStandIn(ctx, t.Logf)
	t.Cleanup(stop)
	if err := cluster.Prerequisites(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, o := range cs.Objects {
		if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
			t.Fatal(err)
		}
	}
	w := cs.Workloads()[0]
	if w.GetAPIVersion() != "serving.kserve.io/v1alpha1" {
		t.Fatalf("the golden renders %s; this test's premise is v1alpha1", w.GetAPIVersion())
	}
	ns, name := w.GetNamespace(), w.GetName()
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), LLMISVCGVK, ns, name) })
	if err := cluster.WaitReady(ctx, w, readyTimeout); err != nil {
		t.Fatal(err)
	}

	// With the webhook up: v1alpha1 reads back what was applied (the
	// conversion round-trips every field servelayer sets), and a
	// server-side dry-run re-apply (what Argo CD's server-side diff does)
	// changes nothing.
	v1, err := cluster.Get(ctx, LLMISVCGVK, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := unstructured.NestedMap(w.Object, "spec")
	got, _, _ := unstructured.NestedMap(v1.Object, "spec")
	if !subset(want, got) {
		t.Errorf("v1alpha1 read back differs from the applied spec:\n got %v\nwant %v", got, want)
	}
	v2, err := cluster.Get(ctx, LLMISVC2GVK, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	got2, _, _ := unstructured.NestedMap(v2.Object, "spec")
	if !subset(want, got2) {
		t.Logf("v1alpha2 spec differs from the v1alpha1 one applied (field renames):\n got %v\nwant %v", got2, want)
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
	dry, err := ri.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Fatal(err)
	}
	if dry.GetGeneration() != v1.GetGeneration() {
		t.Errorf("a dry-run re-apply of the same v1alpha1 object changes the generation %d -> %d", v1.GetGeneration(), dry.GetGeneration())
	}

	// The same model applied at v1alpha2 from the start (its managedFields
	// name only v1alpha2).
	v2only := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "serving.kserve.io/v1alpha2", "kind": "LLMInferenceService",
		"metadata": map[string]interface{}{"name": name + "-v2", "namespace": ns},
		"spec":     got2,
	}}
	if _, err := cluster.Apply(ctx, FieldManager, v2only); err != nil {
		t.Fatalf("apply at v1alpha2: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), LLMISVC2GVK, ns, name+"-v2") })

	// The webhook down (the manager stopped, as in an upgrade, a crash loop
	// or a lost certificate).
	cluster.StopLLMISVC()
	t.Cleanup(func() {
		if err := cluster.StartLLMISVC(context.Background()); err != nil {
			t.Errorf("restart the LLMInferenceService manager: %v", err)
		}
	})
	results := map[string]error{}
	_, results["get v1alpha1"] = cluster.Get(ctx, LLMISVCGVK, ns, name)
	var listed []unstructured.Unstructured
	listed, results["list v1alpha1"] = cluster.List(ctx, LLMISVCGVK, ns, metav1.ListOptions{})
	_, results["apply v1alpha1"] = cluster.Apply(ctx, FieldManager, w)
	_, results["get v1alpha2"] = cluster.Get(ctx, LLMISVC2GVK, ns, name)
	_, results["list v1alpha2"] = cluster.List(ctx, LLMISVC2GVK, ns, metav1.ListOptions{})
	v2apply := v2.DeepCopy()
	unstructured.RemoveNestedField(v2apply.Object, "status")
	unstructured.RemoveNestedField(v2apply.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(v2apply.Object, "metadata", "resourceVersion")
	_, results["apply v1alpha2"] = cluster.Apply(ctx, FieldManager, v2apply)
	ri2, err := cluster.resource(LLMISVC2GVK, ns)
	if err != nil {
		t.Fatal(err)
	}
	v2data, err := v2only.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	_, results["dry-run apply v1alpha2-only"] = ri2.Patch(ctx, v2only.GetName(), types.ApplyPatchType, v2data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force, DryRun: []string{metav1.DryRunAll}})
	_, results["get v1alpha2-only"] = cluster.Get(ctx, LLMISVC2GVK, ns, v2only.GetName())
	for _, k := range []string{"get v1alpha1", "list v1alpha1", "apply v1alpha1", "get v1alpha2", "list v1alpha2", "apply v1alpha2", "dry-run apply v1alpha2-only", "get v1alpha2-only"} {
		t.Logf("webhook down: %-15s -> %v", k, orOK(results[k]))
	}
	for _, u := range listed {
		t.Logf("webhook down: list v1alpha1 returned %s %s", u.GetAPIVersion(), u.GetName())
	}
	// get and apply at v1alpha1 need the conversion webhook; so does any
	// apply once a manager has applied at v1alpha1 (server-side apply
	// converts its managedFields); and an apply at v1alpha2 alone, even a
	// dry run (Argo CD's server-side diff), needs KServe's validating
	// webhook, served by the same manager. Reads at v1alpha2, the storage
	// version, need neither.
	for _, k := range []string{"get v1alpha1", "apply v1alpha1", "apply v1alpha2", "dry-run apply v1alpha2-only"} {
		if results[k] == nil {
			t.Errorf("webhook down: %s succeeded; expected the conversion to fail", k)
		}
	}
	for _, k := range []string{"get v1alpha2", "list v1alpha2", "get v1alpha2-only"} {
		if results[k] != nil {
			t.Errorf("webhook down: %s failed: %v", k, results[k])
		}
	}
}

func orOK(err error) string {
	if err == nil {
		return "ok"
	}
	return fmt.Sprintf("error: %v", err)
}
