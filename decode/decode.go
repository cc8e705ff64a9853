// Package decode reads ServedModel and Platform documents strictly with
// field-pathed errors: unknown and duplicate fields, wrong types, YAML that
// JSON cannot hold and runaway YAML aliases are each reported at their field
// path with the value as written.
//
// The YAML functions convert one document to JSON with YAMLToJSON (or a
// parsed node with YAMLNodeToJSON) and decode the JSON with ServedModel or
// Platform; the types themselves, their defaults and their validation live in
// package schema.
package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/servelayer/servelayer/schema"
)

// ServedModel decodes a ServedModel from JSON strictly: unknown and
// duplicate fields and wrong types are errors with their field paths.
func ServedModel(data []byte) (*schema.ServedModel, field.ErrorList) {
	m := &schema.ServedModel{}
	return m, decodeStrict(data, m)
}

// Platform decodes a Platform from JSON strictly, like ServedModel.
func Platform(data []byte) (*schema.Platform, field.ErrorList) {
	p := &schema.Platform{}
	return p, decodeStrict(data, p)
}

// fieldPathError is what sigs.k8s.io/json's strict errors implement.
type fieldPathError interface{ FieldPath() string }

func decodeStrict(data []byte, into any) field.ErrorList {
	strict, err := kjson.UnmarshalStrict(data, into)
	var errs field.ErrorList
	if err != nil {
		errs = append(errs, decodeError(data, err))
	}
	for _, e := range strict {
		var fe fieldPathError
		if !errors.As(e, &fe) {
			errs = append(errs, field.Invalid(field.NewPath(rootPath), "", e.Error()))
			continue
		}
		p := fe.FieldPath()
		name := p[strings.LastIndex(p, ".")+1:]
		if strings.HasPrefix(e.Error(), "duplicate field") {
			errs = append(errs, field.Duplicate(field.NewPath(p), name))
		} else {
			errs = append(errs, field.Invalid(field.NewPath(p), name, "unknown field (`servelayer schema` lists the fields this kind accepts)"))
		}
	}
	return errs
}

// decodeError turns a decoding error into one field error with the field
// path (indices included) and the value as written, which encoding/json's
// own errors lack: they give a path without indices and describe the value
// only as "string" or "array".
func decodeError(data []byte, err error) *field.Error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var pe *time.ParseError
	switch {
	case errors.As(err, &te):
		want := goTypeName(te.Type.String())
		if te.Field == "" {
			return field.Invalid(field.NewPath(rootPath), jsonKind(data), "must be a JSON or YAML object (a mapping)")
		}
		if p, v, ok := locateTypeError(data, te.Field, te.Offset); ok {
			return field.Invalid(p, v, "must be of type "+want+wholeNumberFix(want, v))
		}
		p := field.NewPath(rootPath)
		if te.Field != "" {
			p = field.NewPath(te.Field)
		}
		return field.Invalid(p, te.Value, "must be of type "+want)
	case errors.As(err, &se):
		line, col := jsonPosition(data, se.Offset)
		return field.Invalid(field.NewPath(rootPath), snippet(lineAt(data, line)),
			fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, se.Error()))
	case errors.As(err, &pe):
		if p, ok := locateString(data, pe.Value); ok {
			return field.Invalid(p, pe.Value, "must be an RFC 3339 time, such as 2006-01-02T15:04:05Z")
		}
		return field.Invalid(field.NewPath(rootPath), pe.Value, "must be an RFC 3339 time, such as 2006-01-02T15:04:05Z")
	case strings.Contains(err.Error(), "exceeded max depth"):
		return field.Invalid(field.NewPath(rootPath), "", "nested too deeply: "+err.Error())
	}
	return field.Invalid(field.NewPath(rootPath), "", "not a valid object: "+err.Error())
}

// wholeNumberFix suggests the integer for a number an integer field
// refuses: 2.0 (or 2., or 2e0) is written 2.
func wholeNumberFix(want string, v any) string {
	if want != "integer" {
		return ""
	}
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	switch {
	case err != nil:
		return ""
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		return fmt.Sprintf(": write %d, without a decimal point or exponent", int64(f))
	}
	return ": write a whole number, without a decimal point or exponent"
}

// jsonKind names the kind of a JSON document's top-level value.
func jsonKind(data []byte) string {
	b := bytes.TrimLeftFunc(data, unicode.IsSpace)
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '{':
		return "an object"
	}
	return "a number"
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "integer"
	case t == "bool":
		return "boolean"
	case t == "string", strings.HasSuffix(t, "Layer"):
		return "string"
	case strings.HasPrefix(t, "[]"):
		return "list"
	case strings.HasSuffix(t, "Quantity"):
		return "quantity (a string such as \"4\", 500m or 16Gi, or a number)"
	case strings.HasPrefix(t, "map["):
		return "map of strings"
	default:
		return "object"
	}
}
