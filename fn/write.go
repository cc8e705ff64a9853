package fn

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/render"
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
	return writeResourceListLazy(w, apiVersion, kind, items, functionConfig, results, keep, nil)
}

// writeResourceListLazy is writeResourceList where the items lazy maps are
// placeholders of rendered objects, written as the objects (realize).
func writeResourceListLazy(w io.Writer, apiVersion, kind string, items []*yaml.RNode, functionConfig, results *yaml.RNode, keep bool, lazy map[*yaml.Node]render.Object) error {
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
			if o, ok := lazy[it.YNode()]; ok {
				real, err := realize(it, o)
				if err != nil {
					return err
				}
				it = real
			}
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

// WriteObjects writes rendered objects as WriteStream writes their nodes,
// converting each to nodes just before writing it and dropping them after,
// so memory holds one object's nodes, not the whole fleet's.
func WriteObjects(w io.Writer, objs []render.Object) error {
	for i, o := range objs {
		n, err := o.Node()
		if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		// A fresh node: no copy needed, only what cleanCopy would clear.
		rn := yaml.NewRNode(n)
		if err := yaml.ClearEmptyAnnotations(rn); err != nil {
			return err
		}
		if err := encodeDocument(w, n); err != nil {
			return err
		}
	}
	return nil
}

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

// placeholder is a small node standing for a rendered object among the
// function's items until it is written: its apiVersion, kind and metadata
// (name, namespace, labels, annotations), which is all that is read of a
// rendered item before then (merging with the input items, kyaml's
// annotation bookkeeping).
func placeholder(o render.Object) (*yaml.RNode, error) {
	b, err := o.JSON()
	if err != nil {
		return nil, err
	}
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name        string            `json:"name"`
			Namespace   string            `json:"namespace"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	n := yaml.NewMapRNode(nil)
	for _, f := range []yaml.Filter{
		yaml.SetField("apiVersion", yaml.NewStringRNode(m.APIVersion)),
		yaml.SetField("kind", yaml.NewStringRNode(m.Kind)),
	} {
		if err := n.PipeE(f); err != nil {
			return nil, err
		}
	}
	if err := n.SetName(m.Metadata.Name); err != nil {
		return nil, err
	}
	if m.Metadata.Namespace != "" {
		if err := n.SetNamespace(m.Metadata.Namespace); err != nil {
			return nil, err
		}
	}
	if len(m.Metadata.Labels) > 0 {
		if err := n.SetLabels(m.Metadata.Labels); err != nil {
			return nil, err
		}
	}
	if len(m.Metadata.Annotations) > 0 {
		if err := n.SetAnnotations(m.Metadata.Annotations); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// realize converts a rendered object to its node, carrying over any
// annotation kyaml's bookkeeping set on or cleared from its placeholder.
func realize(ph *yaml.RNode, o render.Object) (*yaml.RNode, error) {
	n, err := o.Node()
	if err != nil {
		return nil, err
	}
	real := yaml.NewRNode(n)
	want, have := ph.GetAnnotations(), real.GetAnnotations()
	for k := range have {
		if _, ok := want[k]; !ok {
			if _, err := real.Pipe(yaml.ClearAnnotation(k)); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := have[k]; !ok || v != want[k] {
			if err := real.PipeE(yaml.SetAnnotation(k, want[k])); err != nil {
				return nil, err
			}
		}
	}
	return real, nil
}
