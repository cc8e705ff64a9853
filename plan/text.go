package plan

import (
	"fmt"
	"strings"
)

var actionMarks = map[string]string{
	ActionRemove: "-", ActionKeep: "!", ActionChange: "~", ActionAdd: "+", ActionUnchanged: "=",
}

var checkMarks = map[CheckStatus]string{
	CheckPass: "[pass]  ", CheckFail: "[FAIL]  ", CheckWarn: "[warn]  ", CheckManual: "[manual]",
}

// Text is the plan for people: objects, what changes, the LiteLLM alias,
// blockers, render notes and the checklist, then a one-line result.
func (p *MovePlan) Text() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	side := func(name string, s Side) {
		if s.Namespace == "" {
			w("  %-5s %s", name+":", s.Layer)
		} else {
			w("  %-5s %s, namespace %s", name+":", s.Layer, s.Namespace)
		}
		if c := s.Auto; c != nil {
			w("         %s", c)
		}
	}
	w("Move ServedModel %s (%s) from %s to %s", p.Model.Name, p.Model.ServedModelName, p.From.Layer, p.To.Layer)
	side("from", p.From)
	side("to", p.To)
	if p.From.Layer == p.To.Layer {
		w("\n%s is already on %s: nothing to move.", p.Model.Name, p.To.Layer)
	}

	if len(p.Objects) > 0 {
		w("\nObjects:")
		for _, o := range p.Objects {
			line := fmt.Sprintf("  %s %-9s %s %s %s/%s", actionMarks[o.Action], o.Action, o.APIVersion, o.Kind, o.Namespace, o.Name)
			if len(o.Fields) > 0 {
				line += ": " + strings.Join(o.Fields, ", ")
			}
			w("%s", line)
			if o.Note != "" {
				w("      %s", o.Note)
			}
		}
		switch {
		case !p.ObjectsComplete:
			w("  ? the new layer's objects are unknown until the blockers are fixed")
		case len(p.Blockers) > 0:
			w("  (added: what the new layer renders once the blockers are fixed)")
		}
	}

	if len(p.Changes) > 0 {
		w("\nWhat changes:")
		for _, c := range p.Changes {
			if !c.Changed {
				w("  = %s: %s", c.Aspect, c.From)
				continue
			}
			if len(c.From)+len(c.To) < 60 && c.Note == "" {
				w("  ~ %s: %s -> %s", c.Aspect, c.From, c.To)
				continue
			}
			w("  ~ %s:", c.Aspect)
			wid := max(len(p.From.Layer), len(p.To.Layer)) + 1
			w("      %-*s %s", wid, string(p.From.Layer)+":", c.From)
			w("      %-*s %s", wid, string(p.To.Layer)+":", c.To)
			if c.Note != "" {
				w("      note: %s", c.Note)
			}
		}
	}

	if a := p.LiteLLM; a != nil {
		w("\nLiteLLM alias %q (unchanged), ConfigMap %s:", a.Alias, a.ConfigMap)
		wid := max(len(p.From.Layer), len(p.To.Layer)) + 1
		w("  api_base %-*s %s", wid, string(p.From.Layer)+":", a.APIBaseFrom)
		w("  api_base %-*s %s", wid, string(p.To.Layer)+":", a.APIBaseTo)
	}

	if len(p.Blockers) == 0 {
		w("\nBlockers: none")
	} else {
		w("\nBlockers (the move waits until each is fixed; nothing is dropped silently):")
		for _, bl := range p.Blockers {
			if bl.Value != nil {
				w("  x %s: %v", bl.Field, bl.Value)
			} else {
				w("  x %s", bl.Field)
			}
			w("      problem: %s", bl.Problem)
			w("      fix:     %s", bl.Fix)
		}
	}

	if len(p.Diagnostics) > 0 {
		w("\nRender notes:")
		for _, d := range p.Diagnostics {
			f := ""
			if d.Field != "" {
				f = d.Field + ": "
			}
			w("  %s (%s): %s%s", d.Severity, d.Layer, f, d.Message)
		}
	}

	if len(p.Steps) > 0 {
		w("\nChecklist:")
		for _, s := range p.Steps {
			w("  %d. %s", s.Number, s.Title)
			if s.Number == 1 {
				for _, c := range p.Preflight {
					w("     %s %s: %s", checkMarks[c.Status], c.ID, c.Message)
					if c.Command != "" {
						w("              $ %s", c.Command)
					}
				}
				for _, n := range s.Notes {
					w("     - %s", n)
				}
				continue
			}
			for _, c := range s.Commands {
				w("     $ %s", c)
			}
			for _, n := range s.Notes {
				w("     - %s", n)
			}
		}
	}

	if g := p.GitOps; g != nil {
		w("\nArgo CD (one commit; Application %s, from servelayer applications):", g.Application)
		for _, s := range g.Steps {
			w("  %d. %s", s.Number, s.Title)
			for _, c := range s.Commands {
				w("     $ %s", c)
			}
			for _, n := range s.Notes {
				w("     - %s", n)
			}
		}
	}

	w("\n%s", p.Summary())
	return b.String()
}

// Summary is the plan's one-line result.
func (p *MovePlan) Summary() string {
	manual := 0
	for _, c := range p.Preflight {
		if c.Status == CheckManual {
			manual++
		}
	}
	failed := p.FailedChecks()
	if p.Ready {
		return fmt.Sprintf("Result: ready: %s, %s, %s to run by hand",
			count(0, "blocker"), count(0, "failed check"), count(manual, "manual check"))
	}
	var ids []string
	for _, c := range failed {
		ids = append(ids, c.ID)
	}
	s := fmt.Sprintf("Result: BLOCKED: %s, %s", count(len(p.Blockers), "blocker"), count(len(failed), "failed check"))
	if len(ids) > 0 {
		s += " (" + strings.Join(ids, ", ") + ")"
	}
	return s
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
