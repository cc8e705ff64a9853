package render_test

import (
	"fmt"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// BenchmarkRenderFleet renders fleets of 100 and 1,000 models (decoded
// once) to YAML: the library's cost without parsing.
func BenchmarkRenderFleet(b *testing.B) {
	p, errs := decode.PlatformYAML([]byte(corpus.FleetPlatform))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	for _, n := range []int{100, 1000} {
		var models []*schema.ServedModel
		for _, doc := range corpus.Documents(corpus.Fleet(n)) {
			m, errs := decode.ServedModelYAML([]byte(doc))
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			models = append(models, m)
		}
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			for b.Loop() {
				res := render.RenderFleet(models, render.Options{Platform: p})
				if _, err := res.YAML(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
