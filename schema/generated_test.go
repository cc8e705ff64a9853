package schema_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servelayer/servelayer/internal/specdoc"
	"github.com/servelayer/servelayer/schema"
)

// TestCRDsAreFresh regenerates the CRDs with the pinned controller-gen and
// compares them with the checked-in ones.
func TestCRDsAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen")
	}
	out := t.TempDir()
	cmd := exec.Command("go", "run", "sigs.k8s.io/controller-tools/cmd/controller-gen@v0.19.0",
		"crd:crdVersions=v1", "paths=./...", "output:crd:artifacts:config="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, b)
	}
	gen, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	have, _ := filepath.Glob("crd/*.yaml")
	if len(gen) == 0 || len(gen) != len(have) {
		t.Fatalf("controller-gen wrote %d CRDs, %d checked in", len(gen), len(have))
	}
	for _, g := range gen {
		want, err := os.ReadFile(filepath.Join("crd", filepath.Base(g)))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(g)
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("crd/%s is stale; run make generate (-checked in +generated):\n%s", filepath.Base(g), diff)
		}
	}
}

// TestReadmeSpecReference keeps the README's spec reference in sync.
func TestReadmeSpecReference(t *testing.T) {
	section, err := specdoc.Markdown(schema.CRDs())
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := specdoc.Splice(string(readme), section)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(readme)); diff != "" {
		t.Errorf("README spec reference is stale; run make docs (-generated +README):\n%s", diff)
	}
}

// TestLibraryStaysLean guards the library's import graph.
func TestLibraryStaysLean(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../render", "../schema", "../decode").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"github.com/kserve/kserve", "sigs.k8s.io/controller-runtime", "knative.dev", "sigs.k8s.io/kustomize", "k8s.io/api/"} {
		for _, line := range strings.Fields(string(out)) {
			if strings.HasPrefix(line, banned) {
				t.Errorf("render/schema/decode import %s", line)
			}
		}
	}
}
