package input

import (
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/schema"
)

// Files are the ServedModels and the Platform read from files.
type Files struct {
	Models       []*yaml.RNode
	Platform     *yaml.RNode
	PlatformFile string
	// Skipped describes the documents that are not servelayer's, such as a
	// kustomization, for the message when no model was found.
	Skipped []string
}

// DocError is a document servelayer refuses: one that is not an object, or
// one that is almost servelayer's (see KindError).
type DocError struct {
	File string
	// Doc is the 1-based index of the document in the file.
	Doc int
	Msg string
}

func (e *DocError) Error() string { return fmt.Sprintf("%s: document %d: %s", e.File, e.Doc, e.Msg) }

// PlatformError is a Platform where none may be, or a --platform file that
// does not hold exactly one.
type PlatformError struct {
	File string
	Msg  string
}

func (e *PlatformError) Error() string { return e.File + ": " + e.Msg }

// ReadFiles reads the files and directories of files (recursively with
// recursive; see Expand) for render, plan and the Argo CD plugin:
// ServedModels from every file and at most one Platform, from the platform
// file when one is given, or else the one found among the files. The error
// is an *ArgError or *OpenError (the arguments are at fault), or an
// *Error, *DocError or *PlatformError (the content is).
func ReadFiles(files []string, platform string, recursive bool) (Files, error) {
	var in Files
	paths, err := Expand(files, recursive)
	if err != nil {
		return in, err
	}
	if platform != "" {
		nodes, err := ReadFile(platform)
		if err != nil {
			return in, err
		}
		if len(nodes) != 1 || !IsPlatform(nodes[0]) {
			return in, &PlatformError{platform, fmt.Sprintf("--platform must hold exactly one %s/%s", schema.APIVersion, schema.KindPlatform)}
		}
		in.Platform, in.PlatformFile = nodes[0], platform
	}
	for _, p := range paths {
		nodes, err := ReadFile(p)
		if err != nil {
			return in, err
		}
		for i, n := range nodes {
			switch kind := Classify(n); {
			case kind == ServedModel:
				in.Models = append(in.Models, n)
			case kind == Platform && platform != "" && filepath.Clean(p) == filepath.Clean(platform):
			case kind == Platform && in.Platform == nil:
				in.Platform, in.PlatformFile = n, p
			case kind == Platform:
				return in, &PlatformError{p, fmt.Sprintf("a second Platform (the first is in %s); give exactly one", in.PlatformFile)}
			case kind == NotObject:
				return in, &DocError{p, i + 1, "must be a mapping (a Kubernetes object)"}
			case kind == Other:
				in.Skipped = append(in.Skipped, fmt.Sprintf("%s document %d (apiVersion %q, kind %q)", p, i+1, n.GetApiVersion(), n.GetKind()))
			default:
				return in, &DocError{p, i + 1, fmt.Sprintf("%s %s: %v", n.GetKind(), n.GetName(), KindError(n))}
			}
		}
	}
	return in, nil
}

// Select picks the ServedModels named name (every one when name is empty)
// and lists the names of all, in order, for the message when none matches.
func Select(models []*yaml.RNode, name string) (selected []*yaml.RNode, names []string) {
	for _, n := range models {
		names = append(names, n.GetName())
		if name == "" || n.GetName() == name {
			selected = append(selected, n)
		}
	}
	return selected, names
}
