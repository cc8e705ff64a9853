package fn_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/input"
)

// TestFleetOf10000Models: a 10,000-model fleet fits the input cap and
// renders, through the function, every object it should. No time is
// asserted; `make bench` and the README's figures (measured with
// /usr/bin/time -v) cover speed and memory.
func TestFleetOf10000Models(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 10,000 models")
	}
	const n = 10_000
	in := corpus.ResourceListFor(corpus.Fleet(n), []byte(corpus.FleetPlatform))
	if len(in) >= input.MaxInputBytes/2 {
		t.Errorf("a %d-model fleet is %d bytes: less than half the %d-byte cap was promised", n, len(in), input.MaxInputBytes)
	}
	t.Logf("%d models: %d bytes of input", n, len(in))
	var out bytes.Buffer
	results, err := fn.Run(&kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: &out, KeepReaderAnnotations: true})
	if err != nil {
		t.Fatalf("%v (%d results)", err, len(results))
	}
	// Fleet cycles raw-vllm (Deployment, Service, ConfigMap), kserve
	// (InferenceService, ConfigMap) and llm-d (LLMInferenceService,
	// ConfigMap).
	raw := (n + 2) / 3 // models 0, 3, 6, ...
	want := map[string]int{
		"kind: Deployment": raw, "kind: Service": raw, "kind: ConfigMap": n,
		"kind: InferenceService": (n + 1) / 3, "kind: LLMInferenceService": n / 3,
	}
	items := out.String()[:strings.Index(out.String(), "\nfunctionConfig:")]
	for k, w := range want {
		if got := strings.Count(items, "\n  "+k+"\n"); got != w {
			t.Errorf("%s: %d objects, want %d", k, got, w)
		}
	}
}

// BenchmarkFunctionFleet is the function over a 1,000-model fleet.
func BenchmarkFunctionFleet(b *testing.B) {
	in := corpus.ResourceListFor(corpus.Fleet(1000), []byte(corpus.FleetPlatform))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var out bytes.Buffer
		if _, err := fn.Run(&kio.ByteReadWriter{Reader: bytes.NewReader(in), Writer: &out, KeepReaderAnnotations: true}); err != nil {
			b.Fatal(err)
		}
	}
}
