package yamlout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	yaml "go.yaml.in/yaml/v3"
)

// Encode writes v with a go.yaml.in/yaml/v3 Encoder set up as kyaml sets
// it up (2-space indent, compact sequences) and closed after v: the writer
// whose bytes this package reproduces, and the one to use for what it does
// not support.
func Encode(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

// Node returns v's JSON form as a yaml.Node, fields in struct order, in
// block style: the tree whose encoding the writers reproduce, and what a
// caller that needs a node (kyaml's RNode wraps the same type) gets.
func Node(v any) (*yaml.Node, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return jsonNode(dec)
}

// jsonNode converts one JSON value to a YAML node. Going through JSON
// tokens keeps struct field order and is much cheaper than re-parsing the
// JSON as YAML. Scalars get plain style: the encoder quotes strings that
// would otherwise read as numbers or booleans, and picks literal style for
// multi-line strings (see strNode).
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
				n.Content = append(n.Content, strNode(k.(string)))
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
		return strNode(t), nil
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

// strNode is a string scalar, double-quoted where yaml.v3's choice of
// literal style would be unreadable (tabFirstLines).
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if tabFirstLines(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}
