package fn_test

import (
	"os"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/internal/corpus"
)

// passthrough items with comments, block scalars and flow style, which the
// function must hand back exactly as it got them.
const passthroughItems = `# The namespace the raw-vllm models land in.
apiVersion: v1
kind: Namespace
metadata:
  name: serving # a trailing comment
---
apiVersion: v1
kind: Secret
metadata:
  name: hf-token
  namespace: serving
  annotations: {team: ml, note: "flow style stays flow style"}
type: Opaque
stringData:
  # a comment inside the data
  script: |
    #!/bin/sh
    echo "a block scalar, kept verbatim"
  token: "not-a-real-token"
---
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: pkg
  annotations:
    config.kubernetes.io/local-config: "true"
`

func fleetInput(t *testing.T) []byte {
	t.Helper()
	models, err := os.ReadFile("../examples/fleet/models.yaml")
	if err != nil {
		t.Fatal(err)
	}
	platform, err := os.ReadFile("../examples/fleet/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return corpus.ResourceListFor([]byte(passthroughItems+"---\n"+string(models)), platform)
}

// itemsText is the raw items section of a ResourceList the function wrote
// (it writes items first, then functionConfig and results).
func itemsText(t *testing.T, out []byte) string {
	t.Helper()
	s := string(out)
	i := strings.Index(s, "\nfunctionConfig:")
	if i < 0 || !strings.HasPrefix(s, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n") {
		t.Fatalf("unexpected output layout:\n%s", s)
	}
	return s[:i]
}

// TestTransformerIdempotentOnFleet runs the transformer on the fleet with
// passthrough items, then on its own output, twice, as kpt may: the items
// must not change by a single byte, and every passthrough item must come
// out as it went in, comments included.
func TestTransformerIdempotentOnFleet(t *testing.T) {
	out1, err := runBytes(fleetInput(t))
	if err != nil {
		t.Fatalf("%v\n%s", err, out1)
	}
	items1 := itemsText(t, out1)
	for _, kind := range []string{"kind: Deployment", "kind: InferenceService", "kind: LLMInferenceService", "kind: ConfigMap"} {
		if !strings.Contains(items1, kind) {
			t.Fatalf("first run did not render %s:\n%s", kind, items1)
		}
	}
	if strings.Contains(items1, "kind: ServedModel") {
		t.Fatalf("a ServedModel survived the transformer:\n%s", items1)
	}
	// Each passthrough item appears verbatim (indented as an item).
	for _, doc := range corpus.Documents([]byte(passthroughItems)) {
		lines := strings.Split(doc, "\n")
		want := "- " + strings.Join(lines, "\n  ")
		if !strings.Contains(items1, want) {
			t.Errorf("passthrough item changed; want verbatim:\n%s\ngot:\n%s", want, items1)
		}
	}

	prev := out1
	for run := 2; run <= 3; run++ {
		out, err := runBytes(prev)
		if err != nil {
			t.Fatalf("run %d on its own output: %v\n%s", run, err, out)
		}
		if got := itemsText(t, out); got != items1 {
			t.Fatalf("run %d changed the items:\n%s", run, corpus.FirstDiff(items1, got))
		}
		if !strings.Contains(string(out), "no ServedModel items to render; items pass through unchanged") {
			t.Errorf("run %d: missing the info result:\n%s", run, out)
		}
		prev = out
	}
}

// TestGeneratorIdempotent: a generator run on its own output (kpt writes
// the output back to the package) replaces its own objects in place
// rather than appending duplicates.
func TestGeneratorIdempotent(t *testing.T) {
	models, err := os.ReadFile("../examples/raw-vllm/qwen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Replace(string(corpus.ResourceListFor(models, nil)), "items: []\n",
		"items:\n- apiVersion: v1\n  kind: ConfigMap # keep this comment\n  metadata: {name: unrelated, namespace: serving}\n", 1)
	out1, err := runBytes([]byte(in))
	if err != nil {
		t.Fatalf("%v\n%s", err, out1)
	}
	out2, err := runBytes(out1)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out2)
	}
	if a, b := itemsText(t, out1), itemsText(t, out2); a != b {
		t.Fatalf("the generator changed its own output:\n%s", corpus.FirstDiff(a, b))
	}
	if n := strings.Count(itemsText(t, out2), "kind: Deployment"); n != 1 {
		t.Errorf("%d Deployments after two runs, want 1", n)
	}
	if !strings.Contains(string(out2), "kind: ConfigMap # keep this comment") {
		t.Errorf("the passthrough item lost its comment:\n%s", out2)
	}
}

// TestRenderedObjectCollidingWithAnItem: an item that is not servelayer's
// own earlier output but has the identity of a rendered object is an
// error, not a silent replacement.
func TestRenderedObjectCollidingWithAnItem(t *testing.T) {
	in := strings.Replace(resourceList("raw-vllm", "true"), "  kind: ConfigMap\n  metadata:\n    name: unrelated # a comment the function must keep\n    namespace: default\n",
		"  kind: Service\n  metadata:\n    name: qwen # hand-written\n    namespace: serving\n", 1)
	out, err := run(t, in)
	if err == nil {
		t.Fatalf("a rendered Service replaced a hand-written one:\n%s", out)
	}
	for _, want := range []string{"path: metadata.name", `Duplicate value: "qwen"`, "renders Service serving/qwen, which is also an input item"} {
		if !strings.Contains(out, want) {
			t.Errorf("results lack %q:\n%s", want, out)
		}
	}
}

// TestNoEmptySuccess: whatever reaches the function, it never succeeds
// with nothing to output.
func TestNoEmptySuccess(t *testing.T) {
	const platform = "functionConfig:\n  apiVersion: servelayer.dev/v1alpha1\n  kind: Platform\n  metadata: {name: lab}\n"
	const header = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
	for _, tc := range []struct {
		name, in string
		ok       bool
		want     []string
	}{
		{"empty stdin", "", false, []string{"path: functionConfig", "none"}},
		{"transformer, no items at all", header + "items: []\n" + platform, false, []string{"path: items", "no ServedModel (and no other object)"}},
		{"transformer, items key missing", header + platform, false, []string{"path: items"}},
		{"transformer, only local config", header + "items:\n" + kptfile + platform, false, []string{"path: items"}},
		{"transformer, no models but other items (idempotency)", header + "items:\n" + passthroughConfigMap + platform, true, []string{"no ServedModel items to render; items pass through unchanged"}},
		{"not a ResourceList", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", false, []string{"path: functionConfig"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runBytes([]byte(tc.in))
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v\n%s", err, tc.ok, out)
			}
			if !strings.HasPrefix(string(out), "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n") {
				t.Errorf("stdout is not a ResourceList:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tc.ok && !strings.Contains(itemsText(t, out), "kind: ConfigMap") {
				t.Errorf("the items did not pass through:\n%s", out)
			}
		})
	}
}
