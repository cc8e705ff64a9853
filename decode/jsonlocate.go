package decode

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// jsonValue is one value in a JSON document: where it is and what it says.
type jsonValue struct {
	// keys are the object keys from the root to the value (array indices
	// left out, as encoding/json's UnmarshalTypeError.Field leaves them out).
	keys []string
	// path is the full path with indices, such as spec.engine.env[1].name.
	path *field.Path
	// start and end are byte offsets: end is just past the value, start is
	// just past the token before it.
	start, end int64
	raw        []byte
}

// walkJSON calls visit for every value in data, parents before children.
// Parents are visited when they end (so their end offset is known); visit
// returning false stops the walk.
func walkJSON(data []byte, visit func(v *jsonValue) bool) {
	type frame struct {
		v      *jsonValue
		object bool
		key    string
		index  int
		// wantKey says the next string token in an object is a key.
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	child := func() *jsonValue {
		if len(stack) == 0 {
			return &jsonValue{}
		}
		top := stack[len(stack)-1]
		v := &jsonValue{}
		if top.object {
			v.keys = append(append([]string(nil), top.v.keys...), top.key)
			v.path = childPath(top.v.path, top.key)
		} else {
			v.keys = top.v.keys
			v.path = indexPath(top.v.path, top.index)
			top.index++
		}
		return v
	}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return
		}
		after := dec.InputOffset()
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.object && top.wantKey {
				if k, ok := tok.(string); ok {
					top.key, top.wantKey = k, false
					continue
				}
			}
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				v := child()
				v.start = before
				stack = append(stack, &frame{v: v, object: d == '{', wantKey: d == '{'})
				continue
			default: // '}' or ']'
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				top.v.end = after
				top.v.raw = trimJSONToken(data[top.v.start:after])
				if !visit(top.v) {
					return
				}
			}
		} else {
			v := child()
			v.start, v.end = before, after
			v.raw = trimJSONToken(data[before:after])
			if !visit(v) {
				return
			}
		}
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// trimJSONToken drops the separators and spaces before a value.
func trimJSONToken(b []byte) []byte {
	return bytes.TrimLeftFunc(b, func(r rune) bool { return r == ',' || r == ':' || unicode.IsSpace(r) })
}

// locateTypeError finds the value a type error is about. field is
// encoding/json's dotted path (struct fields only: no indices, no map keys,
// embedded Go type names included); offset is where decoding noticed,
// or 0 when unknown. It returns the full path and the value as written.
func locateTypeError(data []byte, fieldPath string, offset int64) (*field.Path, any, bool) {
	var want []string
	for _, k := range strings.Split(fieldPath, ".") {
		if k == "" || isEmbeddedTypeName(k) {
			continue
		}
		want = append(want, k)
	}
	var best, exact *jsonValue
	walkJSON(data, func(v *jsonValue) bool {
		if !hasPrefix(v.keys, want) {
			return true
		}
		// The first exact match in document order, or a value enclosing
		// it (a list is visited after its elements).
		if len(v.keys) == len(want) && (exact == nil || v.start <= exact.start && v.end >= exact.end) {
			exact = v
		}
		if offset > v.start && offset <= v.end {
			// Children are visited before their parents: keep the first,
			// innermost value that contains the offset.
			if best == nil {
				best = v
			}
		}
		return true
	})
	if best == nil {
		best = exact
	}
	if best == nil {
		return nil, nil, false
	}
	return best.path, jsonScalar(best.raw), true
}

// locateString finds the first string value equal to s.
func locateString(data []byte, s string) (*field.Path, bool) {
	var found *field.Path
	walkJSON(data, func(v *jsonValue) bool {
		var got string
		if len(v.raw) > 0 && v.raw[0] == '"' && json.Unmarshal(v.raw, &got) == nil && got == s {
			found = v.path
			return false
		}
		return true
	})
	return found, found != nil
}

// isEmbeddedTypeName reports a Go type name encoding/json puts in Field for
// embedded structs (TypeMeta); servelayer's JSON names are lowerCamel.
func isEmbeddedTypeName(k string) bool {
	return k != "" && unicode.IsUpper(rune(k[0]))
}

func hasPrefix(keys, prefix []string) bool {
	if len(keys) < len(prefix) {
		return false
	}
	for i := range prefix {
		if keys[i] != prefix[i] {
			return false
		}
	}
	return true
}

// jsonScalar returns a value for an error message: strings, integers and
// finite numbers as such, anything else as its (shortened) JSON text.
func jsonScalar(raw []byte) any {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return snippet(s)
		}
	case 't', 'f':
		return string(raw) == "true"
	case 'n':
		return "null"
	case '{', '[':
		return RawValue(snippet(compactJSON(raw)))
	default:
		if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return i
		}
		// Any other number as written: 1e+20 would misquote 99999999999999999999.
		return RawValue(snippet(string(raw)))
	}
	return RawValue(snippet(string(raw)))
}

// RawValue is a value quoted in an error as written (JSON text, possibly
// shortened), without the quotes a string would get.
type RawValue string

func (v RawValue) String() string { return string(v) }

// MarshalJSON returns the text itself; field.Error prints it when it is
// valid JSON, and falls back to String otherwise.
func (v RawValue) MarshalJSON() ([]byte, error) { return []byte(v), nil }

func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

// jsonPosition turns a byte offset into a 1-based line and column.
func jsonPosition(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	prefix := data[:offset]
	line = bytes.Count(prefix, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}

// lineAt returns the text of a 1-based line.
func lineAt(data []byte, line int) string {
	r := bytes.NewReader(data)
	for i := 1; ; i++ {
		var b bytes.Buffer
		for {
			c, err := r.ReadByte()
			if err == io.EOF {
				if i == line {
					return b.String()
				}
				return ""
			}
			if c == '\n' {
				break
			}
			b.WriteByte(c)
		}
		if i == line {
			return strings.TrimRight(b.String(), "\r")
		}
	}
}
