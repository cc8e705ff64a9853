// Command specdoc rewrites the spec reference in README.md from the CRDs.
package main

import (
	"fmt"
	"os"

	"github.com/servelayer/servelayer/internal/specdoc"
	"github.com/servelayer/servelayer/schema"
)

func main() {
	section, err := specdoc.Markdown(schema.CRDs())
	if err == nil {
		var readme []byte
		if readme, err = os.ReadFile("README.md"); err == nil {
			var out string
			if out, err = specdoc.Splice(string(readme), section); err == nil {
				err = os.WriteFile("README.md", []byte(out), 0o644)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "specdoc:", err)
		os.Exit(1)
	}
}
