package specdoc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// The README's defaults table.
const (
	DefaultsBegin = "<!-- BEGIN GENERATED DEFAULTS (make docs) -->"
	DefaultsEnd   = "<!-- END GENERATED DEFAULTS -->"
)

// DefaultsMarkdown is the table of every Platform field with a default, and
// the default, read from schema.DefaultPlatform: what a user meets without a
// Platform (or with one that leaves the field unset).
func DefaultsMarkdown() string {
	b, err := json.Marshal(schema.DefaultPlatform().Spec)
	if err != nil {
		panic(err) // a plain struct always marshals
	}
	var spec map[string]any
	_ = json.Unmarshal(b, &spec)
	rows := map[string]string{}
	var flatten func(path string, v any)
	flatten = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				flatten(path+"."+k, e)
			}
		default:
			rows[path] = fmt.Sprint(v)
		}
	}
	flatten("spec", spec)
	paths := make([]string, 0, len(rows))
	for p := range rows {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var s strings.Builder
	s.WriteString(DefaultsBegin + "\n\n| field | default |\n|---|---|\n")
	for _, p := range paths {
		fmt.Fprintf(&s, "| Platform `%s` | `%s` |\n", p, mdEscape(rows[p]))
	}
	fmt.Fprintf(&s, "| ServedModel `spec.engine.startupTimeoutSeconds` | `%d` |\n", schema.DefaultStartupTimeoutSeconds)
	s.WriteString("\n" + DefaultsEnd + "\n")
	return s.String()
}
