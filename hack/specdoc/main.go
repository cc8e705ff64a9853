// Command specdoc rewrites README.md's generated sections: the spec
// reference from the CRDs, the field-versus-layer rules (with the message
// each rule's golden case shows) and layer auto's table.
package main

import (
	"fmt"
	"os"

	"github.com/servelayer/servelayer/internal/specdoc"
	"github.com/servelayer/servelayer/schema"
)

func main() {
	readme, err := os.ReadFile("README.md")
	if err == nil {
		var out string
		if out, err = specdoc.Readme(string(readme), ".", schema.CRDs()); err == nil {
			err = os.WriteFile("README.md", []byte(out), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
}
