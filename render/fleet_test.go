package render_test

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/yamlout"
	"github.com/servelayer/servelayer/render"
)

// TestFleetWritesWhatRenderFleetReturns: for every golden case, Prepare
// reports RenderFleet's diagnostics, knows each object's identity before
// rendering it, and WriteYAML streams the bytes of Result.YAML; each
// object's AppendYAML and AppendListItem write what go.yaml.in/yaml/v3
// writes for its Node, as servelayer wrote it before the lean writer.
func TestFleetWritesWhatRenderFleetReturns(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/render/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			models, opts := caseInput(t, dir)
			res := render.RenderFleet(models, opts)
			f := render.Prepare(models, opts)
			if !reflect.DeepEqual(f.Diagnostics, res.Diagnostics) {
				t.Fatalf("Prepare's diagnostics differ:\n%v\n%v", f.Diagnostics, res.Diagnostics)
			}
			if f.Len() != len(res.Objects) {
				t.Fatalf("Len %d, RenderFleet rendered %d objects", f.Len(), len(res.Objects))
			}
			var streamed bytes.Buffer
			if err := f.WriteYAML(&streamed); (err == nil) != !res.HasErrors() {
				t.Fatalf("WriteYAML: %v with errors=%v", err, res.HasErrors())
			}
			if res.HasErrors() {
				if streamed.Len() != 0 {
					t.Fatalf("a fleet with errors wrote %d bytes", streamed.Len())
				}
				return
			}
			want, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			if streamed.String() != string(want) {
				t.Fatalf("WriteYAML differs from Result.YAML: %s", corpus.FirstDiff(string(want), streamed.String()))
			}
			for i, o := range res.Objects {
				if ref, model := f.Ref(i); ref != o.Ref || model != o.Model {
					t.Errorf("Ref(%d) = %v of %v, want %v of %v", i, ref, model, o.Ref, o.Model)
				}
				n, err := o.Node()
				if err != nil {
					t.Fatal(err)
				}
				for _, item := range []bool{false, true} {
					ref := n
					got, err := o.AppendYAML(nil)
					if item {
						ref = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n}}
						got, err = o.AppendListItem(nil)
					}
					if err != nil {
						t.Fatal(err)
					}
					var enc bytes.Buffer
					if err := yamlout.Encode(&enc, ref); err != nil {
						t.Fatal(err)
					}
					if string(got) != enc.String() {
						t.Errorf("%s (list item %v): %s", o.Ref, item, corpus.FirstDiff(enc.String(), string(got)))
					}
				}
			}
		})
	}
}
