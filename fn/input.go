package fn

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxInputBytes caps one input: the function's stdin, or one file the CLI
// reads. It is checked before anything is parsed. 8 MiB holds a fleet of
// 10,000 typical ServedModels (about 4 MiB; see the README) with room to
// spare, and keeps a runaway input from exhausting the memory of the
// kustomize or Argo CD process that runs the function.
const MaxInputBytes = 8 << 20

// InputError is a problem with an input as a whole rather than with a
// field of an object: its size, its encoding or its YAML syntax. Line and
// Column are 1-based; 0 means unknown.
type InputError struct {
	// Name is the file, or "<stdin>".
	Name    string
	Line    int
	Column  int
	Message string
	// Value is the offending text (usually the line), if any.
	Value string
}

func (e *InputError) position() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: ", e.Line, e.Column)
	case e.Line > 0:
		return fmt.Sprintf("line %d: ", e.Line)
	}
	return ""
}

// Detail is the error without the input's name: position, message, value.
func (e *InputError) Detail() string {
	s := e.position() + e.Message
	if e.Value != "" {
		s += ": " + strconv.Quote(e.Value)
	}
	return s
}

func (e *InputError) Error() string { return e.Name + ": " + e.Detail() }

// Result is the error as a KRM result. Its field path is the input's name,
// the closest thing to a path an unparsable input has; the position is in
// the message.
func (e *InputError) Result() *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: e.Detail(), Field: &framework.Field{Path: e.Name}}
	if e.Value != "" {
		r.Field.CurrentValue = e.Value
	}
	return r
}

// ReadInput reads all of r, refusing more than MaxInputBytes before any of
// it is parsed.
func ReadInput(name string, r io.Reader) ([]byte, *InputError) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, &InputError{Name: name, Message: "cannot read: " + err.Error()}
	}
	if len(data) > MaxInputBytes {
		// Count the rest (bounded) so the message can say how big it is.
		rest, _ := io.Copy(io.Discard, io.LimitReader(r, 1<<30))
		return nil, TooLarge(name, int64(len(data))+rest)
	}
	return data, nil
}

// TooLarge is the error for an input over MaxInputBytes.
func TooLarge(name string, size int64) *InputError {
	return &InputError{Name: name, Message: fmt.Sprintf(
		"input is %d bytes, more than the limit of %d bytes (%d MiB) per file or stream; split the fleet into several files or function calls",
		size, MaxInputBytes, MaxInputBytes>>20)}
}

// ParseYAML parses a YAML stream the way kustomize does (kio.ByteReader:
// documents split on "---" lines, CRLF read as LF), adding annotations to
// every node. A failure is reported with the line in the stream, not in the
// document, and the offending text.
func ParseYAML(name string, data []byte, annotations map[string]string) ([]*yaml.RNode, *InputError) {
	if e := multiDocumentChunk(name, data); e != nil {
		return nil, e
	}
	r := &kio.ByteReader{Reader: bytes.NewReader(data), SetAnnotations: annotations}
	nodes, err := r.Read()
	if err != nil {
		return nil, LocateYAMLError(name, data, err)
	}
	return nodes, nil
}

var (
	// separatorRE is how kio.ByteReader splits documents.
	separatorRE = regexp.MustCompile(`\n---.*\n`)
	// yamlLineRE is how go.yaml.in/yaml/v3 prefixes a position.
	yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// unmarshalLineRE finds the position in a yaml.v3 unmarshal error.
	unmarshalLineRE = regexp.MustCompile(`line (\d+): (.*)`)
	// docEndRE is a YAML document end marker, which kio.ByteReader does
	// not split on.
	docEndRE = regexp.MustCompile(`(?m)^\.\.\.[ \t]*(#.*)?\r?$`)
)

// parserProblems are go.yaml.in/yaml/v3's parser (not scanner) messages:
// their "line N" is the 0-based line of the construct being parsed, so the
// 1-based line is N+1. Scanner messages already count from 1.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected key",
	"did not find expected '-' indicator", "did not find expected ',' or ']'",
	"did not find expected ',' or '}'", "found undefined tag handle",
	"found duplicate %TAG directive", "found duplicate %YAML directive",
	"found incompatible YAML document",
}

type chunk struct {
	text string
	line int // 1-based line of the chunk's first line in the stream
}

// chunks splits a stream as kio.ByteReader does, remembering where each
// document starts. A separator with content other than a comment is an
// error, as it is for kio.
func chunks(name, text string) ([]chunk, *InputError) {
	var out []chunk
	prev, line := 0, 1
	for _, loc := range separatorRE.FindAllStringIndex(text, -1) {
		sep := text[loc[0]:loc[1]]
		sepLine := line + strings.Count(text[prev:loc[0]], "\n") + 1
		if rest := strings.TrimSpace(sep[4:]); rest != "" && rest[0] != '#' {
			return nil, &InputError{Name: name, Line: sepLine, Message: "invalid YAML document separator: only a comment may follow ---", Value: strings.TrimSpace(sep)}
		}
		out = append(out, chunk{text[prev:loc[0]], line})
		line = sepLine + 1
		prev = loc[1]
	}
	return append(out, chunk{text[prev:], line}), nil
}

// multiDocumentChunk refuses a chunk holding two documents separated by a
// "..." end marker: kio.ByteReader reads only the first one of them and
// would silently drop the rest.
func multiDocumentChunk(name string, data []byte) *InputError {
	if !docEndRE.Match(data) {
		return nil
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	cs, ierr := chunks(name, text)
	if ierr != nil {
		return ierr
	}
	for _, c := range cs {
		dec := yaml.NewDecoder(strings.NewReader(c.text))
		for i := 0; ; i++ {
			var n yaml.Node
			err := dec.Decode(&n)
			if err == io.EOF || (err != nil && i == 0) {
				break // the end, or a syntax error the reader reports
			}
			if i == 0 || yaml.IsYNodeEmptyDoc(&n) {
				continue
			}
			line := n.Line
			if err != nil {
				line, _ = yamlErrorLine(c.text, err)
			}
			abs := c.line + line - 1
			return &InputError{Name: name, Line: abs, Message: "a second YAML document after a \"...\" end marker; separate documents with ---", Value: lineOf(text, abs)}
		}
	}
	return nil
}

// yamlErrorLine returns the 1-based line (in text) and the message of a
// go.yaml.in/yaml/v3 error.
func yamlErrorLine(text string, err error) (int, string) {
	line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	for _, p := range parserProblems {
		if msg == p {
			line++
			break
		}
	}
	if m := unknownAnchorRE.FindStringSubmatch(msg); m != nil {
		line = lineContaining(text, "*"+m[1])
	}
	return contentLine(text, max(line, 1)), msg
}

// LocateYAMLError explains why data did not parse as a YAML stream: the
// line (in the whole stream) and the offending text. err is the reader's
// error, used as the message when nothing more precise is found.
func LocateYAMLError(name string, data []byte, err error) *InputError {
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if e := encodingError(name, text); e != nil {
		return e
	}
	cs, ierr := chunks(name, text)
	if ierr != nil {
		return ierr
	}
	for _, c := range cs {
		dec := yaml.NewDecoder(strings.NewReader(c.text))
		var n yaml.Node
		derr := dec.Decode(&n)
		if derr == io.EOF {
			continue
		}
		if derr != nil {
			line, msg := yamlErrorLine(c.text, derr)
			abs := c.line + line - 1
			return &InputError{Name: name, Line: abs, Message: "invalid YAML: " + msg, Value: lineOf(text, abs)}
		}
		if e := metaError(name, c, &n); e != nil {
			return e
		}
	}
	return &InputError{Name: name, Message: "cannot read the input: " + strings.TrimPrefix(err.Error(), "MalformedYAMLError: ")}
}

var unknownAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// lineContaining returns the 1-based line of the first occurrence of s.
func lineContaining(text, s string) int {
	i := strings.Index(text, s)
	if i < 0 {
		return 1
	}
	return strings.Count(text[:i], "\n") + 1
}

// contentLine moves a line number that points past the end of the text or
// at a blank line (where the parser noticed a construct was never closed)
// back to the last line with content.
func contentLine(text string, line int) int {
	lines := strings.Split(text, "\n")
	if line > len(lines) {
		line = len(lines)
	}
	for line > 1 && strings.TrimSpace(lines[line-1]) == "" {
		line--
	}
	return line
}

// encodingError finds the first byte that is not UTF-8, or the first
// character YAML does not allow unescaped.
func encodingError(name, text string) *InputError {
	line, col := 1, 1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &InputError{Name: name, Line: line, Column: col,
				Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): YAML input must be UTF-8", text[i]), Value: lineOf(text, line)}
		case !yamlPrintable(r):
			return &InputError{Name: name, Line: line, Column: col,
				Message: fmt.Sprintf("character %U is not allowed in YAML; write it as an escape in a double-quoted string", r), Value: lineOf(text, line)}
		case r == '\n':
			line, col = line+1, 0
		}
		i += size
		col++
	}
	return nil
}

// yamlPrintable is YAML 1.2's c-printable set.
func yamlPrintable(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r', r >= 0x20 && r <= 0x7E, r == 0x85:
		return true
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// metaError finds what kio.ByteReader's metadata read (GetMeta), or the
// function framework's annotation handling, chokes on in a document that
// parses: a document that is not a mapping, a duplicate top-level or
// metadata key, or apiVersion, kind or metadata of the wrong shape. In a
// ResourceList the items and the functionConfig are checked the same way.
func metaError(name string, c chunk, doc *yaml.Node) *InputError {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil
	}
	at := func(n *yaml.Node, path, msg string) *InputError {
		line := c.line + n.Line - 1
		v := n.Value
		switch n.Kind {
		case yaml.MappingNode:
			v = "{...}"
		case yaml.SequenceNode:
			v = "[...]"
		case yaml.AliasNode:
			v = "*" + n.Value
		}
		return &InputError{Name: name, Line: line, Message: path + ": " + msg, Value: shorten(v)}
	}
	if e := objectShape(root, "<document>", "", at); e != nil {
		return e
	}
	if kind := stringField(root, "kind"); kind != kio.ResourceListKind && kind != "List" {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch {
		case k == "items" && v.Kind == yaml.SequenceNode:
			for j, it := range v.Content {
				p := fmt.Sprintf("items[%d]", j)
				if e := objectShape(it, p, p+".", at); e != nil {
					return e
				}
			}
		case k == "items" && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"):
			return at(v, "items", "must be a list of objects")
		case k == "functionConfig" && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"):
			if e := objectShape(v, "functionConfig", "functionConfig.", at); e != nil {
				return e
			}
		}
	}
	return nil
}

func stringField(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// objectShape checks that n is a mapping whose apiVersion, kind and
// metadata have the shapes Kubernetes tooling reads them with.
func objectShape(root *yaml.Node, self, prefix string, at func(*yaml.Node, string, string) *InputError) *InputError {
	switch root.Kind {
	case yaml.MappingNode:
	case yaml.ScalarNode:
		return at(root, self, "must be a mapping (a Kubernetes object), not a scalar")
	case yaml.SequenceNode:
		return at(root, self, "must be a mapping (a Kubernetes object), not a list")
	default:
		return at(root, self, "must be a mapping (a Kubernetes object)")
	}
	if e := duplicateKey(root, prefix, at); e != nil {
		return e
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch k {
		case "apiVersion", "kind":
			if v.Kind != yaml.ScalarNode {
				return at(v, prefix+k, "must be a string")
			}
		case "metadata":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return at(v, prefix+k, "must be a mapping")
			}
			if e := duplicateKey(v, prefix+"metadata.", at); e != nil {
				return e
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				mk, mv := v.Content[j].Value, v.Content[j+1]
				switch mk {
				case "name", "namespace":
					if mv.Kind != yaml.ScalarNode {
						return at(mv, prefix+"metadata."+mk, "must be a string")
					}
				case "labels", "annotations":
					if mv.Kind == yaml.ScalarNode && mv.ShortTag() == "!!null" {
						continue
					}
					if mv.Kind != yaml.MappingNode {
						return at(mv, prefix+"metadata."+mk, "must be a map of strings")
					}
					if e := duplicateKey(mv, prefix+"metadata."+mk+".", at); e != nil {
						return e
					}
					for l := 0; l+1 < len(mv.Content); l += 2 {
						if mv.Content[l+1].Kind != yaml.ScalarNode {
							return at(mv.Content[l+1], prefix+"metadata."+mk+"."+mv.Content[l].Value, "must be a string")
						}
					}
				}
			}
		}
	}
	return nil
}

func duplicateKey(m *yaml.Node, prefix string, at func(*yaml.Node, string, string) *InputError) *InputError {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if seen[k.Value] {
			return at(k, prefix+k.Value, "duplicate key")
		}
		seen[k.Value] = true
	}
	return nil
}

// lineOf returns the text of a 1-based line, shortened.
func lineOf(text string, line int) string {
	for i := 1; i < line; i++ {
		j := strings.IndexByte(text, '\n')
		if j < 0 {
			return ""
		}
		text = text[j+1:]
	}
	if j := strings.IndexByte(text, '\n'); j >= 0 {
		text = text[:j]
	}
	return shorten(strings.TrimRight(text, "\r"))
}

func shorten(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
