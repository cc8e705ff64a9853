package input

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Parse parses a YAML stream as ParseObjects does and returns its objects'
// nodes.
func Parse(name string, data []byte, annotations map[string]string) ([]*yaml.RNode, *Error) {
	objs, err := ParseObjects(name, data, annotations)
	if err != nil {
		return nil, err
	}
	nodes := make([]*yaml.RNode, len(objs))
	for i, o := range objs {
		nodes[i] = o.Node
	}
	return nodes, nil
}

// ParseObjects parses a YAML stream into objects the way kustomize reads
// it (documents split on "---" lines as kio.ByteReader splits them, CRLF
// read as LF, empty and null documents dropped), with these differences,
// each of which would otherwise drop a model silently or cost more than
// the input can need:
//
//   - the documents are counted before any is parsed, and more than
//     MaxObjects is an error; a blank document (comments, "---") costs a
//     scan, not a parse;
//   - a List (see IsList) is unwrapped wherever it is, not only when it is
//     the only document, and Lists in it too; its items count against
//     MaxObjects;
//   - a servelayer object gets its identity written out (merge keys and
//     aliases resolved; see IdentityOf) and, only it, the annotations
//     (index and the given ones, such as the file's path);
//   - a document is checked for the shapes Kubernetes tooling reads
//     (metadata a mapping, apiVersion a string, no duplicate keys: see
//     metaError).
//
// A failure is reported with the line in the stream, not in the document,
// and the offending text.
func ParseObjects(name string, data []byte, annotations map[string]string) ([]Object, *Error) {
	if e := CheckDocumentEnds(name, data); e != nil {
		return nil, e
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	docs := 0
	if e := eachChunk(name, text, func(c chunk, _ bool) *Error {
		if !blank(c.text) {
			if docs++; docs > MaxObjects {
				return TooManyObjects(name, c.line, "documents")
			}
		}
		return nil
	}); e != nil {
		return nil, e
	}
	var out []Object
	doc := 0
	e := eachChunk(name, text, func(c chunk, last bool) *Error {
		if blank(c.text) {
			return nil
		}
		var r io.Reader = strings.NewReader(c.text)
		if !last {
			// The split ate the line break before "---"; kio puts it back,
			// and it matters to a literal block scalar at the end.
			r = io.MultiReader(r, strings.NewReader("\n"))
		}
		var node yaml.Node
		if err := yaml.NewDecoder(r).Decode(&node); err == io.EOF {
			return nil
		} else if err != nil {
			return Locate(name, data, err)
		}
		if yaml.IsYNodeEmptyDoc(&node) || yaml.IsMissingOrNull(yaml.NewRNode(&node)) {
			return nil
		}
		rn := yaml.NewRNode(&node)
		// A document that is no object, or a List whose items are not,
		// is reported where it goes wrong. Someone else's object is
		// skipped as it is, and servelayer's is decoded with field paths.
		if !IsObject(rn) || IsList(rn) {
			if e := metaError(name, c, &node); e != nil {
				return e
			}
		}
		doc++
		objs, paths, err := Unwrap(rn, MaxObjects-len(out))
		if errors.Is(err, ErrTooManyObjects) {
			return TooManyObjects(name, c.line, "documents and List items")
		} else if err != nil {
			return &Error{Name: name, Line: c.line, Message: fmt.Sprintf("document %d: %v", doc, err)}
		}
		for i, n := range objs {
			if k := Classify(n); k == ServedModel || k == Platform {
				if err := keep(n, len(out), annotations); err != nil {
					// What kyaml could not annotate, such as annotations
					// that are a list, at its line.
					if e := metaError(name, c, &node); e != nil {
						return e
					}
					return &Error{Name: name, Line: c.line, Message: fmt.Sprintf("document %d: cannot annotate %s: %v", doc, paths[i], err)}
				}
			}
			out = append(out, Object{Node: n, Doc: doc, Item: paths[i]})
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	return out, nil
}

// blank reports whether a chunk holds no node: only blank lines, comments
// and document markers ("---", "...") with nothing after them but a
// comment.
func blank(text string) bool {
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") {
			line = strings.TrimSpace(line[3:])
		}
		if line != "" && line[0] != '#' {
			return false
		}
	}
	return true
}

var (
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

// eachChunk calls f for each chunk of a stream split as kio.ByteReader
// splits it (regexp \n---.*\n, leftmost first, matches not overlapping),
// remembering where each starts, without building the list: a stream can
// hold millions of separators. last says f has the final chunk. A
// separator with content other than a comment is an error, as it is for
// kio.
func eachChunk(name, text string, f func(c chunk, last bool) *Error) *Error {
	prev, line, from := 0, 1, 0
	for {
		i := strings.Index(text[from:], "\n---")
		if i < 0 {
			break
		}
		i += from
		j := strings.IndexByte(text[i+1:], '\n')
		if j < 0 {
			break // a last line "---" without a line break does not split
		}
		end := i + 1 + j + 1 // past the separator's line break
		sep := text[i : end-1]
		sepLine := line + strings.Count(text[prev:i], "\n") + 1
		if rest := strings.TrimSpace(sep[4:]); rest != "" && rest[0] != '#' {
			return &Error{Name: name, Line: sepLine, Message: "invalid YAML document separator: only a comment may follow ---", Value: strings.TrimSpace(sep)}
		}
		if e := f(chunk{text[prev:i], line}, false); e != nil {
			return e
		}
		line, prev, from = sepLine+1, end, end
	}
	return f(chunk{text[prev:], line}, true)
}

// chunks is eachChunk's chunks as a list.
func chunks(name, text string) ([]chunk, *Error) {
	var out []chunk
	e := eachChunk(name, text, func(c chunk, _ bool) *Error {
		out = append(out, c)
		return nil
	})
	return out, e
}

// CheckDocumentEnds refuses a chunk holding two documents separated by a
// "..." end marker: kio.ByteReader reads only the first one of them and
// would silently drop the rest. Parse checks it; a caller that reads the
// stream with its own kio reader must call it first.
func CheckDocumentEnds(name string, data []byte) *Error {
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
			return &Error{Name: name, Line: abs, Message: "a second YAML document after a \"...\" end marker; separate documents with ---", Value: lineOf(text, abs)}
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

// Locate explains why data did not parse as a YAML stream: the line (in
// the whole stream) and the offending text. err is the reader's error, used
// as the message when nothing more precise is found.
func Locate(name string, data []byte, err error) *Error {
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
			return &Error{Name: name, Line: abs, Message: "invalid YAML: " + msg, Value: lineOf(text, abs)}
		}
		if e := metaError(name, c, &n); e != nil {
			return e
		}
	}
	return &Error{Name: name, Message: "cannot read the input: " + strings.TrimPrefix(err.Error(), "MalformedYAMLError: ")}
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
func encodingError(name, text string) *Error {
	line, col := 1, 1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return &Error{Name: name, Line: line, Column: col,
				Message: fmt.Sprintf("invalid UTF-8 (byte 0x%02x): YAML input must be UTF-8", text[i]), Value: lineOf(text, line)}
		case !yamlPrintable(r):
			return &Error{Name: name, Line: line, Column: col,
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
