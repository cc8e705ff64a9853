package specdoc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/servelayer/servelayer/internal/specdoc"
	"github.com/servelayer/servelayer/schema"
)

const root = "../.."

// TestReadmeGeneratedSections keeps every generated README section (spec
// reference, field-versus-layer rules, layer auto's table) fresh, so no
// rule lacks its README line and no README line outlives its rule.
func TestReadmeGeneratedSections(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := specdoc.Readme(string(readme), root, schema.CRDs())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(readme)); diff != "" {
		t.Errorf("README's generated sections are stale; run make docs (-generated +README):\n%s", diff)
	}
	for _, r := range schema.Rules() {
		if n := strings.Count(string(readme), "- `"+r.ID+"`: "); n != 1 {
			t.Errorf("README lists rule %s %d times, want once", r.ID, n)
		}
	}
}

// TestEveryRuleHasItsCase: each row of schema.Rules has exactly one golden
// case testdata/render/rule-<ID> showing it, and each such case has a row.
func TestEveryRuleHasItsCase(t *testing.T) {
	examples, err := specdoc.RuleExamples(root)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range schema.Rules() {
		if ids[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		ids[r.ID] = true
		if examples[r.ID] == "" {
			t.Errorf("rule %s: its golden case shows no message", r.ID)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(root, "testdata", "render", "rule-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if id := strings.TrimPrefix(filepath.Base(d), "rule-"); !ids[id] {
			t.Errorf("%s: no row of schema.Rules has ID %s", d, id)
		}
	}
	if len(dirs) != len(ids) {
		t.Errorf("%d rule cases for %d rules", len(dirs), len(ids))
	}
}
