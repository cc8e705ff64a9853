package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// DecodeServedModel decodes a ServedModel from JSON strictly: unknown and
// duplicate fields and wrong types are errors with their field paths.
func DecodeServedModel(data []byte) (*ServedModel, field.ErrorList) {
	m := &ServedModel{}
	return m, decodeStrict(data, m)
}

// DecodePlatform decodes a Platform from JSON strictly.
func DecodePlatform(data []byte) (*Platform, field.ErrorList) {
	p := &Platform{}
	return p, decodeStrict(data, p)
}

// fieldPathError is what sigs.k8s.io/json's strict errors implement.
type fieldPathError interface{ FieldPath() string }

func decodeStrict(data []byte, into any) field.ErrorList {
	strict, err := kjson.UnmarshalStrict(data, into)
	var errs field.ErrorList
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := field.NewPath(te.Field)
			if te.Field == "" {
				p = field.NewPath("<root>")
			}
			errs = append(errs, field.Invalid(p, te.Value, fmt.Sprintf("must be of type %s", goTypeName(te.Type.String()))))
		} else {
			errs = append(errs, field.Invalid(field.NewPath("<root>"), "", "not a valid object: "+err.Error()))
		}
	}
	for _, e := range strict {
		var fe fieldPathError
		if !errors.As(e, &fe) {
			errs = append(errs, field.Invalid(field.NewPath("<root>"), "", e.Error()))
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
	default:
		return "object"
	}
}
