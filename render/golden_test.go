package render_test

import (
	"bytes"
	"flag"
	goldenfile "github.com/servelayer/servelayer/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/render")

// TestGolden renders every case under testdata/render. A case folder holds:
//
//	model.yaml        one or more ServedModels (a fleet when several)
//	platform.yaml     optional Platform
//	layer             optional layer override (as --layer)
//	expected.yaml     the rendered objects (absent when the case must fail)
//	diagnostics.txt   every diagnostic, one per line
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/render/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res := renderCase(t, dir)
			var diags strings.Builder
			for _, d := range res.Diagnostics {
				diags.WriteString(string(d.Severity) + ": " + d.String() + "\n")
			}
			var objects []byte
			if len(res.Objects) > 0 {
				objects, err = res.YAML()
				if err != nil {
					t.Fatal(err)
				}
			}
			if res.HasErrors() && len(res.Objects) > 0 {
				t.Fatalf("errors with a partial render: %s", diags.String())
			}
			if !res.HasErrors() && len(res.Objects) == 0 {
				t.Fatalf("empty success")
			}
			golden(t, filepath.Join(dir, "expected.yaml"), objects)
			golden(t, filepath.Join(dir, "diagnostics.txt"), []byte(diags.String()))
		})
	}
}

func renderCase(t *testing.T, dir string) *render.Result {
	t.Helper()
	return render.RenderFleet(caseInput(t, dir))
}

// caseInput reads a case's models and options.
func caseInput(t *testing.T, dir string) ([]*schema.ServedModel, render.Options) {
	t.Helper()
	var opts render.Options
	if b, err := os.ReadFile(filepath.Join(dir, "platform.yaml")); err == nil {
		p, errs := decode.Platform(toJSON(t, b))
		if len(errs) > 0 {
			t.Fatalf("platform.yaml: %v", errs)
		}
		opts.Platform = p
	}
	if b, err := os.ReadFile(filepath.Join(dir, "layer")); err == nil {
		opts.Layer = schema.Layer(strings.TrimSpace(string(b)))
	}
	b, err := os.ReadFile(filepath.Join(dir, "model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var models []*schema.ServedModel
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		m, errs := decode.ServedModel(toJSON(t, doc))
		if len(errs) > 0 {
			t.Fatalf("model.yaml: %v", errs)
		}
		models = append(models, m)
	}
	return models, opts
}

func toJSON(t *testing.T, y []byte) []byte {
	t.Helper()
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// golden compares got with a golden file; an empty got means the file
// must not exist. -update rewrites it.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got, *update, "go test ./render -update")
}
