// Package yamlout writes servelayer's typed manifests (internal/k8s) as
// YAML, straight from the Go values: no JSON round trip, no yaml.Node tree,
// no event queue.
//
// The bytes are exactly those servelayer wrote before it had this package:
// the value marshalled by encoding/json, its tokens turned into a
// yaml.Node (Node does that, and stays the reference), and the node
// encoded by go.yaml.in/yaml/v3 with kyaml's settings (2-space indent,
// compact sequences), one Encoder per document. Values are read with
// encoding/json's rules (field names and omitempty from json tags,
// embedded structs inlined, map keys sorted, strings coerced to valid
// UTF-8), and written by a port of the part of yaml.v3's emitter those
// documents use (emitter.go). FuzzWriter keeps the two in step on random
// values of every manifest type, and reads the output back with kyaml's
// kio reader.
//
// Values made of structs, pointers, slices, maps with string keys,
// strings, bools and integers are read directly. Anything else (floats,
// interfaces, a type with its own marshaler such as json.RawMessage) is
// written from its JSON form as a yaml.Node, by the same emitter, and a
// node the port would not write as yaml.v3 does (a number that needs its
// tag) is left to yaml.v3 itself: a slower path, never other bytes.
package yamlout

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// AppendDocument appends v as one YAML document.
func AppendDocument(dst []byte, v any) ([]byte, error) {
	return appendDoc(dst, v, false)
}

// AppendListItem appends a document holding a block sequence whose one
// item is v: how kyaml writes each item of a ResourceList's "items:".
func AppendListItem(dst []byte, v any) ([]byte, error) {
	return appendDoc(dst, v, true)
}

var emitters = sync.Pool{New: func() any { return new(emitter) }}

func appendDoc(dst []byte, v any, listItem bool) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if jsonDialect.check(rv.Type()) != nil {
		// A value read by rules this package does not repeat (its own
		// marshaler, such as json.RawMessage, a float, an interface):
		// written from its JSON form.
		return appendNodeDoc(dst, v, listItem)
	}
	e := emitters.Get().(*emitter)
	defer emitters.Put(e)
	e.start(dst)
	root := context{root: true}
	if listItem {
		e.beginSequence(root, false)
		e.item()
		value(e, rv, context{sequence: true}, true)
		e.endSequence()
	} else {
		value(e, rv, root, false)
	}
	return e.end(), nil
}

// appendNodeDoc writes v's JSON form (Node) with the emitter, and leaves
// to yaml.v3 itself, for the whole document, a scalar it would write with
// its tag (a number that does not read back as its kind).
func appendNodeDoc(dst []byte, v any, listItem bool) ([]byte, error) {
	n, err := Node(v)
	if err != nil {
		return dst, err
	}
	if listItem {
		n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{n}}
	}
	e := emitters.Get().(*emitter)
	defer emitters.Put(e)
	e.start(dst)
	if node(e, n, context{root: true}, false) {
		return e.end(), nil
	}
	var b bytes.Buffer
	if err := Encode(&b, n); err != nil {
		return dst, err
	}
	return append(dst, b.Bytes()...), nil
}

// node writes a node Node made (mappings with string keys, sequences,
// and !!str, !!int, !!float, !!bool and !!null scalars) as yaml.v3's
// encoder writes it, and reports false, having written part of it, for
// what it would write otherwise (a tag, an unexpected node).
func node(e *emitter, n *yaml.Node, ctx context, parentSeqItem bool) bool {
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			e.emptyFlow(ctx, parentSeqItem, "{", "}")
			return true
		}
		e.beginMapping(ctx, parentSeqItem)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return false
			}
			e.key(k.Value, analyze(k.Value), stringStyle(k.Value))
			if !node(e, n.Content[i+1], context{mapping: true}, false) {
				return false
			}
		}
		e.endMapping()
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			e.emptyFlow(ctx, parentSeqItem, "[", "]")
			return true
		}
		e.beginSequence(ctx, parentSeqItem)
		for _, c := range n.Content {
			e.item()
			if !node(e, c, context{sequence: true}, true) {
				return false
			}
		}
		e.endSequence()
	case yaml.ScalarNode:
		k, ok := kinds[n.Tag]
		switch {
		case !ok:
			return false
		case k == strKind:
			e.scalar(n.Value, stringStyle(n.Value), ctx, parentSeqItem)
		case resolve(n.Value) != k || strings.Contains(n.Value, "\n"):
			return false // yaml.v3 writes the tag
		default:
			e.scalar(n.Value, plainStyle, ctx, parentSeqItem)
		}
	default:
		return false
	}
	return true
}

// value writes one value as its JSON form would be written. Types are
// checked before (check), so nothing here fails.
func value(e *emitter, v reflect.Value, ctx context, parentSeqItem bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.scalar("null", plainStyle, ctx, parentSeqItem)
			return
		}
		value(e, v.Elem(), ctx, parentSeqItem)
	case reflect.String:
		s := validUTF8(v.String())
		e.scalar(s, stringStyle(s), ctx, parentSeqItem)
	case reflect.Bool:
		e.scalar(strconv.FormatBool(v.Bool()), plainStyle, ctx, parentSeqItem)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var b [24]byte
		e.scalar(string(strconv.AppendInt(b[:0], v.Int(), 10)), plainStyle, ctx, parentSeqItem)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var b [24]byte
		e.scalar(string(strconv.AppendUint(b[:0], v.Uint(), 10)), plainStyle, ctx, parentSeqItem)
	case reflect.Slice:
		if !nullOrEmpty(e, v, ctx, parentSeqItem) {
			sequence(e, v, ctx, parentSeqItem, value)
		}
	case reflect.Map:
		if nullOrEmpty(e, v, ctx, parentSeqItem) {
			return
		}
		keys := make([]string, 0, v.Len())
		if m, ok := v.Interface().(map[string]string); ok {
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			e.beginMapping(ctx, parentSeqItem)
			for _, k := range keys {
				kv := validUTF8(k)
				e.key(kv, analyze(kv), stringStyle(kv))
				s := validUTF8(m[k])
				e.scalar(s, stringStyle(s), context{mapping: true}, false)
			}
			e.endMapping()
			return
		}
		for it := v.MapRange(); it.Next(); {
			keys = append(keys, it.Key().String())
		}
		slices.Sort(keys)
		e.beginMapping(ctx, parentSeqItem)
		for _, k := range keys {
			kv := validUTF8(k)
			e.key(kv, analyze(kv), stringStyle(kv))
			value(e, v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), context{mapping: true}, false)
		}
		e.endMapping()
	case reflect.Struct:
		fields := jsonDialect.fields(v.Type())
		n := 0
		for i := range fields {
			if !fields[i].omit(v) {
				n++
			}
		}
		if n == 0 {
			e.emptyFlow(ctx, parentSeqItem, "{", "}")
			return
		}
		e.beginMapping(ctx, parentSeqItem)
		for i := range fields {
			f := &fields[i]
			if f.omit(v) {
				continue
			}
			e.key(f.name, f.nameAnalysis, f.nameStyle)
			value(e, v.FieldByIndex(f.index), context{mapping: true}, false)
		}
		e.endMapping()
	}
}

// sequence writes a non-empty slice as a block sequence, each item with
// write.
func sequence(e *emitter, v reflect.Value, ctx context, parentSeqItem bool, write func(*emitter, reflect.Value, context, bool)) {
	e.beginSequence(ctx, parentSeqItem)
	for i := range v.Len() {
		e.item()
		write(e, v.Index(i), context{sequence: true}, true)
	}
	e.endSequence()
}

// nullOrEmpty writes a nil slice or map as null, as encoding/json does,
// and an empty one in flow style, as the emitter does; it reports whether
// it wrote v.
func nullOrEmpty(e *emitter, v reflect.Value, ctx context, parentSeqItem bool) bool {
	switch {
	case v.IsNil():
		e.scalar("null", plainStyle, ctx, parentSeqItem)
	case v.Len() > 0:
		return false
	case v.Kind() == reflect.Map:
		e.emptyFlow(ctx, parentSeqItem, "{", "}")
	default:
		e.emptyFlow(ctx, parentSeqItem, "[", "]")
	}
	return true
}

// stringStyle is the style yaml.v3's encoder asks for a string scalar
// (a !!str node without a style): literal for several lines, double quotes
// when the plain scalar would read back as something else, else plain.
// One departure: see tabFirstLines.
func stringStyle(s string) style {
	switch {
	case tabFirstLines(s):
		return doubleQuotedStyle
	case strings.Contains(s, "\n"):
		return literalStyle
	case !resolvesToString(s):
		return doubleQuotedStyle
	}
	return plainStyle
}

// tabFirstLines reports a multi-line string whose first line starts with a
// tab. yaml.v3 writes it in literal style without an indentation indicator,
// which no YAML reader accepts (the tab reads as indentation), so kustomize
// would refuse servelayer's output. It is written double-quoted instead:
// kyaml keeps a node's style, so kustomize passes it on readable too.
func tabFirstLines(s string) bool {
	return strings.HasPrefix(s, "\t") && strings.Contains(s, "\n")
}

// validUTF8 is encoding/json's coercion: each byte of an invalid sequence
// becomes U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
