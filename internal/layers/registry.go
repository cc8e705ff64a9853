// Package layers is the registry of serving layers: the one place that
// lists their homes. Adding a layer is a new home below internal/layer and
// one line here (see the README's Design section).
package layers

import (
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/internal/layer/kserve"
	"github.com/servelayer/servelayer/internal/layer/llmd"
	"github.com/servelayer/servelayer/internal/layer/rawvllm"
	"github.com/servelayer/servelayer/schema"
)

// registry is in schema.Layers order, which is also layer auto's order of
// preference when several layers can serve a model.
var registry = []layer.Layer{
	rawvllm.Layer{},
	kserve.Layer{},
	llmd.Layer{},
}

// Get returns the home of a concrete layer; ok is false for auto or an
// unknown value.
func Get(l schema.Layer) (layer.Layer, bool) {
	for _, h := range registry {
		if h.Name() == l {
			return h, true
		}
	}
	return nil, false
}

// MustGet is Get for a layer validation has already accepted.
func MustGet(l schema.Layer) layer.Layer {
	h, ok := Get(l)
	if !ok {
		panic("servelayer: no home for layer " + string(l))
	}
	return h
}

// All returns every layer's home, in preference order.
func All() []layer.Layer { return append([]layer.Layer(nil), registry...) }

// GateField is the Platform field of a layer's feature gate, or "" when
// the layer is always on.
func GateField(l schema.Layer) string {
	if h, ok := Get(l); ok && h.Gate() != "" {
		return "spec.features." + h.Gate()
	}
	return ""
}
