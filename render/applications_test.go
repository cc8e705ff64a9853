package render_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
)

// TestApplicationsGolden renders the Application of every Platform under
// testdata/applications: expected.yaml for a valid one, diagnostics.txt
// (and no object) for an invalid one.
func TestApplicationsGolden(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/applications/*")
	if err != nil || len(dirs) < 6 {
		t.Fatalf("application cases: %v %v", dirs, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "platform.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			p, errs := decode.Platform(toJSON(t, b))
			if len(errs) > 0 {
				t.Fatalf("platform.yaml: %v", errs)
			}
			before := p.DeepCopy()
			res := render.Applications(p)
			var diags strings.Builder
			for _, d := range res.Diagnostics {
				diags.WriteString(string(d.Severity) + ": " + d.String() + "\n")
			}
			var out []byte
			switch {
			case res.HasErrors() && len(res.Objects) > 0:
				t.Fatalf("errors with objects: %s", diags.String())
			case !res.HasErrors():
				if len(res.Objects) != 1 {
					t.Fatalf("got %d objects, want the one Application", len(res.Objects))
				}
				if out, err = res.YAML(); err != nil {
					t.Fatal(err)
				}
			}
			if strings.HasPrefix(filepath.Base(dir), "bad-") != res.HasErrors() {
				t.Errorf("errors = %v, want them exactly for bad- cases:\n%s", res.HasErrors(), diags.String())
			}
			if strings.Contains(diags.String(), "s3cr3t") {
				t.Errorf("a diagnostic echoes the password: %s", diags.String())
			}
			if before.Spec.ArgoCD != nil && *before.Spec.ArgoCD != *p.Spec.ArgoCD {
				t.Errorf("Applications modified its input: %+v", p.Spec.ArgoCD)
			}
			golden(t, filepath.Join(dir, "expected.yaml"), out)
			golden(t, filepath.Join(dir, "diagnostics.txt"), []byte(diags.String()))
		})
	}
}
