package render_test

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// fuzzLayers are the --layer overrides the fuzzer picks from.
var fuzzLayers = []schema.Layer{"", schema.LayerRawVLLM, schema.LayerKServe, schema.LayerLLMD, "bogus"}

// FuzzRender feeds YAML (or JSON) streams of ServedModels and at most one
// Platform through package decode and render.RenderFleet. Properties:
// no panic; every error has a field path; an error means no object and no
// error means at least one; the output is a YAML stream whose objects all
// have apiVersion, kind and metadata.name; the input is not modified; and
// the same input, or the same models in reverse order, renders the same
// bytes.
func FuzzRender(f *testing.F) {
	valid, err := corpus.Valid("..")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range sortedKeys(valid) {
		for i := range fuzzLayers[:4] {
			f.Add(valid[name], uint8(i))
		}
	}
	bad, err := corpus.LoadBad("../testdata/bad")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range bad {
		if len(c.Input) > 1<<20 || strings.Contains(c.Name, "alias-bytes") || c.Name == "objects-over-limit" {
			// The 10 MiB case tests the function's size cap, not render;
			// the alias-bytes cases expand to megabytes on every call, and
			// objects-over-limit is 20,001 documents, which under coverage
			// instrumentation on a loaded machine looks like a hung worker
			// to the fuzzing coordinator (it did at load 14 on 2 cores, on
			// main too). The corpus test runs all of them.
			continue
		}
		in := c.Input
		if c.Platform != nil {
			in = append(append(append([]byte{}, c.Platform...), "---\n"...), in...)
		}
		f.Add(in, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, layer uint8) {
		opts := render.Options{Layer: fuzzLayers[int(layer)%len(fuzzLayers)]}
		models, platform, ok := decodeFleet(t, data)
		if !ok {
			return
		}
		opts.Platform = platform
		before := modelsJSON(t, models, platform)
		res := render.RenderFleet(models, opts)
		if after := modelsJSON(t, models, platform); !bytes.Equal(before, after) {
			t.Fatalf("RenderFleet modified its input:\n%s\n%s", before, after)
		}
		out := checkResult(t, res)

		// Determinism: a fresh decode of the same bytes renders the same.
		models2, platform2, _ := decodeFleet(t, data)
		opts.Platform = platform2
		if out2 := checkResult(t, render.RenderFleet(models2, opts)); !bytes.Equal(out, out2) {
			t.Fatalf("two renders of the same input differ:\n%s\n---\n%s", out, out2)
		}
		// Order independence: the models in reverse order render the same
		// objects (diagnostics keep input order, so only objects compare).
		slices.Reverse(models2)
		if out3 := checkResult(t, render.RenderFleet(models2, opts)); !bytes.Equal(out, out3) {
			t.Fatalf("reversing the models changed the output:\n%s\n---\n%s", out, out3)
		}
	})
}

// decodeFleet decodes every document; ok is false when a document does
// not decode (after checking its errors carry field paths).
func decodeFleet(t *testing.T, data []byte) (models []*schema.ServedModel, platform *schema.Platform, ok bool) {
	t.Helper()
	for _, doc := range corpus.Documents(data) {
		j, errs := decode.YAMLToJSON([]byte(doc))
		if len(errs) > 0 {
			checkFieldErrors(t, errs)
			return nil, nil, false
		}
		var tm struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(j, &tm) // a non-object is rejected by the decoder below
		if tm.Kind == schema.KindPlatform && platform == nil {
			p, errs := decode.Platform(j)
			if len(errs) > 0 {
				checkFieldErrors(t, errs)
				return nil, nil, false
			}
			platform = p
			continue
		}
		m, errs := decode.ServedModel(j)
		if len(errs) > 0 {
			checkFieldErrors(t, errs)
			return nil, nil, false
		}
		models = append(models, m)
	}
	return models, platform, true
}

// checkFieldErrors asserts every decode error names a field path.
func checkFieldErrors(t *testing.T, errs field.ErrorList) {
	t.Helper()
	for _, e := range errs {
		if e.Field == "" {
			t.Fatalf("decode error without a field path: %v", e)
		}
	}
}

func modelsJSON(t *testing.T, models []*schema.ServedModel, p *schema.Platform) []byte {
	t.Helper()
	b, err := json.Marshal(struct {
		M []*schema.ServedModel
		P *schema.Platform
	}{models, p})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkResult asserts the properties of one render and returns its YAML.
func checkResult(t *testing.T, res *render.Result) []byte {
	t.Helper()
	for _, d := range res.Errors() {
		if d.Field == "" {
			t.Fatalf("error without a field path: %s", d)
		}
	}
	switch {
	case res.HasErrors() && len(res.Objects) > 0:
		t.Fatalf("partial render: %d objects with errors %v", len(res.Objects), res.Errors())
	case !res.HasErrors() && len(res.Objects) == 0:
		t.Fatalf("empty success: no objects and no error")
	}
	out, err := res.YAML()
	if len(res.Objects) == 0 {
		if err == nil || len(out) > 0 {
			t.Fatalf("YAML of a failed render: %q, %v; want an error", out, err)
		}
		return nil
	}
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	n := 0
	for ; ; n++ {
		var obj struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		}
		err := dec.Decode(&obj)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("output document %d does not parse: %v\n%s", n, err, out)
		}
		if obj.APIVersion == "" || obj.Kind == "" || obj.Metadata.Name == "" {
			t.Fatalf("output document %d lacks apiVersion, kind or metadata.name:\n%s", n, out)
		}
	}
	if n != len(res.Objects) {
		t.Fatalf("%d objects, %d output documents", len(res.Objects), n)
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
