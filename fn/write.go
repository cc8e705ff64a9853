package fn

import (
	"bufio"
	"bytes"
	"io"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/render"
)

// Why not kio.ByteWriter: go.yaml.in/yaml/v3's emitter keeps every event
// of everything one Encoder has written until the Encoder is dropped
// (yaml_emitter_emit appends to a queue it never truncates), about 300
// bytes per scalar. A ResourceList is one YAML document, so writing a
// 10,000-model fleet with kio.ByteWriter held gigabytes (3.7 GB peak RSS).
// writeList produces the same bytes as kio.ByteWriter (a test compares
// them on every test input and FuzzWriters keeps comparing), encoding each
// item that passes through with its own Encoder, and writing each rendered
// object straight from its typed manifest (render.Object.AppendListItem)
// when its turn comes, so no node is built or copied for it and only one
// model's objects exist at a time.

// listItem is one item of the ResourceList being written: an input item
// that passes through (node), or object obj of the fleet, rendered when it
// is written.
type listItem struct {
	node *yaml.RNode
	obj  int
}

// output is what the function writes back as items.
type output struct {
	fleet *render.Fleet
	items []listItem
}

// passThrough returns the items that pass through.
func (o *output) passThrough() []*yaml.RNode {
	var out []*yaml.RNode
	for _, it := range o.items {
		if it.node != nil {
			out = append(out, it.node)
		}
	}
	return out
}

// nodes returns the items as nodes, rendering every object of the fleet:
// for Process, whose caller wants a ResourceList of nodes.
func (o *output) nodes() ([]*yaml.RNode, error) {
	out := make([]*yaml.RNode, 0, len(o.items))
	for _, it := range o.items {
		if it.node != nil {
			out = append(out, it.node)
			continue
		}
		n, err := o.fleet.Object(it.obj).Node()
		if err != nil {
			return nil, err
		}
		out = append(out, yaml.NewRNode(n))
	}
	return out, nil
}

// resourceList is what a ResourceList is written from. keep is
// kio.ByteWriter's KeepReaderAnnotations; annotations are the items'
// internal annotations as the input had them (see
// kio.ReconcileInternalAnnotations), for a writer that makes nodes of the
// rendered objects and must reconcile them as kyaml would.
type resourceList struct {
	apiVersion, kind        string
	out                     *output
	functionConfig, results *yaml.RNode
	keep                    bool
	annotations             map[string]map[string]string
}

// listWriter writes a ResourceList. started reports whether anything was
// written before an error.
type listWriter func(w io.Writer, l resourceList) (started bool, err error)

// writeList writes l as kio.ByteWriter with WrappingKind set writes it
// (with its rendered objects as nodes). Everything that can fail to encode
// is encoded before the first byte is written: the header, the items that
// pass through (input, so bounded by input.MaxInputBytes), the
// functionConfig and the results. Then the rendered objects are rendered
// and written one at a time: only w can fail from there on.
func writeList(w io.Writer, l resourceList) (bool, error) {
	scalar := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }
	header := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		scalar("apiVersion"), scalar(l.apiVersion), scalar("kind"), scalar(l.kind),
	}}
	if len(l.out.items) == 0 {
		header.Content = append(header.Content, scalar("items"), &yaml.Node{Kind: yaml.SequenceNode})
	}
	var head bytes.Buffer
	if err := encodeDocument(&head, header); err != nil {
		return false, err
	}
	if len(l.out.items) > 0 {
		head.WriteString("items:\n")
	}
	passing := make([][]byte, len(l.out.items))
	for i, it := range l.out.items {
		if it.node == nil {
			continue
		}
		n, err := cleanCopy(it.node, l.keep)
		if err != nil {
			return false, err
		}
		// A one-item list at the top level is indented exactly as an
		// item of "items:" (kyaml writes compact sequences).
		var b bytes.Buffer
		if err := encodeDocument(&b, &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n.YNode()}}); err != nil {
			return false, err
		}
		passing[i] = b.Bytes()
	}
	var tail bytes.Buffer
	for _, part := range []struct {
		key string
		n   *yaml.RNode
	}{{"functionConfig", l.functionConfig}, {"results", l.results}} {
		if part.n == nil {
			continue
		}
		if err := encodeDocument(&tail, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar(part.key), part.n.YNode()}}); err != nil {
			return false, err
		}
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head.Bytes())
	var buf []byte
	for i, it := range l.out.items {
		if it.node != nil {
			bw.Write(passing[i])
			passing[i] = nil
			continue
		}
		var err error
		if buf, err = l.out.fleet.Object(it.obj).AppendListItem(buf[:0]); err != nil {
			bw.Flush()
			return true, err
		}
		if _, err := bw.Write(buf); err != nil {
			return true, err
		}
	}
	bw.Write(tail.Bytes())
	return true, bw.Flush()
}

// writeResourceList writes a ResourceList of nodes as kio.ByteWriter with
// WrappingKind set does. keep is its KeepReaderAnnotations.
func writeResourceList(w io.Writer, apiVersion, kind string, items []*yaml.RNode, functionConfig, results *yaml.RNode, keep bool) error {
	o := &output{}
	for _, it := range items {
		o.items = append(o.items, listItem{node: it})
	}
	_, err := writeList(w, resourceList{apiVersion: apiVersion, kind: kind, out: o, functionConfig: functionConfig, results: results, keep: keep})
	return err
}

// cleanCopy removes, as kio.ByteWriter does from the nodes it writes, the
// reader's index annotations (unless keep) and an annotations map left
// empty, from a copy of n. A node without an annotations field has none
// to remove and is returned as it is.
func cleanCopy(n *yaml.RNode, keep bool) (*yaml.RNode, error) {
	if n.YNode().Kind != yaml.MappingNode {
		return n, nil
	}
	if md := n.Field(yaml.MetadataField); md != nil && md.Value.YNode().Kind == yaml.MappingNode && md.Value.Field(yaml.AnnotationsField) == nil {
		return n, nil
	}
	c := n.Copy()
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
