package render_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// BenchmarkRenderFleet renders fleets (decoded once) to YAML, streaming
// (Prepare, then Fleet.WriteYAML): the library's cost without reading or
// decoding the input.
func BenchmarkRenderFleet(b *testing.B) {
	p, errs := decode.PlatformYAML([]byte(corpus.FleetPlatform))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	for _, n := range []int{100, 1000, 10000} {
		var models []*schema.ServedModel
		for _, doc := range corpus.Documents(corpus.Fleet(n)) {
			m, errs := decode.ServedModelYAML([]byte(doc))
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			models = append(models, m)
		}
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := render.Prepare(models, render.Options{Platform: p}).WriteYAML(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/model")
		})
	}
}
