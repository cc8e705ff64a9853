package jsonschema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/servelayer/servelayer/internal/jsonschema"
	"github.com/servelayer/servelayer/schema"
)

// TestCheckedInSchemasAreFresh: schema/jsonschema/*.json are exactly what
// the converter makes of the CRDs (which schema's own test holds fresh
// against the Go types), and schema.JSONSchema serves them.
func TestCheckedInSchemasAreFresh(t *testing.T) {
	crds, _ := filepath.Glob("../../schema/crd/*.yaml")
	if len(crds) != 2 {
		t.Fatalf("CRDs: %v", crds)
	}
	want := map[string]bool{}
	for _, p := range crds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		schemas, err := jsonschema.FromCRD(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range schemas {
			want[s.File] = true
			got, err := os.ReadFile(filepath.Join("../../schema/jsonschema", s.File))
			if err != nil || !bytes.Equal(got, s.JSON) {
				t.Errorf("schema/jsonschema/%s is stale (err %v): run make generate", s.File, err)
			}
		}
	}
	files, _ := filepath.Glob("../../schema/jsonschema/*")
	if len(files) != len(want) {
		t.Errorf("schema/jsonschema holds %d files, the CRDs make %d: remove the others", len(files), len(want))
	}
	for _, kind := range schema.Kinds {
		if !want[kind+"_"+schema.Version+".json"] || len(schema.JSONSchema(kind)) == 0 {
			t.Errorf("schema.JSONSchema(%q) is not served", kind)
		}
	}
}

// TestConvert checks each rule of the conversion on a small CRD.
func TestConvert(t *testing.T) {
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.dev
  names: {kind: Thing}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion: {type: string}
          kind: {type: string}
          spec:
            type: object
            x-kubernetes-validations: [{rule: "true"}]
            properties:
              q: {x-kubernetes-int-or-string: true, pattern: "^[0-9]+$"}
              n: {type: string, nullable: true}
              free: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {a: {type: string}}}
              m: {type: object, additionalProperties: {type: object, properties: {b: {type: string}}}}
              l: {type: array, items: {type: object, properties: {c: {type: string}}}, x-kubernetes-list-type: atomic}
  - name: v0
    served: false
    schema: {openAPIV3Schema: {type: object}}
`
	schemas, err := jsonschema.FromCRD([]byte(crd))
	if err != nil {
		t.Fatal(err)
	}
	if len(schemas) != 1 || schemas[0].File != "thing_v1.json" {
		t.Fatalf("schemas: %+v", schemas)
	}
	got := map[string]any{}
	if err := json.Unmarshal(schemas[0].JSON, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"$schema": jsonschema.Draft, "title": "Thing (example.dev/v1)", "type": "object",
		"additionalProperties": false, "required": []any{"apiVersion", "kind"},
		"properties": map[string]any{
			"apiVersion": map[string]any{"type": "string", "enum": []any{"example.dev/v1"}, "description": ""},
			"kind":       map[string]any{"type": "string", "enum": []any{"Thing"}, "description": ""},
			"spec": map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"q":    map[string]any{"type": []any{"integer", "string"}, "pattern": "^[0-9]+$"},
				"n":    map[string]any{"type": []any{"string", "null"}},
				"free": map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}},
				"m": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "object", "additionalProperties": false,
					"properties": map[string]any{"b": map[string]any{"type": "string"}}}},
				"l": map[string]any{"type": "array", "items": map[string]any{"type": "object", "additionalProperties": false,
					"properties": map[string]any{"c": map[string]any{"type": "string"}}}},
			}},
		},
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("converted:\n%s\nwant:\n%s", g, w)
	}
	if _, err := jsonschema.FromCRD([]byte("kind: ConfigMap\n")); err == nil {
		t.Error("a non-CRD converted")
	}
}
