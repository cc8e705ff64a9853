package layers_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/schema"
)

// TestRegistry: one home per concrete layer, in schema.Layers order (auto's
// preference), each with a gate that is a real Platform field and that
// Enable turns on, and its own default namespace.
func TestRegistry(t *testing.T) {
	var names []schema.Layer
	for _, h := range layers.All() {
		names = append(names, h.Name())
	}
	if !slices.Equal(names, schema.Layers) {
		t.Fatalf("registry %v, want schema.Layers %v", names, schema.Layers)
	}
	if _, ok := layers.Get(schema.LayerAuto); ok {
		t.Error("auto has a home: it must be resolved to a concrete layer first")
	}
	p := schema.DefaultPlatform()
	namespaces := map[string]bool{}
	for _, h := range layers.All() {
		ns := h.Namespace(&p.Spec)
		if ns == "" || namespaces[ns] {
			t.Errorf("%s: default namespace %q empty or shared", h.Name(), ns)
		}
		namespaces[ns] = true
		spec := p.Spec.DeepCopy()
		spec.Features = schema.Features{}
		if h.Gate() == "" {
			if !h.Enabled(spec) {
				t.Errorf("%s has no gate but is not always on", h.Name())
			}
			continue
		}
		if h.Enabled(spec) {
			t.Errorf("%s: enabled with every gate off", h.Name())
		}
		h.Enable(spec)
		b, _ := json.Marshal(spec.Features)
		var features map[string]bool
		if err := json.Unmarshal(b, &features); err != nil || !features[h.Gate()] || len(features) != 1 || !h.Enabled(spec) {
			t.Errorf("%s: Enable sets %s, want only spec.features.%s", h.Name(), b, h.Gate())
		}
	}
}
