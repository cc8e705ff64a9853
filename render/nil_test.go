package render_test

import (
	"testing"

	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// A nil model is an error at its fleet index, never a panic.
func TestNilModelIsAnError(t *testing.T) {
	for _, res := range []*render.Result{
		render.Render(nil, render.Options{}),
		render.RenderFleet([]*schema.ServedModel{nil}, render.Options{}),
	} {
		errs := res.Errors()
		if len(errs) != 1 || errs[0].Field != "items[0]" || len(res.Objects) != 0 {
			t.Errorf("got %v, %d objects; want one error at items[0] and no objects", errs, len(res.Objects))
		}
	}
}
