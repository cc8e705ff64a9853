// Command jsonschema writes schema/jsonschema/*.json from the CRDs in
// schema/crd (make generate); internal/jsonschema's test holds them fresh.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/servelayer/servelayer/internal/jsonschema"
)

func main() {
	crds, _ := filepath.Glob("schema/crd/*.yaml")
	if len(crds) == 0 {
		fmt.Fprintln(os.Stderr, "jsonschema: no schema/crd/*.yaml (run from the repository root)")
		os.Exit(1)
	}
	for _, p := range crds {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "jsonschema:", err)
			os.Exit(1)
		}
		schemas, err := jsonschema.FromCRD(b)
		if err != nil {
			fmt.Fprintf(os.Stderr, "jsonschema: %s: %v\n", p, err)
			os.Exit(1)
		}
		for _, s := range schemas {
			if err := os.WriteFile(filepath.Join("schema/jsonschema", s.File), s.JSON, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "jsonschema:", err)
				os.Exit(1)
			}
		}
	}
}
