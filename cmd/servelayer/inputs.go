package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/schema"
)

// inputs are the ServedModel nodes and the Platform read from files.
type inputs struct {
	models       []*yaml.RNode
	platform     *yaml.RNode
	platformFile string
	// skipped describes documents that are not servelayer's, such as a
	// kustomization, for the message when no model was found.
	skipped []string
}

// readInputs reads files and directories for render, plan and cmp:
// ServedModels from every file, at most one Platform (--platform, or one
// found among the files). A document that is almost servelayer's (its group
// with an unknown kind, or its kinds in another group) is an error, never
// silently skipped: that would silently drop a model.
func readInputs(cmd string, files []string, platform string, recursive bool, stderr io.Writer) (inputs, int) {
	var in inputs
	paths, err := expand(files, recursive)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return in, exitUsage
	}
	if platform != "" {
		nodes, code := readFile(platform, stderr)
		if code != exitOK {
			return in, code
		}
		if len(nodes) != 1 || !fn.IsPlatform(nodes[0]) {
			fmt.Fprintf(stderr, "%s: --platform must hold exactly one %s/%s\n", platform, schema.APIVersion, schema.KindPlatform)
			return in, exitInvalid
		}
		in.platform, in.platformFile = nodes[0], platform
	}
	for _, p := range paths {
		nodes, code := readFile(p, stderr)
		if code != exitOK {
			return in, code
		}
		for i, n := range nodes {
			switch {
			case fn.IsServedModel(n):
				in.models = append(in.models, n)
			case fn.IsPlatform(n) && platform != "" && filepath.Clean(p) == filepath.Clean(platform):
			case fn.IsPlatform(n) && in.platform == nil:
				in.platform, in.platformFile = n, p
			case fn.IsPlatform(n):
				fmt.Fprintf(stderr, "%s: a second Platform (the first is in %s); give exactly one\n", p, in.platformFile)
				return in, exitInvalid
			case n.YNode().Kind != yaml.MappingNode:
				fmt.Fprintf(stderr, "error: %s: document %d: must be a mapping (a Kubernetes object)\n", p, i+1)
				return in, exitInvalid
			default:
				if msg := misnamed(n); msg != "" {
					fmt.Fprintf(stderr, "error: %s: document %d: %s\n", p, i+1, msg)
					return in, exitInvalid
				}
				in.skipped = append(in.skipped, fmt.Sprintf("%s document %d (apiVersion %q, kind %q)", p, i+1, n.GetApiVersion(), n.GetKind()))
			}
		}
	}
	return in, exitOK
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
