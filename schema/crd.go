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
