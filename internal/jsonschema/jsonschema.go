// Package jsonschema converts a CustomResourceDefinition's OpenAPI v3
// schema to a JSON Schema (draft-07) for editors (yaml-language-server) and
// kubeconform, so one source, the CRD controller-gen writes from the Go
// types, holds both.
//
// The conversion is what kubeconform's openapi2jsonschema.py does in its
// strict mode, plus the object's identity:
//   - x-kubernetes-int-or-string becomes type [integer, string];
//   - nullable adds "null" to the type;
//   - every object with properties and no additionalProperties (and not
//     x-kubernetes-preserve-unknown-fields) gets additionalProperties:
//     false, as servelayer's decoder refuses unknown fields;
//   - apiVersion and kind take only the CRD's group/version and kind;
//   - other x-kubernetes-* keys (list types, CEL) have no JSON Schema
//     form and are dropped.
package jsonschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Draft is the JSON Schema dialect written.
const Draft = "http://json-schema.org/draft-07/schema#"

// Schema is one converted version of a CRD.
type Schema struct {
	// File is the name kubeconform's CRD catalogs use:
	// <kind, lower case>_<version>.json.
	File string
	JSON []byte
}

type crd struct {
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// FromCRD converts every served version of a CRD (YAML 1.2 or JSON).
func FromCRD(data []byte) ([]Schema, error) {
	// YAML 1.2 (a key "n" or "on" stays a string), then JSON into crd.
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var c crd
	if err := json.Unmarshal(j, &c); err != nil {
		return nil, err
	}
	kind := c.Spec.Names.Kind
	if kind == "" || c.Spec.Group == "" {
		return nil, fmt.Errorf("not a CustomResourceDefinition: no spec.group or spec.names.kind")
	}
	var out []Schema
	for _, v := range c.Spec.Versions {
		s := v.Schema.OpenAPIV3Schema
		if !v.Served || s == nil {
			continue
		}
		convert(s)
		props, _ := s["properties"].(map[string]any)
		if props == nil {
			return nil, fmt.Errorf("%s %s: the schema has no properties", kind, v.Name)
		}
		apiVersion := c.Spec.Group + "/" + v.Name
		props["apiVersion"] = map[string]any{"type": "string", "enum": []any{apiVersion}, "description": describe(props["apiVersion"])}
		props["kind"] = map[string]any{"type": "string", "enum": []any{kind}, "description": describe(props["kind"])}
		s["required"] = union(s["required"], "apiVersion", "kind")
		s["$schema"] = Draft
		s["title"] = kind + " (" + apiVersion + ")"
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // patterns and descriptions as written
		enc.SetIndent("", "  ")
		if err := enc.Encode(s); err != nil {
			return nil, err
		}
		out = append(out, Schema{File: strings.ToLower(kind) + "_" + v.Name + ".json", JSON: b.Bytes()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no served version with a schema", kind)
	}
	return out, nil
}

func describe(s any) string {
	m, _ := s.(map[string]any)
	d, _ := m["description"].(string)
	return d
}

// union adds names missing from a "required" list, keeping its order.
func union(required any, names ...string) []any {
	list, _ := required.([]any)
	for _, n := range names {
		found := false
		for _, r := range list {
			found = found || r == n
		}
		if !found {
			list = append(list, n)
		}
	}
	return list
}

// convert rewrites one OpenAPI schema node and its children in place.
func convert(s map[string]any) {
	if s["x-kubernetes-int-or-string"] == true {
		s["type"] = []any{"integer", "string"}
	}
	if s["nullable"] == true {
		if t, ok := s["type"].(string); ok {
			s["type"] = []any{t, "null"}
		}
	}
	delete(s, "nullable")
	_, hasProps := s["properties"]
	_, hasAdditional := s["additionalProperties"]
	if hasProps && !hasAdditional && s["x-kubernetes-preserve-unknown-fields"] != true {
		s["additionalProperties"] = false
	}
	for k := range s {
		if strings.HasPrefix(k, "x-kubernetes-") {
			delete(s, k)
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				convert(m)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		if m, ok := s[k].(map[string]any); ok {
			convert(m)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := s[k].([]any); ok {
			for _, e := range list {
				if m, ok := e.(map[string]any); ok {
					convert(m)
				}
			}
		}
	}
}
