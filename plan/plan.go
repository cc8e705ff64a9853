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
	mv, diags := newMove(m, opts)
	if len(diags) > 0 {
		return nil, diags
	}
	p := &MovePlan{APIVersion: APIVersion, Kind: Kind,
		Model:   Model{Name: m.Name, ServedModelName: m.Spec.Model.Name},
		Objects: []ObjectChange{}, Changes: []Change{}, Blockers: []Blocker{},
		Preflight: []Check{}, Steps: []Step{}, Diagnostics: []Diagnostic{}}
	oldRes, oldM, diags := mv.oldSide(p)
	if len(diags) > 0 {
		return nil, diags
	}
	newM, newObjects, known := mv.newSide(p)
	if newM == nil { // auto could not resolve: a blocker, the old side only
		p.Objects = objectChanges(oldRes.Objects, nil, true)
		p.finish()
		return p, nil
	}
	ps := &mv.platform.Spec
	p.Objects = objectChanges(oldRes.Objects, newObjects, !known)
	p.ObjectsComplete = known
	p.Changes = semanticChanges(oldM, newM, ps)
	if r := m.Spec.Routing; r != nil {
		cm := render.LiteLLMConfigMapName(m.Name)
		if ps.LiteLLM.ConfigMap != "" {
			cm = ps.LiteLLM.ConfigMap
		}
		p.LiteLLM = &AliasMove{Alias: r.Alias, ConfigMap: ps.LiteLLM.Namespace + "/" + cm,
			APIBaseFrom: apiBase(oldM, ps), APIBaseTo: apiBase(newM, ps)}
	}
	if oldM.Spec.Layer != newM.Spec.Layer {
		p.Preflight = preflight(oldM, newM, ps, mv.gated)
		p.Steps = p.runbook(oldM, newM, ps, opts)
		p.GitOps = p.gitops(oldM, newM, ps, opts)
	}
	p.finish()
	return p, nil
}

// move is one Move's inputs, checked and defaulted.
type move struct {
	m        *schema.ServedModel
	opts     Options
	ref      render.ObjectRef
	platform *schema.Platform // defaulted; the layers' defaults when none was given
	gated    bool             // a Platform was given
	from     schema.Layer
	fleet    int
}

func newMove(m *schema.ServedModel, opts Options) (*move, []render.Diagnostic) {
	mv := &move{m: m, opts: opts, gated: opts.Platform != nil, from: opts.From, fleet: max(opts.FleetSize, 1),
		ref: render.ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindModel, Namespace: m.Namespace, Name: m.Name}}
	var diags []render.Diagnostic
	if mv.gated {
		mv.platform = opts.Platform.DeepCopy()
		mv.platform.Default()
		for _, e := range schema.ValidatePlatform(mv.platform) {
			d := render.ErrorDiagnostic(e)
			d.Object, d.Input = render.ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindPlatform, Name: mv.platform.Name}, -1
			diags = append(diags, d)
		}
		if len(diags) > 0 {
			return nil, diags
		}
	} else {
		mv.platform = schema.DefaultPlatform()
	}
	if mv.from == "" {
		mv.from = m.Spec.Layer
	}
	fail := func(e *field.Error) {
		d := render.ErrorDiagnostic(e)
		d.Object = mv.ref
		diags = append(diags, d)
	}
	switch {
	case opts.To == "":
		fail(field.Required(field.NewPath("to"), "the layer to move to, one of raw-vllm, kserve, llm-d, auto"))
	case !slices.Contains(schema.LayerValues, opts.To):
		fail(field.NotSupported(field.NewPath("to"), opts.To, schema.LayerValues))
	}
	if !slices.Contains(schema.LayerValues, mv.from) {
		fail(field.NotSupported(field.NewPath("spec", "layer"), mv.from, schema.LayerValues))
	}
	return mv, diags
}

// gatedPlatform is the Platform whose gates apply: nil when none was given.
func (mv *move) gatedPlatform() *schema.Platform {
	if !mv.gated {
		return nil
	}
	return mv.platform
}

// oldSide renders what runs now. Its feature gate no longer matters, and
// fields it cannot honour (the spec may already carry what the new layer
// needs) are left out of it, with a warning. Other errors mean the spec is
// broken, not the move.
func (mv *move) oldSide(p *MovePlan) (*render.Result, *schema.ServedModel, []render.Diagnostic) {
	from := mv.from
	if from == schema.LayerAuto {
		c, err := render.ChooseLayer(mv.m, mv.gatedPlatform(), mv.fleet)
		if err != nil {
			d := render.ErrorDiagnostic(err)
			d.Object, d.Message = mv.ref, d.Message+" (current layer)"
			return nil, nil, []render.Diagnostic{d}
		}
		from, p.From.Auto = c.Layer, &c
	}
	ps := &mv.platform.Spec
	oldSpec := mv.m
	res := renderOn(mv.m, mv.opts.Platform, from)
	if res.HasErrors() {
		var dropped, diags []render.Diagnostic
		for _, d := range res.Errors() {
			if translatable(d.Field, from) {
				dropped = append(dropped, d)
				continue
			}
			d.Message += fmt.Sprintf(" (on the current layer %s: fix the spec before planning a move)", from)
			diags = append(diags, d)
		}
		if len(diags) > 0 {
			return nil, nil, diags
		}
		var renderable *schema.ServedModel
		oldSpec, renderable = translate(mv.m, from, ps, mv.gated)
		if res = renderOn(renderable, mv.opts.Platform, from); res.HasErrors() {
			return nil, nil, res.Errors()
		}
		for _, d := range dropped {
			p.Diagnostics = append(p.Diagnostics, Diagnostic{Layer: from, Severity: render.Warning, Field: d.Field,
				Message: fmt.Sprintf("cannot run on %s: the plan assumes %s serves this model without it", from, from)})
		}
	}
	oldM := defaulted(oldSpec, from, ps)
	p.From.Layer, p.From.Namespace = from, oldM.Namespace
	p.addDiagnostics(from, res.Diagnostics)
	return res, oldM, nil
}

// newSide renders the target. What it cannot honour is a blocker; when
// only translatable fields block it, its objects are those of the spec
// once they are changed. A nil model means auto could not resolve.
func (mv *move) newSide(p *MovePlan) (newM *schema.ServedModel, objects []render.Object, known bool) {
	ps := &mv.platform.Spec
	to := mv.opts.To
	if to == schema.LayerAuto {
		c, err := render.ChooseLayer(mv.m, mv.gatedPlatform(), mv.fleet)
		if err != nil {
			p.To.Layer = schema.LayerAuto
			p.Blockers = append(p.Blockers, Blocker{Field: err.Field, Value: err.BadValue, Problem: err.Detail,
				Fix: "change the fields named, enable the layer in the Platform, or give --to a concrete layer"})
			return nil, nil, false
		}
		to, p.To.Auto = c.Layer, &c
	}
	newM = defaulted(mv.m, to, ps)
	p.To.Layer, p.To.Namespace = to, newM.Namespace
	// The gate is preflight's to report; render as if it were on, to show
	// what the move would add.
	res := renderOn(mv.m, mv.opts.Platform, to)
	p.addDiagnostics(to, res.Diagnostics)
	objects, known = res.Objects, true
	if res.HasErrors() {
		for _, d := range res.Errors() {
			p.Blockers = append(p.Blockers, blocker(d, newM, ps, mv.gated))
			known = known && translatable(d.Field, to)
		}
		if known {
			_, renderable := translate(mv.m, to, ps, mv.gated)
			res := renderOn(renderable, mv.opts.Platform, to)
			objects, known = res.Objects, !res.HasErrors()
		}
	}
	return newM, objects, known
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

// stageOf is the staging Job of m (spec.model.source.pvc.stage) and what
// it stages.
func stageOf(m *schema.ServedModel) (job, source string) {
	return render.StageJobName(m), render.StageSource(m.Spec.Model.Source.PVC.Stage)
}
