package fn_test

import (
	"bytes"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/input"
)

// TestReleaseKeepsResults: a request that lets Render drop its nodes gets
// the same results and the same output as one that does not, on every
// bad-input case and every valid input, and its nodes are dropped.
func TestReleaseKeepsResults(t *testing.T) {
	bad, err := corpus.LoadBad("../testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{}
	for _, c := range bad {
		if len(c.Input) < 1<<20 {
			inputs[c.Name] = c.Input
		}
	}
	valid, err := corpus.Valid("..")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range valid {
		inputs[k] = v
	}
	withFile := 0
	for name, in := range inputs {
		read := func() fn.Request {
			items, err := (&kio.ByteReader{Reader: bytes.NewReader(in), SetAnnotations: map[string]string{"config.kubernetes.io/path": name}}).Read()
			if err != nil {
				return fn.Request{}
			}
			var req fn.Request
			for _, it := range items {
				switch {
				case input.IsServedModel(it):
					req.Models = append(req.Models, it)
				case input.IsPlatform(it):
					req.Platform = it
				}
			}
			return req
		}
		kept, dropped := read(), read()
		if len(kept.Models) == 0 {
			continue
		}
		dropped.Release = true
		f1, r1 := fn.Render(kept)
		f2, r2 := fn.Render(dropped)
		y1, err := yaml.Marshal(r1)
		if err != nil {
			t.Fatal(err)
		}
		y2, err := yaml.Marshal(r2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range r2 {
			if r.File != nil && r.ResourceRef != nil {
				withFile++
			}
		}
		if string(y1) != string(y2) {
			t.Errorf("%s: results differ with Release:\n%s\n---\n%s", name, y1, y2)
		}
		if (f1 == nil) != (f2 == nil) {
			t.Fatalf("%s: a fleet with one and not the other", name)
		}
		if f1 != nil {
			var o1, o2 bytes.Buffer
			if err := f1.WriteYAML(&o1); err != nil {
				t.Fatal(err)
			}
			if err := f2.WriteYAML(&o2); err != nil {
				t.Fatal(err)
			}
			if o1.String() != o2.String() {
				t.Errorf("%s: output differs with Release", name)
			}
		}
		for i, n := range dropped.Models {
			if n != nil {
				t.Errorf("%s: model %d kept", name, i)
			}
		}
	}
	if withFile < 20 {
		t.Errorf("only %d results name a file: the comparison covers too little", withFile)
	}
}
