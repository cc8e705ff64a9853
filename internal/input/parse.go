package input

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Parse parses a YAML stream the way kustomize does (kio.ByteReader:
// documents split on "---" lines, CRLF read as LF), adding annotations to
// every node. A failure is reported with the line in the stream, not in the
// document, and the offending text.
func Parse(name string, data []byte, annotations map[string]string) ([]*yaml.RNode, *Error) {
	if e := CheckDocumentEnds(name, data); e != nil {
		return nil, e
	}
	r := &kio.ByteReader{Reader: bytes.NewReader(data), SetAnnotations: annotations}
	nodes, err := r.Read()
	if err != nil {
		return nil, Locate(name, data, err)
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
func chunks(name, text string) ([]chunk, *Error) {
	var out []chunk
	prev, line := 0, 1
	for _, loc := range separatorRE.FindAllStringIndex(text, -1) {
		sep := text[loc[0]:loc[1]]
		sepLine := line + strings.Count(text[prev:loc[0]], "\n") + 1
		if rest := strings.TrimSpace(sep[4:]); rest != "" && rest[0] != '#' {
			return nil, &Error{Name: name, Line: sepLine, Message: "invalid YAML document separator: only a comment may follow ---", Value: strings.TrimSpace(sep)}
		}
		out = append(out, chunk{text[prev:loc[0]], line})
		line = sepLine + 1
		prev = loc[1]
	}
	return append(out, chunk{text[prev:], line}), nil
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
