// Package specdoc renders the spec reference table in the README from the
// generated CRDs, so the documentation cannot drift from the types.
package specdoc

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Begin and End delimit the generated section in README.md.
const (
	Begin = "<!-- BEGIN GENERATED SPEC REFERENCE (make docs) -->"
	End   = "<!-- END GENERATED SPEC REFERENCE -->"
)

type schemaProps struct {
	Type        string                 `json:"type"`
	Description string                 `json:"description"`
	Properties  map[string]schemaProps `json:"properties"`
	Items       *schemaProps           `json:"items"`
	Required    []string               `json:"required"`
	Enum        []any                  `json:"enum"`
	Minimum     *float64               `json:"minimum"`
	Maximum     *float64               `json:"maximum"`
	IntOrString bool                   `json:"x-kubernetes-int-or-string"`
}

type crd struct {
	Spec struct {
		Names    struct{ Kind string } `json:"names"`
		Versions []struct {
			Schema struct {
				OpenAPIV3Schema schemaProps `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// Markdown renders one table per kind from a YAML stream of CRDs.
func Markdown(crds []byte) (string, error) {
	var b strings.Builder
	b.WriteString(Begin + "\n")
	for _, doc := range strings.Split(string(crds), "\n---\n") {
		var c crd
		if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
			return "", err
		}
		if len(c.Spec.Versions) == 0 {
			continue
		}
		spec := c.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
		fmt.Fprintf(&b, "\n#### %s\n\n| field | type | description |\n|---|---|---|\n", c.Spec.Names.Kind)
		walk(&b, "spec", spec, true)
	}
	b.WriteString("\n" + End + "\n")
	return b.String(), nil
}

func walk(b *strings.Builder, path string, s schemaProps, required bool) {
	if path != "spec" {
		desc := strings.Join(strings.Fields(s.Description), " ")
		desc = strings.ReplaceAll(desc, "|", "\\|")
		if required {
			desc = "**required.** " + desc
		}
		fmt.Fprintf(b, "| `%s` | %s | %s |\n", path, typeName(s), desc)
	}
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		walk(b, path+"."+k, s.Properties[k], slices.Contains(s.Required, k))
	}
	if s.Items != nil && len(s.Items.Properties) > 0 {
		walk(b, path+"[]", *s.Items, false)
	}
}

func typeName(s schemaProps) string {
	t := s.Type
	switch {
	case s.IntOrString:
		t = "quantity"
	case t == "array" && s.Items != nil:
		t = "[]" + typeName(*s.Items)
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		t += " (" + strings.Join(vals, ", ") + ")"
	}
	if s.Minimum != nil && s.Maximum != nil {
		t += fmt.Sprintf(" %g..%g", *s.Minimum, *s.Maximum)
	}
	return t
}

// Splice replaces the generated section of a README.
func Splice(readme, section string) (string, error) {
	i, j := strings.Index(readme, Begin), strings.Index(readme, End)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %q ... %q section", Begin, End)
	}
	return readme[:i] + section + readme[j+len(End)+1:], nil
}
