package fn

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/input"
)

// writerSeeds are ResourceLists and streams: every valid input of the
// repository (bare, as a generator and as a transformer), every bad-input
// case, and the function's output on all of them.
func writerSeeds(t testing.TB) [][]byte {
	t.Helper()
	valid, err := corpus.Valid("..")
	if err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	keys := make([]string, 0, len(valid))
	for k := range valid {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		seeds = append(seeds, valid[k], corpus.ResourceListFor(valid[k], nil), corpus.ResourceListFor(valid[k], []byte(corpus.DefaultPlatform)))
	}
	bad, err := corpus.LoadBad("../testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bad {
		if len(c.Stdin) < 1<<20 {
			seeds = append(seeds, c.Stdin)
		}
	}
	for _, s := range slices.Clone(seeds) {
		var out bytes.Buffer
		Run(&kio.ByteReadWriter{Reader: bytes.NewReader(s), Writer: &out, KeepReaderAnnotations: true})
		seeds = append(seeds, out.Bytes())
	}
	return seeds
}

// checkWriters requires writeResourceList to write what kio.ByteWriter
// writes, and to fail where it fails, for whatever kio can read from data;
// and Run, given data, to write what it writes when every rendered object
// is a node and kio.ByteWriter writes the list.
func checkWriters(t *testing.T, data []byte) {
	checkRun(t, data)
	for _, keep := range []bool{true, false} {
		rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), KeepReaderAnnotations: keep}
		items, err := rw.Read()
		if err != nil {
			return
		}
		for _, it := range items {
			if !input.IsObject(it) {
				return // kio.ByteWriter itself fails or panics on these
			}
		}
		kind, version := rw.WrappingKind, rw.WrappingAPIVersion
		if kind == "" {
			kind, version = kio.ResourceListKind, kio.ResourceListAPIVersion
		}
		compareWriters(t, fmt.Sprintf("writeResourceList (keep=%v)", keep), items,
			func(w io.Writer, items []*yaml.RNode) error {
				return kio.ByteWriter{Writer: w, KeepReaderAnnotations: keep, WrappingAPIVersion: version, WrappingKind: kind,
					FunctionConfig: rw.FunctionConfig, Results: rw.Results}.Write(items)
			},
			func(w io.Writer, items []*yaml.RNode) error {
				return writeResourceList(w, version, kind, items, rw.FunctionConfig, rw.Results, keep)
			})
	}
}

// checkRun compares the function's output, rendered objects written
// straight from their manifests, with the same list with every object a
// node, written by kio.ByteWriter; with the reader annotations kept, as
// the binary keeps them (writeResourceList's comparison above covers
// dropping them).
func checkRun(t *testing.T, data []byte) {
	for _, keep := range []bool{true} {
		var got, want bytes.Buffer
		_, gotErr := run(&kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &got, KeepReaderAnnotations: keep}, writeList)
		_, wantErr := run(&kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &want, KeepReaderAnnotations: keep}, referenceList)
		if (gotErr == nil) != (wantErr == nil) || got.String() != want.String() {
			t.Fatalf("Run (keep=%v) differs from Process and kio.ByteWriter (%v, %v): %s", keep, gotErr, wantErr, corpus.FirstDiff(want.String(), got.String()))
		}
	}
}

// referenceList writes a ResourceList as the function did before it
// streamed: every rendered object a node, reconciled with the input's
// internal annotations as every item was, and the list written by
// kio.ByteWriter.
func referenceList(w io.Writer, l resourceList) (bool, error) {
	items, err := l.out.nodes()
	if err != nil {
		return false, err
	}
	if err := kio.ReconcileInternalAnnotations(items, l.annotations); err != nil {
		return false, err
	}
	var buf bytes.Buffer
	if err := recovered(func() error {
		return kio.ByteWriter{Writer: &buf, KeepReaderAnnotations: l.keep, WrappingAPIVersion: l.apiVersion, WrappingKind: l.kind,
			FunctionConfig: l.functionConfig, Results: l.results}.Write(items)
	}); err != nil {
		return false, err
	}
	_, err = w.Write(buf.Bytes())
	return true, err
}

// compareWriters requires ours to write what the reference kio.ByteWriter
// writes, byte for byte, and to fail where the reference fails. An item
// whose metadata is not a mapping makes the reference fail (or panic: on a
// list of odd length kyaml's field visitor indexes past its end); the
// items whose metadata it can read are then compared on their own, so one
// such item does not hide the rest from the comparison.
func compareWriters(t *testing.T, what string, items []*yaml.RNode, reference, ours func(io.Writer, []*yaml.RNode) error) {
	t.Helper()
	var want, got bytes.Buffer
	wantErr := recovered(func() error { return reference(&want, items) })
	gotErr := ours(&got, items)
	if (wantErr == nil) != (gotErr == nil) || wantErr == nil && want.String() != got.String() {
		t.Fatalf("%s differs from kio.ByteWriter (%v, %v):\n--- kio\n%s\n--- ours\n%s", what, wantErr, gotErr, want.String(), got.String())
	}
	if wantErr == nil {
		return
	}
	if readable := slices.DeleteFunc(slices.Clone(items), func(it *yaml.RNode) bool { return !metadataReadable(it) }); len(readable) < len(items) {
		compareWriters(t, what, readable, reference, ours)
	}
}

// recovered returns f's error, or its panic as an error.
func recovered(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

// metadataReadable reports an item whose metadata is absent, null or a
// mapping: the shapes kyaml's metadata accessors (GetAnnotations, which
// kio.ByteWriter calls on every item) read without failing or panicking.
func metadataReadable(it *yaml.RNode) bool {
	f := it.Field(yaml.MetadataField)
	return f == nil || f.Value.YNode().Kind == yaml.MappingNode || yaml.IsYNodeTaggedNull(f.Value.YNode())
}

func TestWritersMatchKio(t *testing.T) {
	seeds := writerSeeds(t)
	if len(seeds) < 100 {
		t.Fatalf("only %d seeds", len(seeds))
	}
	for _, s := range seeds {
		checkWriters(t, s)
	}
	// And the examples' golden outputs, as streams.
	golden, _ := readAll("../testdata/examples")
	for _, g := range golden {
		checkWriters(t, g)
	}
}

// FuzzWriters keeps checking that the streaming writers match
// kio.ByteWriter on whatever kio can read.
func FuzzWriters(f *testing.F) {
	for _, s := range writerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkWriters)
}

func readAll(dir string) ([][]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range entries {
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
