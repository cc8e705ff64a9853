package fn_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
)

func run(t *testing.T, in string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	_, err := fn.Run(&kio.ByteReadWriter{Reader: strings.NewReader(in), Writer: &out, KeepReaderAnnotations: true})
	return out.String(), err
}

const passthroughConfigMap = `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: unrelated # a comment the function must keep
    namespace: default
    annotations:
      internal.config.kubernetes.io/path: 'unrelated.yaml'
      internal.config.kubernetes.io/index: '0'
  data:
    # keep me too
    key: value
`

const kptfile = `- apiVersion: kpt.dev/v1
  kind: Kptfile
  metadata:
    name: pkg
    annotations:
      config.kubernetes.io/local-config: "true"
`

const modelItem = `- apiVersion: servelayer.dev/v1alpha1
  kind: ServedModel
  metadata:
    name: qwen
    annotations:
      internal.config.kubernetes.io/path: 'models/qwen.yaml'
      internal.config.kubernetes.io/index: '0'
  spec:
    layer: %LAYER%
    model:
      name: Qwen/Qwen2.5-0.5B-Instruct
      source:
        pvc: {claimName: model-cache, path: qwen}
    resources: {cpu: "4", memory: 16Gi, gpus: 1}
`

const platformConfig = `functionConfig:
  apiVersion: servelayer.dev/v1alpha1
  kind: Platform
  metadata:
    name: lab
    annotations:
      config.kubernetes.io/function: |
        exec: {path: servelayer}
      config.kubernetes.io/local-config: "true"
  spec:
    features: {kserve: %KSERVE%, llmd: true}
    gpus: 2
`

func resourceList(layer, kserve string) string {
	return "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" +
		passthroughConfigMap + kptfile + strings.ReplaceAll(modelItem, "%LAYER%", layer) +
		strings.ReplaceAll(platformConfig, "%KSERVE%", kserve)
}

func TestTransformerReplacesModelsAndPassesOthersThrough(t *testing.T) {
	out, err := run(t, resourceList("kserve", "true"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{
		"name: unrelated # a comment the function must keep",
		"# keep me too",
		"internal.config.kubernetes.io/path: 'unrelated.yaml'",
		"kind: Kptfile",
		"kind: InferenceService",
		"kind: Kptfile\n  metadata:\n    name: pkg\n    annotations:\n      config.kubernetes.io/local-config: \"true\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "kind: ServedModel") {
		t.Errorf("the ServedModel item was not replaced:\n%s", out)
	}
	items := out[strings.Index(out, "kind: InferenceService"):strings.Index(out, "functionConfig:")]
	for _, leaked := range []string{"config.kubernetes.io/function", "local-config", "models/qwen.yaml"} {
		if strings.Contains(items, leaked) {
			t.Errorf("generated object carries %s:\n%s", leaked, items)
		}
	}
}

func TestTransformerIsIdempotent(t *testing.T) {
	once, err := run(t, resourceList("llm-d", "true"))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := run(t, once)
	if err != nil {
		t.Fatal(err)
	}
	// The second run adds only an info result saying there was nothing to render.
	strip := func(s string) string {
		if i := strings.Index(s, "results:"); i >= 0 {
			return s[:i]
		}
		return s
	}
	if strip(once) != strip(twice) {
		t.Errorf("second run changed the items:\n--- once\n%s\n--- twice\n%s", once, twice)
	}
}

func TestErrorResultsNameFieldFileAndObject(t *testing.T) {
	out, err := run(t, resourceList("kserve", "false"))
	if err == nil {
		t.Fatalf("a disabled layer rendered:\n%s", out)
	}
	for _, want := range []string{
		"severity: error",
		"resourceRef:",
		"kind: ServedModel",
		"name: qwen",
		"path: spec.layer",
		"path: models/qwen.yaml",
		`layer "kserve" is disabled by the Platform`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("results lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "kind: InferenceService") {
		t.Errorf("partial render on error:\n%s", out)
	}
	if !strings.Contains(out, "kind: ServedModel") {
		t.Errorf("on error the items must come back unchanged:\n%s", out)
	}
}

func TestGeneratorAppendsObjects(t *testing.T) {
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + passthroughConfigMap +
		"functionConfig:\n" + strings.ReplaceAll(strings.ReplaceAll(modelItem, "%LAYER%", "raw-vllm"), "- apiVersion", "  apiVersion")
	out, err := run(t, in)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"name: unrelated # a comment the function must keep", "kind: Deployment", "kind: Service"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUnknownFunctionConfigIsAnError(t *testing.T) {
	out, err := run(t, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: x}\n")
	if err == nil || !strings.Contains(out, "path: functionConfig") {
		t.Fatalf("want a functionConfig error, got %v:\n%s", err, out)
	}
}
