package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/schema"
)

// AutoFleetMinModels is how many ServedModels rendered together make a
// "fleet of many models": at that size, layer auto prefers kserve for its
// one uniform CR and stable per-model URLs. Below it, hand-run raw-vllm
// Deployments are still cheaper than a KServe control plane.
const AutoFleetMinModels = 3

// AutoRule is one row of the table layer auto decides by. The table (see
// AutoRules) is the only place the "pick the layer" runbook lives; the
// README documents it and a test keeps the two in step.
type AutoRule struct {
	// Name identifies the rule in results and plans, such as "disaggregation".
	Name string
	// When says what makes the rule match.
	When string
	// Layers are the layers that can honour what matched, most preferred first.
	Layers []schema.Layer
	// Required is true when no other layer can honour what matched (a field
	// only these layers implement): if all of Layers are disabled by the
	// Platform, auto fails. A rule that is not required is a recommendation:
	// when its layers are disabled, auto falls back to raw-vllm.
	Required bool

	// match reports whether the rule applies and, if so, the spec field
	// that made it apply and a sentence saying why.
	match func(in *autoInput) (fieldPath, why string, ok bool)
	// cannot, when set, names a layer of Layers that cannot honour the
	// field on this Platform, and why.
	cannot func(in *autoInput) (schema.Layer, string)
}

// autoInput is what the rules look at.
type autoInput struct {
	spec    *schema.ServedModelSpec
	gpn     *int32 // Platform spec.gpuNodes.gpusPerNode; nil when unknown
	knative bool   // KServe runs in Knative mode (the default is Standard)
	fleet   int
}

// AutoRules returns the layer auto rule table, in precedence order: the
// first rule that matches decides, and every matching Required rule
// narrows the layers that can be chosen. Required rules come first;
// "default" is last and always matches. The result is a copy.
func AutoRules() []AutoRule {
	out := slices.Clone(autoRules)
	for i := range out {
		out[i].Layers = slices.Clone(out[i].Layers)
	}
	return out
}

var autoRules = []AutoRule{
	{
		Name:     "disaggregation",
		When:     "`spec.disaggregation` is set",
		Layers:   []schema.Layer{schema.LayerLLMD},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			return "spec.disaggregation", "spec.disaggregation is set: prefill/decode disaggregation runs only on llm-d",
				in.spec.Disaggregation != nil
		},
	},
	{
		Name: "multi-node",
		When: "one replica needs more GPUs than one pod can hold: the engine's parallel size " +
			"(`--tensor-parallel-size` x `--pipeline-parallel-size` in `spec.engine.args`) exceeds " +
			"`spec.resources.gpus`, or `spec.resources.gpus` exceeds the Platform's `spec.gpuNodes.gpusPerNode`",
		Layers:   []schema.Layer{schema.LayerLLMD},
		Required: true,
		match:    matchMultiNode,
	},
	{
		Name:     "hf-source",
		When:     "`spec.model.source.hf` is set",
		Layers:   []schema.Layer{schema.LayerLLMD},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			return "spec.model.source.hf", "spec.model.source.hf is set: only llm-d stages weights from the hub " +
					"(raw-vllm runs offline; KServe's storage initializer breaks behind restricted egress)",
				in.spec.Model.Source.HF != ""
		},
	},
	{
		Name:     "canary",
		When:     "`spec.rollout.canaryTrafficPercent` is set",
		Layers:   []schema.Layer{schema.LayerKServe},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			r := in.spec.Rollout
			return "spec.rollout.canaryTrafficPercent", "spec.rollout.canaryTrafficPercent is set: declarative canary is a kserve feature",
				r != nil && r.CanaryTrafficPercent != nil
		},
	},
	{
		Name:     "scale-to-zero",
		When:     "`spec.scaling.minReplicas` is 0 (kserve in Knative mode; llm-d's floor is 1)",
		Layers:   []schema.Layer{schema.LayerKServe},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			sc := in.spec.Scaling
			return "spec.scaling.minReplicas", "spec.scaling.minReplicas is 0: scale-to-zero is what kserve is for (raw-vllm has no autoscaler)",
				sc != nil && sc.MinReplicas != nil && *sc.MinReplicas == 0
		},
		cannot: func(in *autoInput) (schema.Layer, string) {
			if in.knative {
				return "", ""
			}
			return schema.LayerKServe, "KServe Standard mode clamps minReplicas to 1 (scale-to-zero needs Platform spec.kserve.deploymentMode: Knative)"
		},
	},
	{
		Name:     "autoscaling",
		When:     "`spec.scaling` is set",
		Layers:   []schema.Layer{schema.LayerKServe, schema.LayerLLMD},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			return "spec.scaling", "spec.scaling is set: raw-vllm has no autoscaler",
				in.spec.Scaling != nil
		},
	},
	{
		Name:     "oci-source",
		When:     "`spec.model.source.oci` is set",
		Layers:   []schema.Layer{schema.LayerKServe, schema.LayerLLMD},
		Required: true,
		match: func(in *autoInput) (string, string, bool) {
			return "spec.model.source.oci", "spec.model.source.oci is set: raw-vllm cannot mount a modelcar",
				in.spec.Model.Source.OCI != ""
		},
	},
	{
		Name:   "fleet",
		When:   fmt.Sprintf("the render holds %d or more ServedModels (one function call, or one CLI invocation)", AutoFleetMinModels),
		Layers: []schema.Layer{schema.LayerKServe},
		match: func(in *autoInput) (string, string, bool) {
			return "", fmt.Sprintf("the fleet has %d models (%d or more): kserve gives many models one uniform CR and stable per-model URLs",
				in.fleet, AutoFleetMinModels), in.fleet >= AutoFleetMinModels
		},
	},
	{
		Name:   "default",
		When:   "nothing above matches",
		Layers: []schema.Layer{schema.LayerRawVLLM},
		match: func(*autoInput) (string, string, bool) {
			return "", "no rule for llm-d or kserve matched: one model with fixed replicas and pre-staged weights is simplest on raw-vllm", true
		},
	},
}

func matchMultiNode(in *autoInput) (string, string, bool) {
	s := in.spec
	tp := parallelSize(s.Engine.Args, "--tensor-parallel-size", "-tp")
	pp := parallelSize(s.Engine.Args, "--pipeline-parallel-size", "-pp")
	if world := tp * pp; world > 1 && world > s.Resources.GPUs {
		return "spec.engine.args", fmt.Sprintf(
			"spec.engine.args shard the model over %d GPUs (tensor-parallel %d x pipeline-parallel %d) but one replica requests %d (spec.resources.gpus): "+
				"the model spans pods, which only llm-d serves", world, tp, pp, s.Resources.GPUs), true
	}
	if in.gpn != nil && s.Resources.GPUs > *in.gpn {
		return "spec.resources.gpus", fmt.Sprintf(
			"spec.resources.gpus is %d but a node has at most %d (Platform spec.gpuNodes.gpusPerNode): one pod cannot hold the model, which only llm-d serves across nodes",
			s.Resources.GPUs, *in.gpn), true
	}
	return "", "", false
}

// parallelSize reads an integer vLLM flag in its --flag=N, --flag N, -f N
// and -f=N forms; absent or unparsable means 1 (vLLM's default).
func parallelSize(args []string, long, short string) int32 {
	n := int32(1)
	for i, a := range args {
		for _, f := range []string{long, short} {
			var v string
			switch {
			case strings.HasPrefix(a, f+"="):
				v = strings.TrimPrefix(a, f+"=")
			case a == f && i+1 < len(args):
				v = args[i+1]
			default:
				continue
			}
			if x, err := strconv.ParseInt(v, 10, 32); err == nil && x > 0 {
				n = int32(x)
			}
		}
	}
	return n
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
// applies, as in Render. The model's own spec.layer is not read.
func ChooseLayer(m *schema.ServedModel, platform *schema.Platform, fleetSize int) (LayerChoice, *field.Error) {
	if m == nil {
		return LayerChoice{}, field.Required(field.NewPath("spec"), "a ServedModel")
	}
	in := &autoInput{spec: &m.Spec, fleet: fleetSize}
	enabled := func(schema.Layer) bool { return true }
	if platform != nil {
		in.gpn = platform.Spec.GPUNodes.GPUsPerNode
		in.knative = platform.Spec.KServe.DeploymentMode == "Knative"
		enabled = platform.Spec.Enabled
	}
	layerPath := field.NewPath("spec", "layer")

	type hit struct {
		rule       *AutoRule
		field, why string
		layers     []schema.Layer // rule.Layers this Platform lets honour the field
		cannot     string         // why rule.Layers[0] is not among them
	}
	var hits []hit
	for i := range autoRules {
		r := &autoRules[i]
		f, why, ok := r.match(in)
		if !ok {
			continue
		}
		h := hit{rule: r, field: f, why: why, layers: r.Layers}
		if r.cannot != nil {
			if l, reason := r.cannot(in); l != "" {
				h.layers = slices.DeleteFunc(slices.Clone(r.Layers), func(x schema.Layer) bool { return x == l })
				if l == r.Layers[0] {
					h.cannot = reason
				}
			}
		}
		hits = append(hits, h)
	}

	// Every required rule narrows the layers that can render the spec.
	allowed := slices.Clone(schema.Layers)
	var required []string
	for _, h := range hits {
		if !h.rule.Required {
			continue
		}
		if len(h.layers) == 0 { // every layer for it is ruled out on this Platform
			return LayerChoice{}, field.Invalid(layerPath, string(schema.LayerAuto), fmt.Sprintf(
				"%s needs %s, which cannot honour it here: %s", h.field, joinLayers(h.rule.Layers, " or "), h.cannot))
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
			gates = append(gates, "spec.features."+gateName(l)+" is false")
		}
		msg := fmt.Sprintf("%s needs %s, which the Platform disables (%s); enable it there or change the spec",
			hits[0].field, joinLayers(allowed, " or "), strings.Join(gates, ", "))
		if c := hits[0].cannot; c != "" {
			msg += " (" + string(hits[0].rule.Layers[0]) + " cannot: " + c + ")"
		}
		return LayerChoice{}, field.Invalid(layerPath, string(schema.LayerAuto), msg)
	}

	// The first matching rule decides; later ones only supply fallbacks.
	first := hits[0]
	c := LayerChoice{Rule: first.rule.Name, Reason: first.why}
	for _, h := range hits {
		if i := slices.IndexFunc(h.layers, func(l schema.Layer) bool { return slices.Contains(usable, l) }); i >= 0 {
			c.Layer = h.layers[i]
			break
		}
	}
	if want := first.rule.Layers[0]; c.Layer != want {
		why := "it cannot honour " + strings.Join(required, " and ")
		switch {
		case first.cannot != "":
			why = first.cannot
		case !enabled(want):
			why = "the Platform disables it (spec.features." + gateName(want) + " is false)"
		}
		c.Fallback = fmt.Sprintf("%s would be preferred but %s, so %s", want, why, c.Layer)
	}
	return c, nil
}

// gateName is a layer's field under Platform spec.features.
func gateName(l schema.Layer) string {
	switch l {
	case schema.LayerKServe:
		return "kserve"
	case schema.LayerLLMD:
		return "llmd"
	}
	return ""
}

func joinLayers(ls []schema.Layer, sep string) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, sep)
}
