package schema

import (
	"bytes"
	"embed"
	"io/fs"
	"slices"
)

// crdFS holds the CRDs generated from these types by controller-gen
// (`make generate`); a test fails when they are stale.
//
//go:embed crd/*.yaml
var crdFS embed.FS

// CRDs returns the ServedModel and Platform CustomResourceDefinitions as
// one YAML stream.
func CRDs() []byte {
	names, _ := fs.Glob(crdFS, "crd/*.yaml")
	slices.Sort(names)
	var out bytes.Buffer
	for _, n := range names {
		b, _ := crdFS.ReadFile(n)
		b = bytes.TrimPrefix(b, []byte("---\n"))
		if out.Len() > 0 {
			out.WriteString("---\n")
		}
		out.Write(b)
	}
	return out.Bytes()
}

// jsonSchemaFS holds the JSON Schemas converted from the CRDs
// (internal/jsonschema; `make generate`); a test fails when they are stale.
//
//go:embed jsonschema/*.json
var jsonSchemaFS embed.FS

// Kinds are the lower-case kind names CRD and JSONSchema take.
var Kinds = []string{"servedmodel", "platform"}

// CRD returns the CustomResourceDefinition of kind ("servedmodel" or
// "platform"), or nil for another kind.
func CRD(kind string) []byte {
	if !slices.Contains(Kinds, kind) {
		return nil
	}
	b, _ := crdFS.ReadFile("crd/" + Group + "_" + kind + "s.yaml")
	return bytes.TrimPrefix(b, []byte("---\n"))
}

// JSONSchema returns the JSON Schema (draft-07) of kind ("servedmodel" or
// "platform") at this package's version, or nil for another kind: what
// editors and kubeconform validate a spec with.
func JSONSchema(kind string) []byte {
	if !slices.Contains(Kinds, kind) {
		return nil
	}
	b, _ := jsonSchemaFS.ReadFile("jsonschema/" + kind + "_" + Version + ".json")
	return b
}
