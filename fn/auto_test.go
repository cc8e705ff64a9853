package fn_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
)

// TestAutoLayerInfoResult: layer auto's choice and reason come back as an
// info result at spec.layer, and the objects carry the chosen layer.
func TestAutoLayerInfoResult(t *testing.T) {
	in := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: servelayer.dev/v1alpha1
  kind: ServedModel
  metadata: {name: qwen}
  spec:
    layer: auto
    model: {name: Qwen/Qwen2.5-0.5B-Instruct, source: {pvc: {claimName: model-cache, path: qwen}}}
    resources: {cpu: "4", memory: 16Gi, gpus: 1}
    scaling: {minReplicas: 1, maxReplicas: 3}
`
	var out bytes.Buffer
	if _, err := fn.Run(&kio.ByteReadWriter{Reader: strings.NewReader(in), Writer: &out}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"kind: InferenceService",
		"servelayer.dev/layer: kserve",
		"namespace: kserve",
		"message: 'layer auto chose kserve (rule autoscaling): spec.scaling is set without spec.scaling.metric: raw-vllm scales only through KEDA on a load metric: a replica range without spec.scaling.metric has nothing to scale on'",
		"severity: info",
		"path: spec.layer",
		"currentValue: auto",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
