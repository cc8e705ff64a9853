package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// Node returns the object as a YAML node, fields in Kubernetes order, in
// block style. kyaml's RNode wraps the same node type.
func (o Object) Node() (*yaml.Node, error) {
	b, err := o.JSON()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := jsonNode(dec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Ref, err)
	}
	return n, nil
}

// jsonNode converts one JSON value to a YAML node. Going through JSON
// tokens keeps struct field order and is much cheaper than re-parsing the
// JSON as YAML. Scalars get plain style: the encoder quotes strings that
// would otherwise read as numbers or booleans, and picks literal style for
// multi-line strings.
func jsonNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		if t == '[' {
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.(string)})
			}
			v, err := jsonNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		tag := "!!int"
		if _, err := t.Int64(); err != nil {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, io.ErrUnexpectedEOF
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
