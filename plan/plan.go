package plan

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// Move plans moving model m to opts.To: it renders m on both layers (as
// render.RenderFleet does, with the layers resolved first when auto) and
// compares them. Errors that leave no plan to make (an invalid Platform, a
// model invalid on its current layer, an unknown layer) come back as
// diagnostics and a nil plan. Fields that do not translate to the target
// are Blockers in the plan, never errors. Move does no I/O.
func Move(m *schema.ServedModel, opts Options) (*MovePlan, []render.Diagnostic) {
	if m == nil {
		return nil, []render.Diagnostic{{Severity: render.Error, Object: render.ObjectRef{Kind: schema.KindModel}, Message: "no ServedModel to plan"}}
	}
	ref := render.ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindModel, Namespace: m.Namespace, Name: m.Name}
	var diags []render.Diagnostic
	fail := func(e *field.Error) {
		d := render.ErrorDiagnostic(e)
		d.Object = ref
		diags = append(diags, d)
	}
	platform, gated := opts.Platform, opts.Platform != nil
	if gated {
		platform = platform.DeepCopy()
		platform.Default()
		if errs := schema.ValidatePlatform(platform); len(errs) > 0 {
			for _, e := range errs {
				d := render.ErrorDiagnostic(e)
				d.Object, d.Input = render.ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindPlatform, Name: platform.Name}, -1
				diags = append(diags, d)
			}
			return nil, diags
		}
	} else {
		platform = schema.DefaultPlatform()
	}
	ps := &platform.Spec
	from := opts.From
	if from == "" {
		from = m.Spec.Layer
	}
	switch {
	case opts.To == "":
		fail(field.Required(field.NewPath("to"), "the layer to move to, one of raw-vllm, kserve, llm-d, auto"))
	case !slices.Contains(schema.LayerValues, opts.To):
		fail(field.NotSupported(field.NewPath("to"), opts.To, schema.LayerValues))
	}
	if !slices.Contains(schema.LayerValues, from) {
		fail(field.NotSupported(field.NewPath("spec", "layer"), from, schema.LayerValues))
	}
	if len(diags) > 0 {
		return nil, diags
	}
	fleet := max(opts.FleetSize, 1)
	var gp *schema.Platform
	if gated {
		gp = platform
	}

	p := &MovePlan{APIVersion: APIVersion, Kind: Kind,
		Model:   Model{Name: m.Name, ServedModelName: m.Spec.Model.Name},
		Objects: []ObjectChange{}, Changes: []Change{}, Blockers: []Blocker{},
		Preflight: []Check{}, Steps: []Step{}, Diagnostics: []Diagnostic{}}

	// The old layer is what runs now: its feature gate no longer matters,
	// and fields it cannot honour (the spec may already carry what the new
	// layer needs) are left out of it, with a warning. Other errors mean
	// the spec is broken, not the move.
	if from == schema.LayerAuto {
		c, err := render.ChooseLayer(m, gp, fleet)
		if err != nil {
			d := render.ErrorDiagnostic(err)
			d.Object, d.Message = ref, d.Message+" (current layer)"
			return nil, []render.Diagnostic{d}
		}
		from, p.From.Auto = c.Layer, &c
	}
	oldSpec := m
	oldRes := renderOn(m, opts.Platform, from)
	if oldRes.HasErrors() {
		var dropped []render.Diagnostic
		for _, d := range oldRes.Errors() {
			if translatable(d.Field, from) {
				dropped = append(dropped, d)
				continue
			}
			d.Message += fmt.Sprintf(" (on the current layer %s: fix the spec before planning a move)", from)
			diags = append(diags, d)
		}
		if len(diags) > 0 {
			return nil, diags
		}
		var renderable *schema.ServedModel
		oldSpec, renderable = translate(m, from, ps, gated)
		if oldRes = renderOn(renderable, opts.Platform, from); oldRes.HasErrors() {
			return nil, oldRes.Errors()
		}
		for _, d := range dropped {
			p.Diagnostics = append(p.Diagnostics, Diagnostic{Layer: from, Severity: render.Warning, Field: d.Field,
				Message: fmt.Sprintf("cannot run on %s: the plan assumes %s serves this model without it", from, from)})
		}
	}
	oldM := defaulted(oldSpec, from, ps)
	p.From.Layer, p.From.Namespace = from, oldM.Namespace
	p.addDiagnostics(from, oldRes.Diagnostics)

	// The new layer: an auto that cannot resolve is a blocker at spec.layer.
	to := opts.To
	if to == schema.LayerAuto {
		c, err := render.ChooseLayer(m, gp, fleet)
		if err != nil {
			p.To.Layer = schema.LayerAuto
			p.Blockers = append(p.Blockers, Blocker{Field: err.Field, Value: err.BadValue, Problem: err.Detail,
				Fix: "change the fields named, enable the layer in the Platform, or give --to a concrete layer"})
			p.Objects = objectChanges(oldRes.Objects, nil, true)
			p.finish()
			return p, nil
		}
		to, p.To.Auto = c.Layer, &c
	}
	newM := defaulted(m, to, ps)
	p.To.Layer, p.To.Namespace = to, newM.Namespace
	// The gate is preflight's to report; render as if it were on, to show
	// what the move would add.
	newRes := renderOn(m, opts.Platform, to)
	p.addDiagnostics(to, newRes.Diagnostics)
	newObjects, known := newRes.Objects, true
	if newRes.HasErrors() {
		for _, d := range newRes.Errors() {
			p.Blockers = append(p.Blockers, blocker(d, newM, ps, gated))
			known = known && translatable(d.Field, to)
		}
		// When only translatable fields block the move, the objects are
		// those of the spec once they are changed: show them.
		if known {
			_, renderable := translate(m, to, ps, gated)
			res := renderOn(renderable, opts.Platform, to)
			newObjects, known = res.Objects, !res.HasErrors()
		}
	}

	p.Objects = objectChanges(oldRes.Objects, newObjects, !known)
	p.ObjectsComplete = known
	p.Changes = semanticChanges(oldM, newM, ps)
	if r := m.Spec.Routing; r != nil {
		p.LiteLLM = &AliasMove{Alias: r.Alias, ConfigMap: ps.LiteLLM.Namespace + "/" + render.LiteLLMConfigMapName(m.Name),
			APIBaseFrom: apiBase(oldM, ps), APIBaseTo: apiBase(newM, ps)}
	}
	if from != to {
		p.Preflight = preflight(oldM, newM, ps, gated)
		p.Steps = p.runbook(oldM, newM, ps, opts)
	}
	p.finish()
	return p, nil
}

func (p *MovePlan) finish() {
	p.Ready = len(p.Blockers) == 0 && len(p.FailedChecks()) == 0
}

func (p *MovePlan) addDiagnostics(l schema.Layer, ds []render.Diagnostic) {
	for _, d := range ds {
		if d.Severity == render.Error {
			continue // blockers
		}
		pd := Diagnostic{Layer: l, Severity: d.Severity, Field: d.Field, Message: d.Message}
		if !slices.ContainsFunc(p.Diagnostics, func(o Diagnostic) bool { return o.Message == pd.Message }) {
			p.Diagnostics = append(p.Diagnostics, pd)
		}
	}
}

// renderOn renders m on layer l with l's feature gate on (nil stays nil).
func renderOn(m *schema.ServedModel, platform *schema.Platform, l schema.Layer) *render.Result {
	if platform != nil {
		platform = platform.DeepCopy()
		layers.MustGet(l).Enable(&platform.Spec)
	}
	return render.RenderFleet([]*schema.ServedModel{m}, render.Options{Platform: platform, Layer: l})
}

// defaulted is a copy of m on layer l, defaulted against p.
func defaulted(m *schema.ServedModel, l schema.Layer, p *schema.PlatformSpec) *schema.ServedModel {
	c := m.DeepCopy()
	c.Spec.Layer = l
	c.Default(p)
	layers.MustGet(l).Default(c, p)
	return c
}

func home(m *schema.ServedModel) layer.Layer { return layers.MustGet(m.Spec.Layer) }

func apiBase(m *schema.ServedModel, p *schema.PlatformSpec) string { return home(m).APIBase(m, p) }

// translatable reports whether an error at path only says that layer l
// cannot honour a field that has a translation (schema.Rule.Without).
func translatable(path string, l schema.Layer) bool {
	return slices.ContainsFunc(schema.Rules(), func(r schema.Rule) bool {
		return !r.Warning && r.Field == path && slices.Contains(r.On, l) && r.Translatable()
	})
}

// translate is m without the fields layer l cannot honour, by the rows'
// translations: what l serves when the spec carries another layer's
// fields. describe keeps the weights source (for an honest description);
// renderable swaps a source l cannot read for a placeholder claim.
func translate(m *schema.ServedModel, l schema.Layer, p *schema.PlatformSpec, gated bool) (describe, renderable *schema.ServedModel) {
	describe, renderable = m.DeepCopy(), m.DeepCopy()
	for _, c := range []*schema.ServedModel{describe, renderable} {
		d := defaulted(c, l, p)
		for _, r := range schema.Rules() {
			if r.Warning || !r.Translatable() || !r.FiresOn(l, d, p, gated) {
				continue
			}
			if c == describe && isSource(r.Field) {
				continue
			}
			r.Without(c)
			r.Without(d)
		}
	}
	return describe, renderable
}

func isSource(path string) bool {
	return path == "spec.model.source.oci" || path == "spec.model.source.hf"
}

// blocker turns a target-layer error into a Blocker, with the problem and
// fix of the rule that refuses it.
func blocker(d render.Diagnostic, new *schema.ServedModel, p *schema.PlatformSpec, gated bool) Blocker {
	b := Blocker{Field: d.Field, Value: d.Value, Problem: d.Message, Fix: "change " + d.Field + " as the problem says"}
	if d.Field == "" {
		b.Fix = "fix the problem above"
	}
	for _, r := range schema.Rules() {
		if r.Warning || r.Field != d.Field || !r.FiresOn(new.Spec.Layer, new, p, gated) {
			continue
		}
		b.Rule, b.Problem = r.ID, r.Problem(new, p)
		if r.Fix != nil {
			b.Fix = r.Fix(new, p)
		}
		if b.Value == nil {
			b.Value, _ = r.Matches(new, p, gated)
		}
		break
	}
	return b
}
