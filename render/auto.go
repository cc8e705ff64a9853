package render

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/schema"
)

// AutoFleetMinModels is how many ServedModels rendered together make a
// "fleet of many models": at that size, layer auto prefers kserve for its
// one uniform CR and stable per-model URLs. Below it, hand-run raw-vllm
// Deployments are still cheaper than a KServe control plane.
const AutoFleetMinModels = 3

// AutoRule is one row of the table layer auto decides by. A required rule
// is about spec fields: the layers that can serve them are those the
// field-versus-layer table (schema.Rules) does not refuse, so auto never
// picks a layer that validation would refuse. A recommendation is a
// preference among the layers left. The README documents the table and a
// test keeps the two in step.
type AutoRule struct {
	// Name identifies the rule in results and plans, such as "disaggregation".
	Name string
	// When says what makes the rule match.
	When string
	// Fields are the spec fields of a required rule: it matches when a
	// row of schema.Rules about one of them is in its state.
	Fields []string
	// Layers are a recommendation's layers, most preferred first.
	Layers []schema.Layer
	// Required is true for a rule about Fields.
	Required bool

	match func(in *autoInput) (why string, ok bool)
}

// autoInput is what the rules look at.
type autoInput struct {
	model    *schema.ServedModel
	platform *schema.PlatformSpec
	gated    bool
	fleet    int
}

// AutoRules returns the layer auto rule table, in precedence order: the
// first rule that matches decides, and every matching required rule
// narrows the layers that can be chosen. Required rules come first;
// "default" is last and always matches. The result is a copy.
func AutoRules() []AutoRule {
	out := slices.Clone(autoRules)
	for i := range out {
		out[i].Fields = slices.Clone(out[i].Fields)
		out[i].Layers = slices.Clone(out[i].Layers)
	}
	return out
}

func required(name string, fields ...string) AutoRule {
	return AutoRule{Name: name, Fields: fields, Required: true}
}

var autoRules = []AutoRule{
	required("disaggregation", "spec.disaggregation", "spec.disaggregation.prefill.network.rdma.networks"),
	required("scheduler", "spec.scheduler"),
	required("multi-node", "spec.parallelism", "spec.engine.args", "spec.resources.gpus", "spec.model.source.pvc.provision.accessMode"),
	required("rdma", "spec.network.rdma"),
	required("hf-source", "spec.model.source.hf"),
	required("adapter-source", "spec.model.adapters"),
	required("canary", "spec.rollout.canaryTrafficPercent"),
	required("scaling-metric", "spec.scaling.metric"),
	required("scale-to-zero", "spec.scaling.minReplicas"),
	required("autoscaling", "spec.scaling"),
	required("zero-replicas", "spec.replicas"),
	required("oci-source", "spec.model.source.oci"),
	{
		Name:   "fleet",
		When:   fmt.Sprintf("the render holds %d or more ServedModels (one function call, or one CLI invocation)", AutoFleetMinModels),
		Layers: []schema.Layer{schema.LayerKServe},
		match: func(in *autoInput) (string, bool) {
			return fmt.Sprintf("the fleet has %d models (%d or more): kserve gives many models one uniform CR and stable per-model URLs",
				in.fleet, AutoFleetMinModels), in.fleet >= AutoFleetMinModels
		},
	},
	{
		Name:   "default",
		When:   "nothing above matches",
		Layers: []schema.Layer{schema.LayerRawVLLM},
		match: func(*autoInput) (string, bool) {
			return "no rule for llm-d or kserve matched: one model with fixed replicas and pre-staged weights is simplest on raw-vllm", true
		},
	},
}

func init() {
	// A required rule's When is its rows' When, so it cannot drift.
	for i := range autoRules {
		r := &autoRules[i]
		var whens []string
		for _, row := range schema.Rules() {
			if !row.Warning && slices.Contains(r.Fields, row.Field) && !slices.Contains(whens, row.When) {
				whens = append(whens, row.When)
			}
		}
		if r.Required {
			r.When = strings.Join(whens, ", or ")
		}
	}
}

// RuleIDs are the error rows of schema.Rules a required auto rule reads.
func (r AutoRule) RuleIDs() []string {
	var ids []string
	for _, row := range schema.Rules() {
		if !row.Warning && slices.Contains(r.Fields, row.Field) {
			ids = append(ids, row.ID)
		}
	}
	return ids
}

// fieldHit is a required rule evaluated against the rows.
type fieldHit struct {
	field, why string
	layers     []schema.Layer // the layers no matching row refuses, in preference order
	refusals   []string       // "layers: problem" of the refusing rows
}

func (r *AutoRule) evaluate(in *autoInput) (fieldHit, bool) {
	if !r.Required {
		why, ok := r.match(in)
		return fieldHit{why: why, layers: r.Layers}, ok
	}
	var h fieldHit
	var when string
	var problems []string
	byProblem := map[string][]schema.Layer{}
	matched := false
	refused := map[schema.Layer]bool{}
	about := func(row schema.Rule) bool {
		return slices.ContainsFunc(r.Fields, func(f string) bool { return row.About(f) })
	}
	for _, row := range schema.Rules() {
		if row.Warning || !about(row) {
			continue
		}
		if _, ok := row.Matches(in.model, in.platform, in.gated); !ok {
			continue
		}
		if !matched && slices.Contains(r.Fields, row.Field) {
			h.field, when, matched = row.Field, strings.ReplaceAll(row.When, "`", ""), true
		}
		for _, l := range schema.Layers {
			if refused[l] || !row.FiresOn(l, in.model, in.platform, in.gated) {
				continue
			}
			refused[l] = true
			p := row.Problem(in.model, in.platform)
			if !slices.Contains(problems, p) {
				problems = append(problems, p)
			}
			byProblem[p] = append(byProblem[p], l)
		}
	}
	if !matched || len(refused) == 0 {
		return fieldHit{}, false
	}
	// Only the rule's own fields explain the choice; a containing field
	// (spec.scaling for spec.scaling.minReplicas) only narrows.
	for _, home := range layers.All() {
		if !refused[home.Name()] {
			h.layers = append(h.layers, home.Name())
		}
	}
	for _, p := range problems {
		h.refusals = append(h.refusals, joinLayers(byProblem[p], ", ")+": "+p)
	}
	h.why = when + ": " + strings.Join(problems, "; ")
	return h, true
}

// LayerChoice is what layer auto resolved to, and why.
type LayerChoice struct {
	// Layer is the chosen concrete layer.
	Layer schema.Layer `json:"layer"`
	// Rule is the name of the deciding AutoRule: the first that matched.
	Rule string `json:"rule"`
	// Reason says why the rule matched.
	Reason string `json:"reason"`
	// Fallback, when set, says why the rule's preferred layer was not taken.
	Fallback string `json:"fallback,omitempty"`
}

// String is the sentence render reports as an info result.
func (c LayerChoice) String() string {
	s := fmt.Sprintf("layer auto chose %s (rule %s): %s", c.Layer, c.Rule, c.Reason)
	if c.Fallback != "" {
		s += "; " + c.Fallback
	}
	return s
}

// ChooseLayer resolves layer auto for one model of a fleet of fleetSize
// models, by AutoRules. With a Platform, layers its feature gates disable
// are never chosen: a recommendation falls back to raw-vllm (always on),
// while a field only disabled layers honour is an error at spec.layer, as
// are fields no single layer honours together. With a nil Platform no gate
// applies and the layers' defaults (KServe Standard mode) do, as in
// Render. The model's own spec.layer is not read.
func ChooseLayer(m *schema.ServedModel, platform *schema.Platform, fleetSize int) (LayerChoice, *field.Error) {
	if m == nil {
		return LayerChoice{}, field.Required(field.NewPath("spec"), "a ServedModel")
	}
	gated := platform != nil
	if gated {
		platform = platform.DeepCopy()
		platform.Default()
	} else {
		platform = schema.DefaultPlatform()
	}
	c := m.DeepCopy()
	c.Default(&platform.Spec)
	in := &autoInput{model: c, platform: &platform.Spec, gated: gated, fleet: fleetSize}
	enabled := func(l schema.Layer) bool {
		home, ok := layers.Get(l)
		return ok && (!gated || home.Enabled(in.platform))
	}
	layerPath := field.NewPath("spec", "layer")

	type hit struct {
		rule *AutoRule
		fieldHit
	}
	var hits []hit
	for i := range autoRules {
		if h, ok := autoRules[i].evaluate(in); ok {
			hits = append(hits, hit{&autoRules[i], h})
		}
	}

	// Every required rule narrows the layers that can render the spec.
	allowed := slices.Clone(schema.Layers)
	var required []string
	for _, h := range hits {
		if !h.rule.Required {
			continue
		}
		if len(h.layers) == 0 {
			return LayerChoice{}, field.Invalid(layerPath, string(schema.LayerAuto), fmt.Sprintf(
				"no layer can serve %s here (%s); change the spec or the Platform", h.field, strings.Join(h.refusals, "; ")))
		}
		required = append(required, fmt.Sprintf("%s (%s)", h.field, joinLayers(h.layers, " or ")))
		allowed = slices.DeleteFunc(allowed, func(l schema.Layer) bool { return !slices.Contains(h.layers, l) })
		if len(allowed) == 0 {
			return LayerChoice{}, field.Invalid(layerPath, string(schema.LayerAuto), fmt.Sprintf(
				"no layer honours %s together; remove one of them or set spec.layer", strings.Join(required, " and ")))
		}
	}
	usable := slices.DeleteFunc(slices.Clone(allowed), func(l schema.Layer) bool { return !enabled(l) })
	if len(usable) == 0 {
		var gates []string
		for _, l := range allowed {
			gates = append(gates, layers.GateField(l)+" is false")
		}
		return LayerChoice{}, field.Invalid(layerPath, string(schema.LayerAuto), fmt.Sprintf(
			"%s needs %s, which the Platform disables (%s); enable it there or change the spec",
			orWord(hits[0].field, "the model"), joinLayers(allowed, " or "), strings.Join(gates, ", ")))
	}

	// The first matching rule decides; later ones only supply fallbacks.
	first := hits[0]
	choice := LayerChoice{Rule: first.rule.Name, Reason: first.why}
	for _, h := range hits {
		if i := slices.IndexFunc(h.layers, func(l schema.Layer) bool { return slices.Contains(usable, l) }); i >= 0 {
			choice.Layer = h.layers[i]
			break
		}
	}
	// The rule's preference among the layers every required rule leaves.
	want := first.layers[slices.IndexFunc(first.layers, func(l schema.Layer) bool { return slices.Contains(allowed, l) })]
	if choice.Layer != want {
		why := "it cannot honour " + strings.Join(required, " and ")
		if !enabled(want) {
			why = "the Platform disables it (" + layers.GateField(want) + " is false)"
		}
		choice.Fallback = fmt.Sprintf("%s would be preferred but %s, so %s", want, why, choice.Layer)
	}
	return choice, nil
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func joinLayers(ls []schema.Layer, sep string) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, sep)
}
