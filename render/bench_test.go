package render_test

import (
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

func benchModel(b *testing.B, name string, layer schema.Layer) *schema.ServedModel {
	b.Helper()
	m, errs := decode.ServedModel([]byte(qwenSpec))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	m.Name = name
	m.Spec.Layer = layer
	m.Spec.Routing.Alias = name
	if layer == schema.LayerLLMD {
		one := int32(1)
		m.Spec.Disaggregation = &schema.Disaggregation{Prefill: schema.Pool{Replicas: &one}, Decode: schema.Pool{Replicas: &one}}
	}
	return m
}

// BenchmarkRender renders one model per layer to YAML: the library's cost
// of one model. Fleets: BenchmarkRenderFleet, and cmd/servelayer's
// BenchmarkFleet for whole renders beside their floor.
func BenchmarkRender(b *testing.B) {
	p := schema.DefaultPlatform()
	p.Spec.Features = schema.Features{KServe: true, LLMD: true}
	for _, l := range schema.Layers {
		b.Run(string(l), func(b *testing.B) {
			m := benchModel(b, "qwen", l)
			b.ReportAllocs()
			for b.Loop() {
				res := render.Render(m, render.Options{Platform: p})
				if res.HasErrors() || len(res.Objects) == 0 {
					b.Fatal(res.Diagnostics)
				}
				if _, err := res.YAML(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
