package specdoc

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// The README's generated sections besides the spec reference: the
// field-versus-layer rules and layer auto's table.
const (
	RulesBegin = "<!-- BEGIN GENERATED RULES (make docs) -->"
	RulesEnd   = "<!-- END GENERATED RULES -->"
	AutoBegin  = "<!-- BEGIN GENERATED AUTO RULES (make docs) -->"
	AutoEnd    = "<!-- END GENERATED AUTO RULES -->"
)

// RuleCase is the golden case that shows a rule: testdata/render/rule-<ID>.
func RuleCase(root, id string) string { return filepath.Join(root, "testdata", "render", "rule-"+id) }

// RuleExamples renders each rule's golden case and returns, by rule ID,
// the message its finding carries there.
func RuleExamples(root string) (map[string]string, error) {
	out := map[string]string{}
	for _, r := range schema.Rules() {
		dir := RuleCase(root, r.ID)
		mb, err := os.ReadFile(filepath.Join(dir, "model.yaml"))
		if err != nil {
			return nil, fmt.Errorf("rule %s has no golden case: %w", r.ID, err)
		}
		m, errs := decode.ServedModelYAML(mb)
		if len(errs) > 0 {
			return nil, fmt.Errorf("%s/model.yaml: %v", dir, errs.ToAggregate())
		}
		var opts render.Options
		if pb, err := os.ReadFile(filepath.Join(dir, "platform.yaml")); err == nil {
			p, errs := decode.PlatformYAML(pb)
			if len(errs) > 0 {
				return nil, fmt.Errorf("%s/platform.yaml: %v", dir, errs.ToAggregate())
			}
			opts.Platform = p
		}
		res := render.Render(m, opts)
		want := render.Error
		if r.Warning {
			want = render.Warning
		}
		i := slices.IndexFunc(res.Diagnostics, func(d render.Diagnostic) bool { return d.Severity == want && d.Field == r.Field })
		if i < 0 {
			return nil, fmt.Errorf("rule %s: its golden case %s has no %s at %s", r.ID, dir, want, r.Field)
		}
		out[r.ID] = res.Diagnostics[i].Message
	}
	return out, nil
}

// RulesMarkdown is the rules section: one line per row of schema.Rules,
// with the message its golden case shows.
func RulesMarkdown(examples map[string]string) string {
	var b strings.Builder
	b.WriteString(RulesBegin + "\n\n")
	for _, r := range schema.Rules() {
		sev := "error"
		if r.Warning {
			sev = "warning"
		}
		var on []string
		for _, l := range r.On {
			on = append(on, string(l))
		}
		where := strings.Join(on, ", ")
		if r.Mode != "" {
			where += " in KServe " + string(r.Mode) + " mode"
		}
		fmt.Fprintf(&b, "- `%s`: %s on %s at `%s`, when %s. %s\n", r.ID, sev, where, r.Field, r.When, mdEscape(examples[r.ID]))
	}
	b.WriteString("\n" + RulesEnd + "\n")
	return b.String()
}

// AutoMarkdown is layer auto's table.
func AutoMarkdown() string {
	var b strings.Builder
	b.WriteString(AutoBegin + "\n\n| # | rule | when | layers | kind |\n|---|---|---|---|---|\n")
	for i, r := range render.AutoRules() {
		kind, layers := "recommended", ""
		if r.Required {
			kind = "required"
			var ids []string
			for _, id := range r.RuleIDs() {
				ids = append(ids, "`"+id+"`")
			}
			layers = "those no rule refuses: " + strings.Join(ids, ", ")
		} else {
			var ls []string
			for _, l := range r.Layers {
				ls = append(ls, string(l))
			}
			layers = strings.Join(ls, ", ")
		}
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s |\n", i+1, r.Name, r.When, layers, kind)
	}
	b.WriteString("\n" + AutoEnd + "\n")
	return b.String()
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// SpliceBetween replaces the section of a README between begin and end.
func SpliceBetween(readme, begin, end, section string) (string, error) {
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %q ... %q section", begin, end)
	}
	return readme[:i] + section + readme[j+len(end)+1:], nil
}

// Readme returns readme with every generated section rewritten; root is
// the repository root.
func Readme(readme, root string, crds []byte) (string, error) {
	spec, err := Markdown(crds)
	if err != nil {
		return "", err
	}
	examples, err := RuleExamples(root)
	if err != nil {
		return "", err
	}
	out := readme
	for _, s := range []struct{ begin, end, body string }{
		{Begin, End, spec}, {RulesBegin, RulesEnd, RulesMarkdown(examples)}, {AutoBegin, AutoEnd, AutoMarkdown()},
		{DefaultsBegin, DefaultsEnd, DefaultsMarkdown()},
	} {
		if out, err = SpliceBetween(out, s.begin, s.end, s.body); err != nil {
			return "", err
		}
	}
	return out, nil
}
