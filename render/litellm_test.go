package render_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/render"
)

// TestLiteLLMFleetForm: with Platform spec.litellm.configMap, the routed
// models share one ConfigMap whatever their input order, and no per-model
// ConfigMap is rendered; a render of some of the fleet's models omits it
// with an info result rather than publish a model_list missing the rest.
func TestLiteLLMFleetForm(t *testing.T) {
	models, opts := caseInput(t, "../testdata/render/litellm-fleet")
	whole := render.RenderFleet(models, opts)
	if whole.HasErrors() {
		t.Fatal(whole.Errors())
	}
	want, err := whole.YAML()
	if err != nil {
		t.Fatal(err)
	}
	var cms []string
	for _, o := range whole.Objects {
		if o.Ref.Kind == "ConfigMap" {
			cms = append(cms, o.Ref.String())
		}
	}
	if !slices.Equal(cms, []string{"ConfigMap litellm/litellm-config"}) {
		t.Errorf("ConfigMaps %v, want only the fleet's", cms)
	}

	reversed := slices.Clone(models)
	slices.Reverse(reversed)
	got, err := render.RenderFleet(reversed, opts).YAML()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Error("the fleet ConfigMap depends on the order of the models")
	}

	some := opts
	some.FleetSize = len(models)
	part := render.RenderFleet(models[:1], some)
	for _, o := range part.Objects {
		if o.Ref.Kind == "ConfigMap" {
			t.Errorf("a render of 1 of %d models rendered %s", len(models), o.Ref)
		}
	}
	var said bool
	for _, d := range part.Diagnostics {
		said = said || d.Severity == render.Info && d.Field == "spec.litellm.configMap" && strings.Contains(d.Message, "render the whole fleet")
	}
	if !said {
		t.Errorf("no info result says the fleet ConfigMap was omitted: %v", part.Diagnostics)
	}
}
