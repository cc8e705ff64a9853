package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
//
// stdin, when not nil, is what the file "-" reads (never under root).
func readInputs(cmd, root string, files []string, platform string, recursive bool, stdin io.Reader, stderr io.Writer) (inputs, int) {
	var f input.Files
	var err error
	if stdin != nil && root == "" {
		f, err = input.ReadFilesStdin(files, platform, recursive, stdin)
	} else {
		f, err = input.ReadFilesIn(root, files, platform, recursive)
	}
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
	files     []string
	platform  string
	recursive bool
}

func addInputFlags(cmd *cobra.Command, filesHelp string) *inputFlags {
	f := &inputFlags{}
	fs := cmd.Flags()
	fs.StringSliceVarP(&f.files, "filename", "f", nil, filesHelp)
	fs.StringVar(&f.platform, "platform", "", "Platform file (feature gates, GPUs, namespaces); - reads stdin")
	fs.BoolVarP(&f.recursive, "recursive", "R", false, "read the directories given with -f recursively")
	_ = cmd.MarkFlagFilename("filename", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("platform", "yaml", "yml", "json")
	return f
}
