package fn

import (
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestMergeOutputRefusesNoObjects covers the guard no input can reach
// today: a render without errors and without objects is an error.
func TestMergeOutputRefusesNoObjects(t *testing.T) {
	fc := yaml.MustParse("apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\nmetadata: {name: qwen}\n")
	items := []*yaml.RNode{yaml.MustParse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")}
	out, results := mergeOutput(fc, items, nil, nil)
	if !hasError(results) || len(results) != 1 || results[0].Field == nil || results[0].Field.Path != "spec" {
		t.Fatalf("want one error result at spec, got %v", results)
	}
	if !strings.Contains(results[0].Message, "rendered no objects") || out != nil {
		t.Errorf("got %q and an output %v; want the items left as they are", results[0].Message, out)
	}
}
