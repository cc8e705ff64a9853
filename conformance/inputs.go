// Package conformance checks servelayer's rendered manifests against the
// real control planes they are applied to. The checks live in the tests; this
// package holds the machinery they share.
package conformance

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// InputGlobs are the rendered YAML streams every check runs on, relative to
// the repository root. Each glob must match at least one file: a check that
// ran on nothing proves nothing.
var InputGlobs = []string{
	"testdata/render/*/expected.yaml", // render golden cases (main module)
	"testdata/examples/*.yaml",        // kustomize example outputs (main module)
	"conformance/testdata/fixtures/*.yaml",
}

// Doc is one object of a rendered YAML stream.
type Doc struct {
	// Source is the file, relative to the repository root.
	Source string
	// Index is the position of the document in its stream, from 0, counting
	// only non-empty documents.
	Index int
	// JSON is the document converted with sigs.k8s.io/yaml.YAMLToJSONStrict.
	JSON []byte
	GVK  schema.GroupVersionKind
	// Name and Namespace are metadata.name and metadata.namespace.
	Name, Namespace string
}

// String names the document in test output.
func (d Doc) String() string {
	ns := d.Namespace
	if ns != "" {
		ns += "/"
	}
	return fmt.Sprintf("%s#%d %s %s%s", d.Source, d.Index, d.GVK.Kind, ns, d.Name)
}

// Object decodes the document with apimachinery's JSON decoder, so integers
// stay int64 (CEL and the schema validators reject float64 integers).
func (d Doc) Object() (map[string]interface{}, error) {
	var obj map[string]interface{}
	if err := utiljson.Unmarshal(d.JSON, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// RepoRoot is the repository root: the parent of the conformance module.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "conformance", "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no conformance/go.mod above %s", wd)
		}
	}
}

// LoadInputs globs InputGlobs under root and reads every document. It fails
// when a glob matches no file or a file holds no object.
func LoadInputs(root string) ([]Doc, error) {
	var docs []Doc
	var errs []error
	for _, g := range InputGlobs {
		files, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			errs = append(errs, fmt.Errorf("glob %s matched no file: nothing to check", g))
			continue
		}
		sort.Strings(files)
		for _, f := range files {
			rel, err := filepath.Rel(root, f)
			if err != nil {
				return nil, err
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			fdocs, err := SplitStream(rel, data)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if len(fdocs) == 0 {
				errs = append(errs, fmt.Errorf("%s holds no object", rel))
			}
			docs = append(docs, fdocs...)
		}
	}
	return docs, errors.Join(errs...)
}

// SplitStream splits a YAML stream into its non-empty documents.
func SplitStream(source string, data []byte) ([]Doc, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Doc
	for {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		j, err := yaml.YAMLToJSONStrict(raw)
		if err != nil {
			return nil, fmt.Errorf("%s#%d: %w", source, len(docs), err)
		}
		j = bytes.TrimSpace(j)
		if bytes.Equal(j, []byte("null")) || len(j) == 0 {
			continue // an empty document, e.g. a leading "---" or only comments
		}
		d, err := NewDoc(source, len(docs), j)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
}

// NewDoc reads the type and object meta of one JSON document.
func NewDoc(source string, index int, j []byte) (Doc, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if err := utiljson.Unmarshal(j, &head); err != nil {
		return Doc{}, fmt.Errorf("%s#%d: not a Kubernetes object: %w", source, index, err)
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return Doc{}, fmt.Errorf("%s#%d: apiVersion %q: %w", source, index, head.APIVersion, err)
	}
	if head.APIVersion == "" || head.Kind == "" {
		return Doc{}, fmt.Errorf("%s#%d: apiVersion and kind are required", source, index)
	}
	return Doc{
		Source: source, Index: index, JSON: j,
		GVK:  gv.WithKind(head.Kind),
		Name: head.Metadata.Name, Namespace: head.Metadata.Namespace,
	}, nil
}
