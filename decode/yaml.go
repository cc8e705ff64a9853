package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/schema"
)

// MaxAliasExpansion bounds how many nodes YAML aliases may add to one
// document when it is converted to JSON. A real spec uses a handful; a
// "billion laughs" document needs billions. Beyond this the conversion stops
// with an error at the alias that crossed the limit.
const MaxAliasExpansion = 100_000

// MaxAliasBytes bounds how many bytes of JSON YAML aliases and merge keys
// may add across one run: every document an AliasBudget is shared by (one
// function call, one CLI invocation). A node count alone does not bound
// memory: one large anchored string aliased a few thousand times is few
// nodes and gigabytes. The bound is the input size cap (input.MaxInputBytes,
// 8 MiB): written out without aliases, the input may at most double. A real
// fleet shares a few hundred bytes per model, if anything.
const MaxAliasBytes = 8 << 20

// An AliasBudget is the MaxAliasBytes allowance shared by the conversions of
// one run, so that many documents aliasing one large anchor (items of one
// ResourceList can) cannot add MaxAliasBytes each. The zero value is a full
// budget. It is not safe for concurrent use.
type AliasBudget struct{ used int64 }

// Used reports how many bytes aliases have added so far.
func (b *AliasBudget) Used() int64 { return b.used }

// ServedModelYAML decodes one YAML document holding a ServedModel, with the
// same strictness and field-pathed errors as ServedModel.
func ServedModelYAML(doc []byte) (*schema.ServedModel, field.ErrorList) {
	j, errs := YAMLToJSON(doc)
	if len(errs) > 0 {
		return &schema.ServedModel{}, errs
	}
	return ServedModel(j)
}

// PlatformYAML decodes one YAML document holding a Platform.
func PlatformYAML(doc []byte) (*schema.Platform, field.ErrorList) {
	j, errs := YAMLToJSON(doc)
	if len(errs) > 0 {
		return &schema.Platform{}, errs
	}
	return Platform(j)
}

// YAMLToJSON parses one YAML document and converts it with YAMLNodeToJSON.
// A syntax error is reported at <root> with the parser's message (which
// carries the line).
func YAMLToJSON(doc []byte) ([]byte, field.ErrorList) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath(rootPath), snippet(string(doc)), "invalid YAML: "+err.Error())}
	}
	return YAMLNodeToJSON(&n)
}

// YAMLNodeToJSON converts a YAML node tree to JSON the way Kubernetes reads
// YAML, but reporting every problem at its field path with the value as
// written, which a generic YAML-to-JSON conversion does not:
//
//   - duplicate mapping keys, and keys that are not scalars, are errors;
//   - .inf and .nan are errors (JSON has no such numbers);
//   - numbers keep the digits the user wrote when they are valid JSON, so an
//     out-of-range integer is reported as written, not rounded;
//   - timestamps, binary and custom-tagged scalars stay the strings written;
//   - aliases are expanded (merge keys "<<" included), but a self-referencing
//     alias or an expansion beyond MaxAliasExpansion nodes is an error.
func YAMLNodeToJSON(n *yaml.Node) ([]byte, field.ErrorList) {
	return YAMLNodeToJSONWithin(n, nil)
}

// YAMLNodeToJSONWithin is YAMLNodeToJSON with the bytes aliases add counted
// against b, shared with the other documents of the same run (nil: a budget
// of its own). Beyond MaxAliasBytes in all, the conversion stops with an
// error at the outermost alias being expanded, before the bytes are written.
func YAMLNodeToJSONWithin(n *yaml.Node, b *AliasBudget) ([]byte, field.ErrorList) {
	if b == nil {
		b = &AliasBudget{}
	}
	c := &yamlConverter{budget: MaxAliasExpansion, bytes: b, expanding: map[*yaml.Node]bool{}, merging: map[*yaml.Node]bool{}}
	if n != nil && n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return []byte("null"), nil
		}
		n = n.Content[0]
	}
	if n == nil {
		return []byte("null"), nil
	}
	c.value(n, nil)
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return c.buf.Bytes(), nil
}

const rootPath = "<root>"

type yamlConverter struct {
	buf  bytes.Buffer
	errs field.ErrorList
	// budget is how many more nodes alias expansion may emit.
	budget int
	// bytes is the run's byte allowance; aliasStart is where the output
	// stood when the outermost alias (or merge) being expanded began.
	bytes      *AliasBudget
	aliasStart int
	overBytes  bool
	// inAlias counts the aliases (and merges) being expanded around the
	// current node; aliases are the aliases among them, outermost first.
	inAlias int
	aliases []aliasSite
	// expanding holds the anchors being expanded, and merging the
	// mappings whose entries are being collected, to catch self-reference.
	expanding, merging map[*yaml.Node]bool
}

// stop reports whether conversion has given up: the output is discarded on
// any error, but the first errors are kept so several can be reported.
func (c *yamlConverter) stop() bool { return len(c.errs) >= 20 || c.budget < 0 || c.overBytes }

// enterAlias and leaveAlias bracket the expansion of an alias or a merged
// value: the bytes written inside the outermost one are charged to the
// run's budget when it ends.
func (c *yamlConverter) enterAlias() {
	if c.inAlias == 0 {
		c.aliasStart = c.buf.Len()
	}
	c.inAlias++
}

func (c *yamlConverter) leaveAlias() {
	c.inAlias--
	if c.inAlias == 0 && !c.overBytes {
		c.bytes.used += int64(c.buf.Len() - c.aliasStart)
	}
}

// aliasBytes is what aliases have added in the run so far, plus the next
// bytes about to be written.
func (c *yamlConverter) aliasBytes(next int) int64 {
	return c.bytes.used + int64(c.buf.Len()-c.aliasStart) + int64(next)
}

// charge checks, inside an alias, that writing next more bytes stays within
// the run's MaxAliasBytes, and records the error when it would not.
func (c *yamlConverter) charge(next int, n *yaml.Node, p *field.Path) bool {
	if c.inAlias == 0 || c.aliasBytes(next) <= MaxAliasBytes {
		return true
	}
	c.overBytes = true
	at, name := c.outermostAlias(n, p)
	c.errs = append(c.errs, field.Invalid(at, name,
		fmt.Sprintf("YAML aliases add more than %d bytes (%d MiB, the input size limit) to this input; write the values out or use fewer aliases", MaxAliasBytes, MaxAliasBytes>>20)))
	return false
}

// outermostAlias names the alias written where the expansion blows up.
func (c *yamlConverter) outermostAlias(n *yaml.Node, p *field.Path) (*field.Path, string) {
	if len(c.aliases) > 0 {
		return c.aliases[0].path, c.aliases[0].name
	}
	return pathString(p), "*" + aliasName(n)
}

func pathString(p *field.Path) *field.Path {
	if p == nil {
		return field.NewPath(rootPath)
	}
	return p
}

func (c *yamlConverter) fail(p *field.Path, value any, msg string) {
	c.errs = append(c.errs, field.Invalid(pathString(p), value, msg))
}

func (c *yamlConverter) value(n *yaml.Node, p *field.Path) {
	if c.stop() {
		return
	}
	if c.inAlias > 0 {
		c.budget--
		if c.budget < 0 {
			// Name the outermost alias being expanded: the one written
			// where the document blows up.
			at, name := c.outermostAlias(n, p)
			c.errs = append(c.errs, field.Invalid(at, name,
				fmt.Sprintf("YAML aliases expand to more than %d nodes (a \"billion laughs\" document?); write the values out or use fewer aliases", MaxAliasExpansion)))
			return
		}
		// A scalar is checked before it is written: one large anchored
		// string must not be copied even once past the limit.
		next := 1
		if n.Kind == yaml.ScalarNode {
			next = len(n.Value) + 2
		}
		if !c.charge(next, n, p) {
			return
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		c.alias(n, p)
	case yaml.MappingNode:
		c.mapping(n, p)
	case yaml.SequenceNode:
		c.buf.WriteByte('[')
		for i, e := range n.Content {
			if i > 0 {
				c.buf.WriteByte(',')
			}
			c.value(e, indexPath(p, i))
		}
		c.buf.WriteByte(']')
	case yaml.ScalarNode:
		c.scalar(n, p)
	case yaml.DocumentNode:
		c.fail(p, "---", "a YAML document cannot be nested in a value")
	default:
		c.fail(p, n.Value, "unsupported YAML node")
	}
}

type aliasSite struct {
	path *field.Path
	name string
}

func aliasName(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		return n.Value
	}
	return n.Anchor
}

func (c *yamlConverter) alias(n *yaml.Node, p *field.Path) {
	target := n.Alias
	switch {
	case target == nil:
		c.fail(p, "*"+n.Value, "unknown YAML anchor")
		return
	case c.expanding[target]:
		c.fail(p, "*"+n.Value, "YAML alias refers to a node that contains it (infinite recursion)")
		return
	}
	c.expanding[target] = true
	c.aliases = append(c.aliases, aliasSite{pathString(p), "*" + n.Value})
	c.enterAlias()
	c.value(target, p)
	c.leaveAlias()
	c.aliases = c.aliases[:len(c.aliases)-1]
	delete(c.expanding, target)
}

func indexPath(p *field.Path, i int) *field.Path {
	if p == nil {
		return field.NewPath(rootPath).Index(i)
	}
	return p.Index(i)
}

func childPath(p *field.Path, k string) *field.Path {
	if p == nil {
		return field.NewPath(k)
	}
	return p.Child(k)
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

type mapEntry struct {
	key   string
	value *yaml.Node
	path  *field.Path
	// merged says the entry came in through a "<<" merge key.
	merged bool
}

// mapping writes an object.
func (c *yamlConverter) mapping(n *yaml.Node, p *field.Path) {
	entries := c.entries(n, p, false)
	c.buf.WriteByte('{')
	for i, e := range entries {
		if i > 0 {
			c.buf.WriteByte(',')
		}
		if !c.charge(len(e.key)+3, e.value, e.path) {
			return
		}
		writeJSONString(&c.buf, e.key)
		c.buf.WriteByte(':')
		if e.merged {
			// A merged value is a copy, like an alias: it counts against
			// the expansion budget.
			c.enterAlias()
			c.value(e.value, e.path)
			c.leaveAlias()
		} else {
			c.value(e.value, e.path)
		}
	}
	c.buf.WriteByte('}')
}

// entries returns a mapping's effective entries: its own keys, then the
// keys merged in with "<<" that it does not set itself (among merged
// mappings the first wins, as YAML specifies). p is where the entries land.
func (c *yamlConverter) entries(n *yaml.Node, p *field.Path, viaMerge bool) []mapEntry {
	if c.merging[n] {
		c.fail(childPath(p, "<<"), keySnippet(n), "YAML merge refers to a mapping that contains it (infinite recursion)")
		return nil
	}
	c.merging[n] = true
	defer delete(c.merging, n)

	var explicit, merged []mapEntry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && !c.stop(); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		rk := resolve(kn)
		if rk == nil || rk.Kind != yaml.ScalarNode {
			c.fail(p, keySnippet(kn), "mapping keys must be strings")
			continue
		}
		if kn.Kind == yaml.ScalarNode && kn.ShortTag() == "!!merge" {
			srcs := []*yaml.Node{vn}
			if r := resolve(vn); r != nil && r.Kind == yaml.SequenceNode {
				srcs = r.Content
			}
			for _, src := range srcs {
				r := resolve(src)
				if r == nil || r.Kind != yaml.MappingNode {
					c.fail(childPath(p, "<<"), keySnippet(src), "a YAML merge key needs a mapping or a list of mappings")
					continue
				}
				merged = append(merged, c.entries(r, p, true)...)
			}
			continue
		}
		key := rk.Value
		kp := childPath(p, key)
		if seen[key] {
			c.errs = append(c.errs, field.Duplicate(kp, key))
			continue
		}
		seen[key] = true
		explicit = append(explicit, mapEntry{key: key, value: vn, path: kp, merged: viaMerge})
	}
	for _, m := range merged {
		if !seen[m.key] {
			seen[m.key] = true
			m.merged = true
			explicit = append(explicit, m)
		}
	}
	return explicit
}

func keySnippet(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.AliasNode:
		return "*" + n.Value
	case yaml.ScalarNode:
		return n.Value
	case yaml.MappingNode:
		return "{...}"
	case yaml.SequenceNode:
		return "[...]"
	}
	return ""
}

var jsonNumberRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func (c *yamlConverter) scalar(n *yaml.Node, p *field.Path) {
	switch n.ShortTag() {
	case "!!null":
		c.buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			c.fail(p, n.Value, "is not a boolean (true or false)")
			return
		}
		c.buf.WriteString(strconv.FormatBool(b))
	case "!!int", "!!float":
		if jsonNumberRE.MatchString(n.Value) {
			c.buf.WriteString(n.Value) // as written: out-of-range values are reported verbatim
			return
		}
		var v any
		if err := n.Decode(&v); err != nil {
			c.fail(p, n.Value, "is not a number")
			return
		}
		switch x := v.(type) {
		case int:
			c.buf.WriteString(strconv.Itoa(x))
		case int64:
			c.buf.WriteString(strconv.FormatInt(x, 10))
		case uint64:
			c.buf.WriteString(strconv.FormatUint(x, 10))
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				c.fail(p, n.Value, "must be a finite number")
				return
			}
			// A float stays a float ("2." is 2.0, not 2), so an integer
			// field refuses 2. as it refuses 1.0.
			f := strconv.FormatFloat(x, 'g', -1, 64)
			if !strings.ContainsAny(f, ".e") {
				f += ".0"
			}
			c.buf.WriteString(f)
		default:
			writeJSONString(&c.buf, n.Value)
		}
	default:
		// !!str, !!timestamp, !!binary and custom tags: the text as written.
		writeJSONString(&c.buf, n.Value)
	}
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	buf.Write(b)
}

// snippet shortens a value for an error message.
func snippet(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
		return s[:cut] + "..."
	}
	return s
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
