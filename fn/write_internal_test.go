package fn

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

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

// checkWriters requires writeResourceList and writeStream to write what
// kio.ByteWriter writes, for whatever kio can read from data.
func checkWriters(t *testing.T, data []byte) {
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
		var want, got bytes.Buffer
		wantErr := kio.ByteWriter{Writer: &want, KeepReaderAnnotations: keep, WrappingAPIVersion: version, WrappingKind: kind,
			FunctionConfig: rw.FunctionConfig, Results: rw.Results}.Write(items)
		gotErr := writeResourceList(&got, version, kind, items, rw.FunctionConfig, rw.Results, keep)
		if (wantErr == nil) != (gotErr == nil) || wantErr == nil && want.String() != got.String() {
			t.Fatalf("writeResourceList (keep=%v) differs from kio.ByteWriter (%v, %v):\n--- kio\n%s\n--- ours\n%s", keep, wantErr, gotErr, want.String(), got.String())
		}
	}
	// Streams, as the CLI writes rendered objects (no reader annotations).
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
	if err != nil {
		return
	}
	for _, it := range items {
		if !input.IsObject(it) || len(it.GetAnnotations()) > 0 {
			return
		}
	}
	var want, got bytes.Buffer
	wantErr := kio.ByteWriter{Writer: &want, KeepReaderAnnotations: true}.Write(items)
	gotErr := writeStream(&got, items)
	if (wantErr == nil) != (gotErr == nil) || wantErr == nil && want.String() != got.String() {
		t.Fatalf("writeStream differs from kio.ByteWriter (%v, %v):\n--- kio\n%s\n--- ours\n%s", wantErr, gotErr, want.String(), got.String())
	}
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
