package render

import (
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/schema"
)

// TestKindOrderCoversEveryKind renders every valid input of the repository
// on every layer and requires each rendered kind to have a rank in
// kindOrder: an unranked kind would sort first, silently, and the order
// README documents would be wrong.
func TestKindOrderCoversEveryKind(t *testing.T) {
	valid, err := corpus.Valid("..")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for name, b := range valid {
		var models []*schema.ServedModel
		for _, doc := range corpus.Documents(b) {
			m, errs := decode.ServedModelYAML([]byte(doc))
			if len(errs) == 0 && m.Kind == schema.KindModel {
				models = append(models, m)
			}
		}
		for _, l := range schema.Layers {
			for _, o := range RenderFleet(models, Options{Layer: l}).Objects {
				seen[o.Ref.Kind] = true
				if kindOrder[o.Ref.Kind] == 0 {
					t.Errorf("%s on %s renders %s, which kindOrder does not rank", name, l, o.Ref.Kind)
				}
			}
		}
	}
	if len(seen) < 6 {
		t.Errorf("rendered only %v; the check covers too little", seen)
	}
}
