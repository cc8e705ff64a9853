package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/internal/input"
)

// inputs are what input.ReadFiles read, under the names render and plan use.
type inputs struct {
	models       []*yaml.RNode
	platform     *yaml.RNode
	platformFile string
	// skipped describes documents that are not servelayer's.
	skipped []string
}

// readInputs reads files and directories for render, plan and cmp with
// input.ReadFiles and prints why it could not: "cmd: " before a bad -f
// argument, "error: " before a problem in the content. The exit code says
// which it was.
//
// root, when not "", confines every read to that directory (see
// input.ReadFilesIn): the Argo CD plugin's application directory.
func readInputs(cmd, root string, files []string, platform string, recursive bool, stderr io.Writer) (inputs, int) {
	f, err := input.ReadFilesIn(root, files, platform, recursive)
	in := inputs{models: f.Models, platform: f.Platform, platformFile: f.PlatformFile, skipped: f.Skipped}
	var argErr *input.ArgError
	var openErr *input.OpenError
	var platformErr *input.PlatformError
	switch {
	case err == nil:
		return in, exitOK
	case errors.As(err, &argErr):
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return in, exitUsage
	case errors.As(err, &openErr):
		// "servelayer render" under plan too, as it always has been.
		fmt.Fprintf(stderr, "servelayer render: %v\n", err)
		return in, exitUsage
	case errors.As(err, &platformErr):
		fmt.Fprintln(stderr, err)
		return in, exitInvalid
	}
	fmt.Fprintf(stderr, "error: %v\n", err)
	return in, exitInvalid
}

// inputFlags are the flags render and plan share for reading inputs.
type inputFlags struct {
	files     listFlag
	platform  *string
	recursive *bool
}

func addInputFlags(fs *flag.FlagSet, filesHelp string) *inputFlags {
	f := &inputFlags{}
	fs.Var(&f.files, "f", filesHelp)
	fs.Var(&f.files, "filename", "same as -f")
	f.platform = fs.String("platform", "", "Platform file (feature gates, GPUs, namespaces)")
	f.recursive = fs.Bool("R", false, "read directories recursively")
	return f
}
