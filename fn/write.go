package fn

import (
	"bytes"
	"io"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Why not kio.ByteWriter: go.yaml.in/yaml/v3's emitter keeps every event
// of everything one Encoder has written until the Encoder is dropped
// (yaml_emitter_emit appends to a queue it never truncates), about 300
// bytes per scalar. A ResourceList is one YAML document, so writing a
// 10,000-model fleet with kio.ByteWriter held gigabytes (3.7 GB peak RSS).
// These writers produce the same bytes as kio.ByteWriter (a test compares
// them on every test input and the fuzzer keeps comparing), but encode
// each object with its own Encoder, so memory stays proportional to the
// output.

// writeResourceList writes a wrapped list (a ResourceList) as
// kio.ByteWriter with WrappingKind set does. keep is its
// KeepReaderAnnotations.
func writeResourceList(w io.Writer, apiVersion, kind string, items []*yaml.RNode, functionConfig, results *yaml.RNode, keep bool) error {
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	header := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		scalar("apiVersion"), scalar(apiVersion), scalar("kind"), scalar(kind),
	}}
	if len(items) == 0 {
		header.Content = append(header.Content, scalar("items"), &yaml.Node{Kind: yaml.SequenceNode})
	}
	if err := encodeDocument(w, header); err != nil {
		return err
	}
	if len(items) > 0 {
		if _, err := io.WriteString(w, "items:\n"); err != nil {
			return err
		}
		for _, it := range items {
			n, err := cleanCopy(it, keep)
			if err != nil {
				return err
			}
			// A one-item list at the top level is indented exactly as an
			// item of "items:" (kyaml writes compact sequences).
			if err := encodeDocument(w, &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n.YNode()}}); err != nil {
				return err
			}
		}
	}
	for _, part := range []struct {
		key string
		n   *yaml.RNode
	}{{"functionConfig", functionConfig}, {"results", results}} {
		if part.n == nil {
			continue
		}
		if err := encodeDocument(w, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(part.key), part.n.YNode()}}); err != nil {
			return err
		}
	}
	return nil
}

// writeStream writes objects as a YAML stream ("---" between documents)
// as kio.ByteWriter without wrapping does for nodes without reader
// annotations.
func writeStream(w io.Writer, nodes []*yaml.RNode) error {
	for i, n := range nodes {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		c, err := cleanCopy(n, true)
		if err != nil {
			return err
		}
		// The document node, which holds document-level comments; a bare
		// sequence kio wrapped on reading is written unwrapped again.
		doc := c.Document()
		if seq, err := c.Pipe(yaml.Lookup(yaml.BareSeqNodeWrappingKey)); err == nil && !seq.IsNilOrEmpty() {
			doc = seq.YNode()
		}
		if err := encodeDocument(w, doc); err != nil {
			return err
		}
	}
	return nil
}

// WriteStream is writeStream for the CLI.
func WriteStream(w io.Writer, nodes []*yaml.RNode) error { return writeStream(w, nodes) }

// cleanCopy copies a node and, as kio.ByteWriter does to the nodes it
// writes, removes the reader's index annotations (unless keep) and an
// annotations map left empty.
func cleanCopy(n *yaml.RNode, keep bool) (*yaml.RNode, error) {
	c := n.Copy()
	if c.YNode().Kind != yaml.MappingNode {
		return c, nil
	}
	if !keep {
		for _, a := range []string{kioutil.IndexAnnotation, kioutil.LegacyIndexAnnotation, kioutil.SeqIndentAnnotation} {
			if _, err := c.Pipe(yaml.ClearAnnotation(a)); err != nil {
				return nil, err
			}
		}
	}
	return c, yaml.ClearEmptyAnnotations(c)
}

// encodeDocument encodes n as one document with a fresh Encoder set up as
// kyaml sets it up (2-space indent, compact sequences).
func encodeDocument(w io.Writer, n *yaml.Node) error {
	var buf bytes.Buffer
	e := yaml.NewEncoder(&buf)
	doc := n
	if n.Kind != yaml.DocumentNode {
		doc = &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}
	}
	if err := e.Encode(doc); err != nil {
		return err
	}
	if err := e.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
