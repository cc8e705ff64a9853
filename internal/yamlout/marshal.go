package yamlout

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// AppendMarshal appends v as one YAML document the way a
// go.yaml.in/yaml/v3 Encoder with kyaml's settings writes v itself
// (Encoder.Encode(v)), not its JSON form: field names from yaml tags, and
// strings quoted by the encoder's rules for Go strings, which also quote
// YAML 1.1 booleans (yes, on) and base-60 floats (1:20). Supported: structs
// whose exported fields all have a yaml name and no options, slices,
// pointers, strings, bools and integers. Anything else, and a string that
// is not valid UTF-8 (yaml.v3 writes those as !!binary), is an error.
func AppendMarshal(dst []byte, v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if err := yamlDialect.check(rv.Type()); err != nil {
		return dst, err
	}
	if s, ok := invalidUTF8(rv); ok {
		return dst, fmt.Errorf("yamlout: %q is not valid UTF-8", s)
	}
	e := emitters.Get().(*emitter)
	defer emitters.Put(e)
	e.start(dst)
	marshalValue(e, rv, context{root: true}, false)
	return e.end(), nil
}

func marshalValue(e *emitter, v reflect.Value, ctx context, parentSeqItem bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			e.scalar("null", plainStyle, ctx, parentSeqItem)
			return
		}
		marshalValue(e, v.Elem(), ctx, parentSeqItem)
	case reflect.String:
		s := v.String()
		e.scalar(s, goStringStyle(s), ctx, parentSeqItem)
	case reflect.Bool:
		e.scalar(strconv.FormatBool(v.Bool()), plainStyle, ctx, parentSeqItem)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.scalar(strconv.FormatInt(v.Int(), 10), plainStyle, ctx, parentSeqItem)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.scalar(strconv.FormatUint(v.Uint(), 10), plainStyle, ctx, parentSeqItem)
	case reflect.Slice:
		if v.Len() == 0 { // nil too: yaml.v3 writes an empty sequence
			e.emptyFlow(ctx, parentSeqItem, "[", "]")
			return
		}
		sequence(e, v, ctx, parentSeqItem, marshalValue)
	case reflect.Struct:
		fields := yamlDialect.fields(v.Type())
		if len(fields) == 0 {
			e.emptyFlow(ctx, parentSeqItem, "{", "}")
			return
		}
		e.beginMapping(ctx, parentSeqItem)
		for i := range fields {
			f := &fields[i]
			e.key(f.name, f.nameAnalysis, f.nameStyle)
			marshalValue(e, v.Field(f.index[0]), context{mapping: true}, false)
		}
		e.endMapping()
	}
}

// goStringStyle is the style yaml.v3's encoder asks for a Go string
// (encoder.stringv, no tag), but for tabFirstLines.
func goStringStyle(s string) style {
	switch {
	case tabFirstLines(s):
		return doubleQuotedStyle
	case strings.Contains(s, "\n"):
		return literalStyle
	case !resolvesToString(s) || isBase60Float(s) || isOldBool(s):
		return doubleQuotedStyle
	}
	return plainStyle
}

// base60float is compiled when first needed: a process that renders one
// model should not pay for it at start-up.
var base60float = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
})

func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c == '+' || c == '-' || c >= '0' && c <= '9') || strings.IndexByte(s, ':') < 0 {
		return false
	}
	return base60float().MatchString(s)
}

func isOldBool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

// invalidUTF8 finds a string in v that is not valid UTF-8.
func invalidUTF8(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return invalidUTF8(v.Elem())
		}
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return v.String(), true
		}
	case reflect.Slice:
		for i := range v.Len() {
			if s, ok := invalidUTF8(v.Index(i)); ok {
				return s, true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if s, ok := invalidUTF8(v.Field(i)); ok {
					return s, true
				}
			}
		}
	}
	return "", false
}
