package conformance

import (
	"os"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func TestMain(m *testing.M) {
	// KServe's webhook code logs through controller-runtime; its logs are
	// not test output.
	ctrllog.SetLogger(logr.Discard())
	os.Exit(m.Run())
}

var (
	inputsOnce sync.Once
	inputDocs  []Doc
	inputsErr  error
	repoRoot   string
)

// inputs returns every rendered document. A glob without files is reported
// by TestInputs; here it only fails the caller when nothing was loaded.
func inputs(t *testing.T) []Doc {
	t.Helper()
	inputsOnce.Do(func() {
		repoRoot, inputsErr = RepoRoot()
		if inputsErr != nil {
			return
		}
		inputDocs, inputsErr = LoadInputs(repoRoot)
	})
	if len(inputDocs) == 0 {
		t.Fatalf("no rendered object to check: %v", inputsErr)
	}
	return inputDocs
}

func root(t *testing.T) string {
	t.Helper()
	inputs(t)
	return repoRoot
}

// docsOf returns the inputs of one kind.
func docsOf(t *testing.T, kinds ...string) []Doc {
	t.Helper()
	var out []Doc
	for _, d := range inputs(t) {
		for _, k := range kinds {
			if d.GVK.Kind == k {
				out = append(out, d)
			}
		}
	}
	return out
}

// fixture returns the named fixture document (file base name and kind/name).
func fixture(t *testing.T, file, kind, name string) Doc {
	t.Helper()
	for _, d := range inputs(t) {
		if d.Source == "conformance/testdata/fixtures/"+file && d.GVK.Kind == kind && d.Name == name {
			return d
		}
	}
	t.Fatalf("fixture %s %s/%s not found", file, kind, name)
	return Doc{}
}
