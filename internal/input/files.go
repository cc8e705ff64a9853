package input

import (
	"errors"
	"fmt"
	"io"
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
	// Where is the object in the file (Object.Where), such as "document 2".
	Where string
	Msg   string
}

func (e *DocError) Error() string { return fmt.Sprintf("%s: %s: %s", e.File, e.Where, e.Msg) }

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
// file when one is given, or else the one found among the files. A file
// found in a directory is read only if it resolves to a regular file
// inside that directory (OpenInside); a file named as an argument is read
// as given. The error is an *ArgError or *OpenError (the arguments are at
// fault), or an *Error, *DocError, *PlatformError or *InsideError (the
// content is).
func ReadFiles(files []string, platform string, recursive bool) (Files, error) {
	return ReadFilesIn("", files, platform, recursive)
}

// ReadFilesIn is ReadFiles confined to the directory root, when it is not
// "": every file, the platform file included, is read only if it resolves
// to a regular file inside root (OpenInside), and a refusal is an
// *InsideError. The Argo CD plugin reads its application directory so.
func ReadFilesIn(root string, files []string, platform string, recursive bool) (Files, error) {
	return readFiles(root, files, platform, recursive, nil)
}

// Stdin is the name of the file "-" in messages and results, as kubectl
// names it.
const Stdin = "STDIN"

// ReadFilesStdin is ReadFiles where the file "-", among files or as
// platform (once in all), is read from stdin, like kubectl's -f -.
func ReadFilesStdin(files []string, platform string, recursive bool, stdin io.Reader) (Files, error) {
	return readFiles("", files, platform, recursive, stdin)
}

func readFiles(root string, files []string, platform string, recursive bool, stdin io.Reader) (Files, error) {
	var in Files
	dashes := 0
	for _, f := range append(files[:len(files):len(files)], platform) {
		switch {
		case f != "-":
		case stdin == nil:
			return in, &ArgError{f, errors.New("stdin cannot be read here")}
		case dashes > 0:
			return in, &ArgError{f, errors.New("stdin can be read only once")}
		default:
			dashes++
		}
	}
	srcs, err := expand(files, recursive)
	if err != nil {
		return in, err
	}
	for i := range srcs {
		srcs[i].stdin = stdin
	}
	confine := func(s source) (source, error) {
		if s.path == "-" || root == "" || s.dir != "" && filepath.Clean(s.dir) == filepath.Clean(root) {
			return s, nil
		}
		rel, err := filepath.Rel(root, s.path)
		if err != nil || !filepath.IsLocal(rel) {
			return s, &InsideError{Path: s.path, Err: ErrNotLocal}
		}
		return source{path: s.path, dir: root, rel: rel}, nil
	}
	for i := range srcs {
		if srcs[i], err = confine(srcs[i]); err != nil {
			return in, err
		}
	}
	if platform != "" {
		ps, err := confine(source{path: platform, stdin: stdin})
		if err != nil {
			return in, err
		}
		objs, err := readSource(ps)
		if err != nil {
			return in, err
		}
		if len(objs) != 1 || !IsPlatform(objs[0].Node) {
			return in, &PlatformError{platform, fmt.Sprintf("--platform must hold exactly one %s/%s", schema.APIVersion, schema.KindPlatform)}
		}
		in.Platform, in.PlatformFile = objs[0].Node, ps.name()
	}
	skipped := 0
	for _, src := range srcs {
		p := src.name()
		objs, err := readSource(src)
		if err != nil {
			return in, err
		}
		for _, o := range objs {
			n := o.Node
			switch kind := Classify(n); {
			case kind == ServedModel:
				if len(in.Models) == MaxModels {
					return in, &DocError{p, o.Where(), TooManyModels(MaxModels + 1)}
				}
				in.Models = append(in.Models, n)
			case kind == Platform && platform != "" && filepath.Clean(p) == filepath.Clean(platform):
			case kind == Platform && in.Platform == nil:
				in.Platform, in.PlatformFile = n, p
			case kind == Platform:
				return in, &PlatformError{p, fmt.Sprintf("a second Platform (the first is in %s); give exactly one", in.PlatformFile)}
			case kind == NotObject:
				return in, &DocError{p, o.Where(), "must be a mapping (a Kubernetes object)"}
			case kind == Other:
				// Named in the message when no model is found: the first
				// few, and how many more.
				if skipped++; skipped <= maxSkipped {
					id := IdentityOf(n)
					in.Skipped = append(in.Skipped, fmt.Sprintf("%s %s (apiVersion %q, kind %q)", p, o.Where(), id.APIVersion, id.Kind))
				}
			default:
				id := IdentityOf(n)
				return in, &DocError{p, o.Where(), fmt.Sprintf("%s %s: %v", id.Kind, id.Name, KindError(n))}
			}
		}
	}
	if skipped > maxSkipped {
		in.Skipped = append(in.Skipped, fmt.Sprintf("and %d more", skipped-maxSkipped))
	}
	return in, nil
}

// readSource reads a file named as an argument as given, and a file found
// in a directory inside it.
func readSource(s source) ([]Object, error) {
	if s.path == "-" {
		return readStream(Stdin, s.stdin)
	}
	if s.dir == "" {
		return ReadFile(s.path)
	}
	f, err := OpenInside(s.dir, s.rel)
	if err != nil {
		return nil, &InsideError{Path: s.path, Err: err}
	}
	defer f.Close()
	return readOpen(s.path, f)
}

// maxSkipped is how many skipped documents Files.Skipped names.
const maxSkipped = 10

// Select picks the ServedModels named name (every one when name is empty)
// and lists the names of all, in order, for the message when none matches.
func Select(models []*yaml.RNode, name string) (selected []*yaml.RNode, names []string) {
	for _, n := range models {
		got := IdentityOf(n).Name
		names = append(names, got)
		if name == "" || got == name {
			selected = append(selected, n)
		}
	}
	return selected, names
}
