package decode

import (
	"fmt"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/corpus"
)

// aliasDoc is a document with one anchored string of size bytes, aliased n
// times in a list.
func aliasDoc(size, n int) string {
	var b strings.Builder
	b.WriteString("args:\n- &a \"" + strings.Repeat("A", size) + "\"\n")
	for range n {
		b.WriteString("- *a\n")
	}
	return b.String()
}

func parseNode(t *testing.T, doc string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

// TestAliasBytesBounded: a large anchored string aliased thousands of times
// is few nodes (well under MaxAliasExpansion) and gigabytes once expanded.
// It is refused at the alias that crosses MaxAliasBytes, and the
// conversion allocates about MaxAliasBytes, not the expansion.
func TestAliasBytesBounded(t *testing.T) {
	n := parseNode(t, aliasDoc(1<<20, 3000)) // 3 GiB expanded
	var errs []string
	alloc := corpus.Allocated(func() {
		_, es := YAMLNodeToJSON(n)
		for _, e := range es {
			errs = append(errs, e.Error())
		}
	})
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %v", len(errs), errs)
	}
	for _, want := range []string{"args[8]", `"*a"`, fmt.Sprint(MaxAliasBytes), "bytes"} {
		if !strings.Contains(errs[0], want) {
			t.Errorf("error lacks %q: %s", want, errs[0])
		}
	}
	// The output buffer grows by doubling up to just over MaxAliasBytes
	// plus the 1 MiB anchor: a few times MaxAliasBytes, never gigabytes.
	if limit := uint64(8 * MaxAliasBytes); alloc > limit {
		t.Errorf("converting allocated %d bytes, want at most %d", alloc, limit)
	}
}

// TestAliasBytesWithinLimit: aliases adding up to MaxAliasBytes convert.
func TestAliasBytesWithinLimit(t *testing.T) {
	const size = 1 << 20
	n := MaxAliasBytes/(size+3) - 1 // each alias adds the string, its quotes and a comma
	out, errs := YAMLNodeToJSON(parseNode(t, aliasDoc(size, n)))
	if len(errs) > 0 {
		t.Fatalf("%d aliases of %d bytes refused: %v", n, size, errs)
	}
	if len(out) < n*size {
		t.Fatalf("output is %d bytes, want at least %d", len(out), n*size)
	}
}

// TestAliasBudgetShared: documents converted with one AliasBudget share
// MaxAliasBytes, so many items of one ResourceList aliasing one anchor
// cannot each add the limit.
func TestAliasBudgetShared(t *testing.T) {
	const size = 1 << 20
	doc := parseNode(t, aliasDoc(size, 3)) // about 3 MiB added
	var b AliasBudget
	refusedAt := -1
	for i := range 10 {
		if _, errs := YAMLNodeToJSONWithin(doc, &b); len(errs) > 0 {
			refusedAt = i
			break
		}
	}
	// 3 MiB each: the first two fit in 8 MiB, the third does not.
	if refusedAt != 2 {
		t.Fatalf("refused at document %d, want 2 (used %d)", refusedAt, b.Used())
	}
	// Without sharing, each document is within the limit.
	for range 10 {
		if _, errs := YAMLNodeToJSON(doc); len(errs) > 0 {
			t.Fatalf("one document alone refused: %v", errs)
		}
	}
}

// TestMergeBytesBounded: values merged in with "<<" count like aliases.
func TestMergeBytesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("base: &b {v: \"" + strings.Repeat("A", 1<<20) + "\"}\n")
	for i := range 20 {
		fmt.Fprintf(&b, "m%d: {<<: *b}\n", i)
	}
	_, errs := YAMLNodeToJSON(parseNode(t, b.String()))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "bytes") {
		t.Fatalf("want one error about bytes, got %v", errs)
	}
}
