package render

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Node returns the object as a YAML node, fields in Kubernetes order, in
// block style. kyaml's RNode wraps the same node type.
func (o Object) Node() (*yaml.Node, error) {
	b, err := o.JSON()
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", o.Ref, err)
	}
	blockStyle(&doc)
	return doc.Content[0], nil
}

// blockStyle clears the flow and quoting styles JSON input carries, so the
// encoder picks plain block style and quotes only where YAML needs it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
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
	var buf bytes.Buffer
	for i, o := range r.Objects {
		n, err := o.Node()
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		// One encoder per object: go.yaml.in/yaml/v3's encoder keeps every
		// event it has emitted until it is dropped, which for a large fleet
		// held gigabytes. The bytes are those of one encoder for all.
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		enc.CompactSeqIndent()
		if err := enc.Encode(n); err != nil {
			return nil, err
		}
		if err := enc.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
