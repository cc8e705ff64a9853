package render

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/yamlout"
)

// Node returns the object as a YAML node, fields in Kubernetes order, in
// block style. kyaml's RNode wraps the same node type. Writing the object
// does not need it: AppendYAML writes the same bytes without building a
// tree.
func (o Object) Node() (*yaml.Node, error) {
	n, err := yamlout.Node(o.manifest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Ref, err)
	}
	return n, nil
}

// AppendYAML appends the object as one YAML document, formatted as
// kustomize formats its output (2 spaces, compact sequences): the bytes
// go.yaml.in/yaml/v3 writes for Node, written straight from the typed
// object (internal/yamlout).
func (o Object) AppendYAML(dst []byte) ([]byte, error) {
	return yamlout.AppendDocument(dst, o.manifest)
}

// AppendListItem appends the object as kyaml writes an item of a
// ResourceList's items: a document holding a one-item sequence.
func (o Object) AppendListItem(dst []byte) ([]byte, error) {
	return yamlout.AppendListItem(dst, o.manifest)
}

// YAML returns the objects as a YAML stream, documents separated by "---",
// formatted as kustomize formats its output (2 spaces, compact sequences).
//
// A result without objects (a failed render) is an error, never an empty
// stream: empty output under GitOps auto-prune deletes workloads.
func (r *Result) YAML() ([]byte, error) {
	if len(r.Objects) == 0 {
		return nil, fmt.Errorf("no objects to write: the render failed with %d error(s); see Diagnostics", len(r.Errors()))
	}
	var buf []byte
	for i, o := range r.Objects {
		if i > 0 {
			buf = append(buf, "---\n"...)
		}
		var err error
		if buf, err = o.AppendYAML(buf); err != nil {
			return nil, err
		}
	}
	return buf, nil
}
