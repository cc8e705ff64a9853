package render_test

import (
	"strings"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// TestGoAPINoEmptySuccess: the library never reports success with no
// objects, and never writes an empty YAML stream.
func TestGoAPINoEmptySuccess(t *testing.T) {
	for name, models := range map[string][]*schema.ServedModel{"nil": nil, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			res := render.RenderFleet(models, render.Options{})
			if !res.HasErrors() || len(res.Objects) != 0 {
				t.Fatalf("want an error and no objects, got %d objects, %v", len(res.Objects), res.Diagnostics)
			}
			for _, d := range res.Errors() {
				if d.Field == "" {
					t.Errorf("error without a field path: %s", d)
				}
			}
			if out, err := res.YAML(); err == nil || len(out) != 0 {
				t.Errorf("YAML() of a failed render = %q, %v; want an error", out, err)
			}
		})
	}
	// An invalid model: errors, no objects, and YAML() refuses.
	m, errs := decode.ServedModelYAML([]byte("apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\nmetadata: {name: q}\nspec: {layer: gke}\n"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res := render.Render(m, render.Options{})
	if !res.HasErrors() || len(res.Objects) != 0 {
		t.Fatalf("an invalid model rendered %d objects", len(res.Objects))
	}
	if _, err := res.YAML(); err == nil || !strings.Contains(err.Error(), "no objects") {
		t.Errorf("YAML() of a failed render: %v", err)
	}
}
