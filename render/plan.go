package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/schema"
)

// PlanAPIVersion and PlanKind identify a MovePlan's JSON form.
const (
	PlanAPIVersion = schema.APIVersion
	PlanKind       = "MovePlan"
)

// CheckImage is the image the plan's validation step runs curl from.
const CheckImage = "curlimages/curl:8.11.1"

// PlanOptions control PlanMove.
type PlanOptions struct {
	// Platform describes the cluster. Nil means none: feature gates and GPU
	// capacity cannot be checked, and the plan says so.
	Platform *schema.Platform
	// From is the layer the model is on now; empty means its spec.layer.
	From schema.Layer
	// To is the layer to move to. Both may be schema.LayerAuto.
	To schema.Layer
	// FleetSize is how many ServedModels are rendered together with this
	// one, for layer auto's fleet rule. Zero means 1.
	FleetSize int
	// ModelFile and PlatformFile are the paths the plan's commands pass to
	// servelayer render. ModelFile defaults to MODEL.yaml; an empty
	// PlatformFile leaves --platform out.
	ModelFile, PlatformFile string
	// ModelName, when set, is passed as servelayer render --name, for a
	// ModelFile that holds several models.
	ModelName string
}

// MovePlan is what moving one model between layers changes, what could
// block it, and the runbook to do it. Its JSON field names are stable.
type MovePlan struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Model is the ServedModel being moved.
	Model PlanModel `json:"model"`
	// From and To are the layers, resolved when either was auto.
	From PlanSide `json:"from"`
	To   PlanSide `json:"to"`
	// Ready is true when there is no blocker and no failed preflight check.
	Ready bool `json:"ready"`
	// Objects are the rendered objects removed, kept, changed, added or
	// unchanged by the move.
	Objects []ObjectChange `json:"objects"`
	// ObjectsComplete is false when a blocker leaves the new layer's
	// objects unknown; Objects then lacks them.
	ObjectsComplete bool `json:"objectsComplete"`
	// Changes are the semantic differences, one per aspect.
	Changes []Change `json:"changes"`
	// LiteLLM is the alias re-pointing; null when the model has no routing.
	LiteLLM *AliasMove `json:"litellm"`
	// Blockers are spec fields that do not translate to the target layer.
	Blockers []Blocker `json:"blockers"`
	// Preflight are the checks of step 1.
	Preflight []Check `json:"preflight"`
	// Steps are the runbook, in order. Empty when From equals To; only
	// the preflight step while there are blockers.
	Steps []Step `json:"steps"`
	// Diagnostics are the warnings and infos of rendering either side.
	Diagnostics []PlanDiagnostic `json:"diagnostics"`
}

// PlanModel names the model.
type PlanModel struct {
	Name            string `json:"name"`
	ServedModelName string `json:"servedModelName"`
}

// PlanSide is one end of a move.
type PlanSide struct {
	Layer     schema.Layer `json:"layer"`
	Namespace string       `json:"namespace"`
	// Auto is how layer auto chose Layer; null when the layer was explicit.
	Auto *LayerChoice `json:"auto"`
}

// Actions of an ObjectChange.
const (
	ActionRemove    = "remove"    // only on the old layer: deleted at teardown
	ActionKeep      = "keep"      // only on the old layer, but never deleted (staged weights)
	ActionChange    = "change"    // on both, same identity, different content
	ActionAdd       = "add"       // only on the new layer
	ActionUnchanged = "unchanged" // on both, identical
)

// ObjectChange is one rendered object and what the move does to it.
type ObjectChange struct {
	Action     string `json:"action"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Fields are the changed field paths of a "change".
	Fields []string `json:"fields,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Aspects of a Change, in the order a plan lists them.
const (
	AspectNamespace = "namespace"
	AspectWeights   = "weights"
	AspectURL       = "url"
	AspectRouting   = "routing"
	AspectScaling   = "scaling"
	AspectRollout   = "rollout"
	AspectPause     = "pause"
	AspectGPUs      = "gpus"
)

// Change is one aspect of serving, before and after the move.
type Change struct {
	Aspect  string `json:"aspect"`
	From    string `json:"from"`
	To      string `json:"to"`
	Changed bool   `json:"changed"`
	Note    string `json:"note,omitempty"`
}

// AliasMove is the LiteLLM entry re-pointed by the move. The alias never
// changes; api_base follows the layer.
type AliasMove struct {
	Alias       string `json:"alias"`
	ConfigMap   string `json:"configMap"`
	APIBaseFrom string `json:"apiBaseFrom"`
	APIBaseTo   string `json:"apiBaseTo"`
}

// Blocker is a spec field the target layer cannot honour. It is never
// dropped silently: the move waits until the field is changed.
type Blocker struct {
	Field   string `json:"field"`
	Value   any    `json:"value,omitempty"`
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
}

// CheckStatus is the outcome of a preflight check.
type CheckStatus string

// Check statuses. Only CheckFail makes a plan not ready.
const (
	CheckPass   CheckStatus = "pass"
	CheckFail   CheckStatus = "fail"
	CheckWarn   CheckStatus = "warn"
	CheckManual CheckStatus = "manual" // servelayer is offline: run Command to check
)

// Check is one preflight item.
type Check struct {
	ID      string      `json:"id"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	Command string      `json:"command,omitempty"`
}

// Step is one runbook step. Commands run in order.
type Step struct {
	Number   int      `json:"number"`
	Title    string   `json:"title"`
	Commands []string `json:"commands"`
	Notes    []string `json:"notes"`
}

// PlanDiagnostic is a render diagnostic of one side of the move.
type PlanDiagnostic struct {
	Layer    schema.Layer `json:"layer"`
	Severity Severity     `json:"severity"`
	Field    string       `json:"field,omitempty"`
	Message  string       `json:"message"`
}

// FailedChecks returns the preflight checks that failed.
func (p *MovePlan) FailedChecks() []Check {
	var out []Check
	for _, c := range p.Preflight {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

// JSON is the plan as indented JSON, with a trailing newline.
func (p *MovePlan) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "->" and "<=" read as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// PlanMove plans moving model m to opts.To: it renders m on both layers
// (as RenderFleet does, with the layers resolved first when auto) and
// compares them. Errors that leave no plan to make (an invalid Platform, a
// model invalid on its current layer, an unknown layer) come back as
// diagnostics and a nil plan. Fields that do not translate to the target
// are Blockers in the plan, never errors. PlanMove does no I/O.
func PlanMove(m *schema.ServedModel, opts PlanOptions) (*MovePlan, []Diagnostic) {
	if m == nil {
		return nil, []Diagnostic{{Severity: Error, Object: ObjectRef{Kind: schema.KindModel}, Message: "no ServedModel to plan"}}
	}
	ref := modelRef(m)
	var diags []Diagnostic
	fail := func(path string, value any, msg string) {
		diags = append(diags, Diagnostic{Severity: Error, Object: ref, Input: 0, Field: path, Value: value, Message: msg})
	}
	platform, gated := opts.Platform, opts.Platform != nil
	if gated {
		platform = platform.DeepCopy()
		platform.Default()
		if errs := schema.ValidatePlatform(platform); len(errs) > 0 {
			res := &Result{}
			res.addErrors(platformRef(platform), -1, errs)
			return nil, res.Diagnostics
		}
	} else {
		platform = schema.DefaultPlatform()
	}
	from := opts.From
	if from == "" {
		from = m.Spec.Layer
	}
	switch {
	case opts.To == "":
		fail("to", nil, "Required value: the layer to move to, one of raw-vllm, kserve, llm-d, auto")
	case !slices.Contains(schema.LayerValues, opts.To):
		fail("to", string(opts.To), fmt.Sprintf("Unsupported value: %q: supported values: raw-vllm, kserve, llm-d, auto", opts.To))
	}
	if !slices.Contains(schema.LayerValues, from) {
		fail("spec.layer", string(from), fmt.Sprintf("Unsupported value: %q: supported values: raw-vllm, kserve, llm-d, auto", from))
	}
	if len(diags) > 0 {
		return nil, diags
	}
	fleet := max(opts.FleetSize, 1)
	gp := gatedPlatform(platform, gated)

	plan := &MovePlan{APIVersion: PlanAPIVersion, Kind: PlanKind,
		Model:   PlanModel{Name: m.Name, ServedModelName: m.Spec.Model.Name},
		Objects: []ObjectChange{}, Changes: []Change{}, Blockers: []Blocker{},
		Preflight: []Check{}, Steps: []Step{}, Diagnostics: []PlanDiagnostic{}}

	// The old layer is what runs now: its feature gate no longer matters,
	// and fields it cannot honour (the spec may already carry what the new
	// layer needs) are left out of it, with a warning. Other errors mean
	// the spec is broken, not the move.
	if from == schema.LayerAuto {
		c, err := ChooseLayer(m, gp, fleet)
		if err != nil {
			return nil, []Diagnostic{{Severity: Error, Object: ref, Field: err.Field, Value: err.BadValue, Message: err.ErrorBody() + " (current layer)"}}
		}
		from, plan.From.Auto = c.Layer, &c
	}
	oldSpec := m
	oldRes := RenderFleet([]*schema.ServedModel{m}, Options{Platform: withGate(opts.Platform, from), Layer: from})
	if oldRes.HasErrors() {
		var dropped []Diagnostic
		for _, d := range oldRes.Errors() {
			if untranslatable(d.Field, from) {
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
		oldSpec, renderable = withoutUntranslatable(m, from, &platform.Spec)
		if oldRes = RenderFleet([]*schema.ServedModel{renderable}, Options{Platform: withGate(opts.Platform, from), Layer: from}); oldRes.HasErrors() {
			return nil, oldRes.Errors()
		}
		for _, d := range dropped {
			plan.Diagnostics = append(plan.Diagnostics, PlanDiagnostic{Layer: from, Severity: Warning, Field: d.Field,
				Message: fmt.Sprintf("cannot run on %s: the plan assumes %s serves this model without it", from, from)})
		}
	}
	oldM := defaulted(oldSpec, from, &platform.Spec)
	plan.From.Layer, plan.From.Namespace = from, oldM.Namespace
	plan.addDiagnostics(from, oldRes.Diagnostics)

	// The new layer: an auto that cannot resolve is a blocker at spec.layer.
	to := opts.To
	if to == schema.LayerAuto {
		c, err := ChooseLayer(m, gp, fleet)
		if err != nil {
			plan.To.Layer = schema.LayerAuto
			plan.Blockers = append(plan.Blockers, Blocker{Field: err.Field, Value: err.BadValue, Problem: err.Detail,
				Fix: "change the fields named, enable the layer in the Platform, or give --to a concrete layer"})
			plan.Objects = objectChanges(oldRes.Objects, nil, true)
			plan.finish()
			return plan, nil
		}
		to, plan.To.Auto = c.Layer, &c
	}
	newM := defaulted(m, to, &platform.Spec)
	plan.To.Layer, plan.To.Namespace = to, newM.Namespace
	// The gate is preflight's to report; render as if it were on, to show
	// what the move would add.
	newRes := RenderFleet([]*schema.ServedModel{m}, Options{Platform: withGate(opts.Platform, to), Layer: to})
	plan.addDiagnostics(to, newRes.Diagnostics)
	newObjects, known := newRes.Objects, true
	if newRes.HasErrors() {
		for _, d := range newRes.Errors() {
			plan.Blockers = append(plan.Blockers, blocker(d, oldM, newM, &platform.Spec))
			known = known && untranslatable(d.Field, to)
		}
		// When only untranslatable fields block the move, the objects are
		// those of the spec once they are changed: show them.
		if known {
			_, renderable := withoutUntranslatable(m, to, &platform.Spec)
			res := RenderFleet([]*schema.ServedModel{renderable}, Options{Platform: withGate(opts.Platform, to), Layer: to})
			newObjects, known = res.Objects, !res.HasErrors()
		}
	}

	plan.Objects = objectChanges(oldRes.Objects, newObjects, !known)
	plan.ObjectsComplete = known
	plan.Changes = semanticChanges(oldM, newM, &platform.Spec)
	if r := m.Spec.Routing; r != nil {
		plan.LiteLLM = &AliasMove{Alias: r.Alias, ConfigMap: platform.Spec.LiteLLM.Namespace + "/" + liteLLMName(m),
			APIBaseFrom: APIBase(oldM, &platform.Spec), APIBaseTo: APIBase(newM, &platform.Spec)}
	}
	if from != to {
		plan.Preflight = preflight(oldM, newM, &platform.Spec, gated)
		plan.Steps = plan.runbook(oldM, newM, &platform.Spec, opts)
	}
	plan.finish()
	return plan, nil
}

func (p *MovePlan) finish() {
	p.Ready = len(p.Blockers) == 0 && len(p.FailedChecks()) == 0
}

func (p *MovePlan) addDiagnostics(l schema.Layer, ds []Diagnostic) {
	for _, d := range ds {
		if d.Severity == Error {
			continue // blockers
		}
		pd := PlanDiagnostic{Layer: l, Severity: d.Severity, Field: d.Field, Message: d.Message}
		if !slices.ContainsFunc(p.Diagnostics, func(o PlanDiagnostic) bool { return o.Message == pd.Message }) {
			p.Diagnostics = append(p.Diagnostics, pd)
		}
	}
}

// withGate is a copy of p with layer l's feature gate on; nil stays nil.
func withGate(p *schema.Platform, l schema.Layer) *schema.Platform {
	if p == nil {
		return nil
	}
	p = p.DeepCopy()
	switch l {
	case schema.LayerKServe:
		p.Spec.Features.KServe = true
	case schema.LayerLLMD:
		p.Spec.Features.LLMD = true
	}
	return p
}

// untranslatable reports whether an error at path only says that layer l
// cannot honour a field (see translations).
func untranslatable(path string, l schema.Layer) bool {
	return slices.ContainsFunc(translations, func(t translation) bool {
		return t.field == path && slices.Contains(t.to, l)
	})
}

// withoutUntranslatable is m without the fields layer l cannot honour:
// what l serves when the spec already carries another layer's fields.
// describe keeps the weights source (for an honest description);
// renderable swaps a source l cannot read for a placeholder claim, which
// changes no object's identity.
func withoutUntranslatable(m *schema.ServedModel, l schema.Layer, p *schema.PlatformSpec) (describe, renderable *schema.ServedModel) {
	c := m.DeepCopy()
	s := &c.Spec
	if l != schema.LayerKServe {
		s.Rollout = nil
	}
	if d := s.Disaggregation; d != nil && l != schema.LayerLLMD {
		s.Resources = *s.PoolResources(&d.Decode).DeepCopy()
		s.Replicas = ptr(int32(1))
		if d.Decode.Replicas != nil {
			s.Replicas = ptr(*d.Decode.Replicas)
		}
		s.Disaggregation = nil
	}
	if sc := s.Scaling; sc != nil && l == schema.LayerRawVLLM {
		n := int32(1)
		if sc.MinReplicas != nil {
			n = max(*sc.MinReplicas, 1)
		}
		s.Replicas, s.Scaling = &n, nil
	}
	if l == schema.LayerKServe && p.KServe.DeploymentMode == "Standard" {
		if sc := s.Scaling; sc != nil && sc.MinReplicas != nil && *sc.MinReplicas == 0 {
			sc.MinReplicas = ptr(int32(1))
		}
		if s.Replicas != nil && *s.Replicas == 0 {
			s.Replicas = ptr(int32(1))
		}
	}
	r := c.DeepCopy()
	if src := &r.Spec.Model.Source; (l == schema.LayerRawVLLM && src.PVC == nil) || (l == schema.LayerKServe && src.HF != "") {
		*src = schema.ModelSource{PVC: &schema.PVCSource{ClaimName: r.Name, Path: r.Name}}
	}
	return c, r
}

// defaulted is a copy of m on layer l, defaulted against p.
func defaulted(m *schema.ServedModel, l schema.Layer, p *schema.PlatformSpec) *schema.ServedModel {
	c := m.DeepCopy()
	c.Spec.Layer = l
	c.Default(p)
	return c
}

// objectChanges compares the two renders by identity (kind, namespace,
// name). When the new side failed to render, its objects are unknown.
func objectChanges(old, new []Object, newFailed bool) []ObjectChange {
	key := func(o Object) string { return o.Ref.Kind + "\x00" + o.Ref.Namespace + "\x00" + o.Ref.Name }
	newByKey := map[string]Object{}
	for _, o := range new {
		newByKey[key(o)] = o
	}
	oldKeys := map[string]bool{}
	var removed, changed, added []ObjectChange
	for _, o := range old {
		oldKeys[key(o)] = true
		c := ObjectChange{APIVersion: o.Ref.APIVersion, Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		n, both := newByKey[key(o)]
		switch {
		case both:
			c.Fields = changedFields(o, n)
			c.Action = ActionChange
			if len(c.Fields) == 0 {
				c.Action = ActionUnchanged
			}
			changed = append(changed, c)
		case keptOnDelete(o):
			c.Action = ActionKeep
			c.Note = "Prune=false,Delete=false: staged weights are never deleted by the move; delete the claim yourself once it is no longer needed"
			removed = append(removed, c)
		case newFailed && o.Ref.Kind == "ConfigMap":
			c.Action = ActionChange
			c.Note = "re-pointed to the new layer (its content is unknown until the blockers are fixed)"
			changed = append(changed, c)
		default:
			c.Action = ActionRemove
			removed = append(removed, c)
		}
	}
	for _, o := range new {
		if !oldKeys[key(o)] {
			added = append(added, ObjectChange{Action: ActionAdd, APIVersion: o.Ref.APIVersion, Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name})
		}
	}
	out := append(append(removed, changed...), added...)
	if out == nil {
		out = []ObjectChange{}
	}
	return out
}

// keptOnDelete reports objects servelayer marks as never to be deleted.
func keptOnDelete(o Object) bool {
	pvc, ok := o.manifest.(*persistentVolumeClaim)
	return ok && strings.Contains(pvc.Metadata.Annotations[AnnotationArgoSyncOptions], "Delete=false")
}

// changedFields lists the leaf field paths whose values differ.
func changedFields(a, b Object) []string {
	fa, fb := map[string]string{}, map[string]string{}
	for _, x := range []struct {
		o Object
		m map[string]string
	}{{a, fa}, {b, fb}} {
		raw, err := x.o.JSON()
		if err != nil {
			return []string{"(unreadable)"}
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return []string{"(unreadable)"}
		}
		flatten(field.NewPath("x"), v, x.m)
	}
	var out []string
	for k, v := range fa {
		if w, ok := fb[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func flatten(p *field.Path, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			cp := p.Key(k)
			if isIdent(k) {
				cp = p.Child(k)
			}
			flatten(cp, c, out)
		}
	case []any:
		for i, c := range t {
			flatten(p.Index(i), c, out)
		}
	default:
		b, _ := json.Marshal(t)
		out[strings.TrimPrefix(strings.TrimPrefix(p.String(), "x"), ".")] = string(b)
	}
}

func isIdent(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	})
}

// translations say, for a field the target layer rejects, what would be
// lost and which field to change. Keyed by field path and target layer;
// an error without an entry keeps validation's own message.
type translation struct {
	field   string
	to      []schema.Layer
	problem string
	fix     func(old, new *schema.ServedModel) string
}

var translations = []translation{
	{"spec.rollout.canaryTrafficPercent", []schema.Layer{schema.LayerRawVLLM},
		"raw-vllm has no traffic split (it rolls out with Recreate): the canary would be dropped",
		func(_, _ *schema.ServedModel) string {
			return "finish the canary on kserve first (promote to 100% or roll back), then remove spec.rollout"
		}},
	{"spec.rollout.canaryTrafficPercent", []schema.Layer{schema.LayerLLMD},
		"llm-d's router manages rollout and has no canaryTrafficPercent: the canary would be dropped",
		func(_, _ *schema.ServedModel) string {
			return "finish the canary on kserve first (promote to 100% or roll back), then remove spec.rollout"
		}},
	{"spec.model.source.oci", []schema.Layer{schema.LayerRawVLLM},
		"raw-vllm cannot mount an OCI modelcar: it serves pre-staged weights from a claim, offline",
		func(_, n *schema.ServedModel) string {
			return fmt.Sprintf("copy the modelcar's weights onto a PersistentVolumeClaim in namespace %s, then replace spec.model.source.oci with spec.model.source.pvc {claimName, path}", n.Namespace)
		}},
	{"spec.model.source.hf", []schema.Layer{schema.LayerRawVLLM},
		"raw-vllm runs with HF_HUB_OFFLINE=1 and never downloads from the hub",
		func(_, n *schema.ServedModel) string {
			return fmt.Sprintf("stage the weights on a PersistentVolumeClaim in namespace %s, then replace spec.model.source.hf with spec.model.source.pvc {claimName, path}", n.Namespace)
		}},
	{"spec.model.source.hf", []schema.Layer{schema.LayerKServe},
		"kserve would stage hf:// with its storage initializer, which breaks behind restricted egress",
		func(_, n *schema.ServedModel) string {
			return fmt.Sprintf("replace spec.model.source.hf with spec.model.source.pvc (weights staged on a claim in namespace %s) or a digest-pinned spec.model.source.oci modelcar", n.Namespace)
		}},
	{"spec.disaggregation", []schema.Layer{schema.LayerRawVLLM, schema.LayerKServe},
		"prefill/decode disaggregation exists only on llm-d: the prefill pool and KV-aware routing would be dropped",
		func(_, n *schema.ServedModel) string {
			d := n.Spec.Disaggregation
			r := n.Spec.PoolResources(&d.Decode)
			return fmt.Sprintf("remove spec.disaggregation and serve one pool: set spec.replicas: %d and spec.resources from the decode pool (cpu %s, memory %s, gpus %d)",
				*d.Decode.Replicas, r.CPU, r.Memory, r.GPUs)
		}},
	{"spec.scaling", []schema.Layer{schema.LayerRawVLLM},
		"raw-vllm has no autoscaler: the replica range would be dropped",
		func(_, n *schema.ServedModel) string {
			sc := n.Spec.Scaling
			return fmt.Sprintf("replace spec.scaling (minReplicas %d, maxReplicas %d) with a fixed spec.replicas, such as spec.replicas: %d",
				*sc.MinReplicas, sc.MaxReplicas, max(*sc.MinReplicas, 1))
		}},
	{"spec.scaling.minReplicas", []schema.Layer{schema.LayerKServe},
		"KServe Standard mode (HPA) clamps minReplicas 0 to 1: scale-to-zero would be dropped",
		func(_, _ *schema.ServedModel) string {
			return "set Platform spec.kserve.deploymentMode: Knative for scale-to-zero, or set spec.scaling.minReplicas: 1"
		}},
	{"spec.scaling.minReplicas", []schema.Layer{schema.LayerLLMD},
		"llm-d's autoscaler floor is 1 replica: scale-to-zero would be dropped",
		func(_, _ *schema.ServedModel) string {
			return "set spec.scaling.minReplicas: 1 and idle with spec.paused: true (the serving.kserve.io/stop annotation), or stay on kserve in Knative mode"
		}},
	{"spec.replicas", []schema.Layer{schema.LayerKServe},
		"KServe Standard mode clamps 0 replicas to 1: the idle model would start serving",
		func(_, _ *schema.ServedModel) string {
			return "set spec.paused: true (the serving.kserve.io/stop annotation) and spec.replicas: 1"
		}},
}

// blocker turns a target-layer error into a Blocker with guidance.
func blocker(d Diagnostic, old, new *schema.ServedModel, p *schema.PlatformSpec) Blocker {
	b := Blocker{Field: d.Field, Value: d.Value, Problem: d.Message, Fix: "change " + d.Field + " as the problem says"}
	if d.Field == "" {
		b.Fix = "fix the problem above"
	}
	for _, t := range translations {
		if t.field == d.Field && slices.Contains(t.to, new.Spec.Layer) {
			if new.Spec.Layer == schema.LayerKServe && (t.field == "spec.scaling.minReplicas" || t.field == "spec.replicas") {
				if p.KServe.DeploymentMode != "Standard" {
					continue
				}
			}
			b.Problem, b.Fix = t.problem, t.fix(old, new)
			if b.Value == nil {
				b.Value = specValue(new, d.Field)
			}
			break
		}
	}
	return b
}

// specValue is the value a Forbidden error leaves out, for the plan.
func specValue(m *schema.ServedModel, path string) any {
	s := &m.Spec
	switch path {
	case "spec.rollout.canaryTrafficPercent":
		return *s.Rollout.CanaryTrafficPercent
	case "spec.model.source.oci":
		return s.Model.Source.OCI
	case "spec.model.source.hf":
		return s.Model.Source.HF
	}
	return nil
}

// gpuNeed is the GPUs a defaulted model holds on its layer when running:
// per replica x replicas (the floor, at least 1, when autoscaled), or the
// sum of the prefill and decode pools. A paused model holds none.
func gpuNeed(m *schema.ServedModel) (need int32, desc string) {
	s := &m.Spec
	plural := func(n int32, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	if d := s.Disaggregation; d != nil && s.Layer == schema.LayerLLMD {
		pr, dr := s.PoolResources(&d.Prefill), s.PoolResources(&d.Decode)
		need = pr.GPUs**d.Prefill.Replicas + dr.GPUs**d.Decode.Replicas
		desc = fmt.Sprintf("prefill %d GPU x %d + decode %d GPU x %d = %d %s",
			pr.GPUs, *d.Prefill.Replicas, dr.GPUs, *d.Decode.Replicas, need, plural(need, "GPU", "GPUs"))
	} else {
		per := s.Resources.GPUs
		switch {
		case s.Scaling != nil:
			lo := max(*s.Scaling.MinReplicas, 1)
			need = per * lo
			desc = fmt.Sprintf("%d GPU x %d..%d replicas = %d..%d GPUs", per, *s.Scaling.MinReplicas, s.Scaling.MaxReplicas,
				per**s.Scaling.MinReplicas, per*s.Scaling.MaxReplicas)
		case s.Replicas != nil:
			need = per * *s.Replicas
			desc = fmt.Sprintf("%d GPU x %d %s = %d %s", per, *s.Replicas, plural(*s.Replicas, "replica", "replicas"), need, plural(need, "GPU", "GPUs"))
		default: // disaggregation on a layer that cannot serve it: blocked
			need = per
			desc = fmt.Sprintf("%d GPU x 1 replica (spec.disaggregation: not on %s)", per, s.Layer)
		}
	}
	if s.Paused {
		return 0, desc + " (paused: none held)"
	}
	return need, desc
}

// semanticChanges describes each aspect on both layers.
func semanticChanges(old, new *schema.ServedModel, p *schema.PlatformSpec) []Change {
	aspects := []string{AspectNamespace, AspectWeights, AspectURL, AspectRouting, AspectScaling, AspectRollout, AspectPause, AspectGPUs}
	var out []Change
	for _, a := range aspects {
		c := Change{Aspect: a, From: describe(a, old, p), To: describe(a, new, p)}
		c.Changed = c.From != c.To
		c.Note = changeNote(a, old, new)
		out = append(out, c)
	}
	return out
}

func describe(aspect string, m *schema.ServedModel, p *schema.PlatformSpec) string {
	s := &m.Spec
	l := s.Layer
	switch aspect {
	case AspectNamespace:
		return m.Namespace
	case AspectWeights:
		return describeWeights(m)
	case AspectURL:
		return APIBase(m, p)
	case AspectRouting:
		switch l {
		case schema.LayerKServe:
			return fmt.Sprintf("KServe's HTTPRoute (gateway class %s) -> predictor Service %s-predictor.%s", p.KServe.Gateway.ClassName, m.Name, m.Namespace)
		case schema.LayerLLMD:
			return fmt.Sprintf("llm-d router on Gateway %s/%s: HTTPRoute -> InferencePool + endpoint picker (KV/prefix-aware)", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name)
		}
		return fmt.Sprintf("LiteLLM -> Service %s.%s:%d; no gateway route (add your own)", m.Name, m.Namespace, vllmPort)
	case AspectScaling:
		return describeScaling(m, p)
	case AspectRollout:
		switch l {
		case schema.LayerKServe:
			if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
				return fmt.Sprintf("canary: %d%% of traffic to the latest revision (%s mode)", *r.CanaryTrafficPercent, p.KServe.DeploymentMode)
			}
			if p.KServe.DeploymentMode == "Standard" {
				return "Recreate, no traffic split (canary needs Knative mode)"
			}
			return "Knative revisions, all traffic to the latest (no canary set)"
		case schema.LayerLLMD:
			if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
				return "router-managed; spec.rollout: not on llm-d"
			}
			return "router-managed"
		}
		if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
			return "Recreate, no traffic split; spec.rollout: not on raw-vllm"
		}
		return "Recreate, no traffic split"
	case AspectPause:
		state := "running"
		if s.Paused {
			state = "paused"
		}
		if l == schema.LayerRawVLLM {
			return "spec.paused sets Deployment replicas 0; now " + state
		}
		return "spec.paused sets annotation " + AnnotationStop + "=true; now " + state
	case AspectGPUs:
		_, d := gpuNeed(m)
		return d
	}
	return ""
}

func describeWeights(m *schema.ServedModel) string {
	src := m.Spec.Model.Source
	switch m.Spec.Layer {
	case schema.LayerRawVLLM:
		switch {
		case src.PVC != nil:
			return fmt.Sprintf("claim %s/%s, path %s: pre-staged, read-only at %s/%s; HF offline; check-weights initContainer",
				m.Namespace, src.PVC.ClaimName, src.PVC.Path, rawModelsDir, src.PVC.Path)
		case src.OCI != "":
			return "oci modelcar: not on raw-vllm (it serves pre-staged claims only)"
		}
		return "hf: not on raw-vllm (it runs offline)"
	case schema.LayerKServe:
		switch {
		case src.PVC != nil:
			return fmt.Sprintf("claim %s/%s, path %s: pre-staged, read-only at %s/%s (custom container, no storage initializer)",
				m.Namespace, src.PVC.ClaimName, src.PVC.Path, rawModelsDir, src.PVC.Path)
		case src.OCI != "":
			repo, digest := schema.SplitOCI(src.OCI)
			return fmt.Sprintf("modelcar oci://%s@%s at %s", repo, digest, kserveModelsDir)
		}
		return "hf: not on kserve (its storage initializer breaks behind restricted egress)"
	}
	uri := llmdURI(src)
	switch {
	case src.PVC != nil:
		return fmt.Sprintf("%s (claim in namespace %s), mounted read-only at %s by KServe storage", uri, m.Namespace, kserveModelsDir)
	case src.OCI != "":
		return fmt.Sprintf("%s, mounted at %s by KServe storage", uri, kserveModelsDir)
	}
	return fmt.Sprintf("%s, downloaded by KServe storage at start (needs egress to the hub)", uri)
}

func describeScaling(m *schema.ServedModel, p *schema.PlatformSpec) string {
	s := &m.Spec
	switch s.Layer {
	case schema.LayerRawVLLM:
		switch {
		case s.Scaling != nil:
			return "spec.scaling: not on raw-vllm (fixed replicas only)"
		case s.Replicas != nil:
			return fmt.Sprintf("fixed: Deployment replicas %d", *s.Replicas)
		}
		return "spec.disaggregation: not on " + string(s.Layer) + " (one pool only)"
	case schema.LayerKServe:
		mode := p.KServe.DeploymentMode
		switch {
		case s.Scaling != nil:
			return fmt.Sprintf("autoscaled: minReplicas %d, maxReplicas %d (%s mode)", *s.Scaling.MinReplicas, s.Scaling.MaxReplicas, mode)
		case s.Replicas != nil:
			return fmt.Sprintf("fixed: minReplicas = maxReplicas = %d (%s mode)", *s.Replicas, mode)
		}
		return "spec.disaggregation: not on " + string(s.Layer) + " (one pool only)"
	}
	switch {
	case s.Disaggregation != nil:
		return fmt.Sprintf("fixed: prefill %d + decode %d replicas", *s.Disaggregation.Prefill.Replicas, *s.Disaggregation.Decode.Replicas)
	case s.Scaling != nil:
		return fmt.Sprintf("autoscaled: %d..%d replicas (Workload Variant Autoscaler, HPA)", *s.Scaling.MinReplicas, s.Scaling.MaxReplicas)
	}
	return fmt.Sprintf("fixed: LLMInferenceService replicas %d", *s.Replicas)
}

// changeNote says what an operator must know about an aspect's change.
func changeNote(aspect string, old, new *schema.ServedModel) string {
	ol, nl := old.Spec.Layer, new.Spec.Layer
	if ol == nl {
		return ""
	}
	switch aspect {
	case AspectWeights:
		if src := new.Spec.Model.Source.PVC; src != nil && old.Namespace != new.Namespace {
			return fmt.Sprintf("claims are namespaced: %s must exist in %s with the weights at %s (see preflight)", src.ClaimName, new.Namespace, src.Path)
		}
	case AspectRouting:
		var notes []string
		if ol == schema.LayerLLMD {
			notes = append(notes, "KV/prefix-aware routing (the endpoint picker) is lost")
		}
		if nl == schema.LayerRawVLLM {
			notes = append(notes, "the HTTPRoute "+string(ol)+" managed is gone: traffic reaches the model only through LiteLLM or a route of your own")
		}
		return strings.Join(notes, "; ")
	case AspectPause:
		return "idle the old layer its own way in step 5"
	}
	return ""
}

// gateField is the Platform field of a layer's feature gate.
func gateField(l schema.Layer) string {
	if g := gateName(l); g != "" {
		return "spec.features." + g
	}
	return ""
}

// preflight is step 1: what must be true before bringing up the new layer.
func preflight(old, new *schema.ServedModel, p *schema.PlatformSpec, gated bool) []Check {
	to := new.Spec.Layer
	ns := new.Namespace
	var cs []Check
	add := func(id string, st CheckStatus, cmd, format string, a ...any) {
		cs = append(cs, Check{ID: id, Status: st, Message: fmt.Sprintf(format, a...), Command: cmd})
	}

	// 1. The feature gate.
	switch {
	case to == schema.LayerRawVLLM:
		add("feature-gate", CheckPass, "", "raw-vllm is serving-core: always on")
	case !gated:
		add("feature-gate", CheckWarn, "", "no Platform given: %s is not checked; pass --platform", gateField(to))
	case p.Enabled(to):
		add("feature-gate", CheckPass, "", "%s is true in the Platform", gateField(to))
	default:
		add("feature-gate", CheckFail, "", "%s is false in the Platform: %s is disabled; enable it there (once its control plane is installed) or move to another layer", gateField(to), to)
	}

	// 2. The layer's prerequisites. servelayer is offline: these are commands to run.
	switch to {
	case schema.LayerRawVLLM:
		add("prerequisites", CheckPass, "", "raw-vllm needs no control plane")
	case schema.LayerKServe:
		add("cert-manager", CheckManual, "kubectl get crd certificates.cert-manager.io", "cert-manager is installed (KServe's webhooks need its certificates)")
		add("kserve-controller", CheckManual, "kubectl get deployment -A -l control-plane=kserve-controller-manager", "the KServe controller is installed and available")
		gw := "kubectl get gatewayclass " + p.KServe.Gateway.ClassName
		if g := p.KServe.Gateway; g.Name != "" && g.Namespace != "" {
			gw = fmt.Sprintf("kubectl -n %s get gateway %s", g.Namespace, g.Name)
		}
		add("gateway", CheckManual, gw, "KServe's gateway (class %s) exists, for the HTTPRoute KServe creates", p.KServe.Gateway.ClassName)
	case schema.LayerLLMD:
		add("llmisvc-crds", CheckManual, "kubectl get crd llminferenceservices.serving.kserve.io llminferenceserviceconfigs.serving.kserve.io inferencepools.inference.networking.k8s.io",
			"the LLMInferenceService CRDs and the Gateway API Inference Extension's InferencePool are installed")
		presets := "kserve-config-llm-template, kserve-config-llm-router-route, kserve-config-llm-scheduler"
		if new.Spec.Disaggregation != nil {
			presets += ", kserve-config-llm-decode-template, kserve-config-llm-prefill-template"
		}
		add("llmisvc-presets", CheckManual, "kubectl get llminferenceserviceconfigs -A", "the llm-d presets are installed: %s", presets)
		add("gateway", CheckManual, fmt.Sprintf("kubectl -n %s get gateway %s", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name),
			"llm-d's own Gateway %s/%s exists, for the router's HTTPRoute", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name)
		if new.Spec.Scaling != nil {
			add("wva", CheckManual, "kubectl api-resources | grep -i -e VariantAutoscaling -e ServiceMonitor",
				"the Workload Variant Autoscaler (its VariantAutoscaling CRD and controller) and the Prometheus Operator's ServiceMonitor CRD are installed, for spec.scaling, plus Prometheus Adapter for the HPA actuator")
		}
	}
	if old.Namespace != ns {
		add("namespace", CheckManual, "kubectl get namespace "+ns, "namespace %s exists", ns)
	}

	// 3. The weights, where the new layer reads them (a source the new
	// layer cannot read is a blocker, not a check).
	src := new.Spec.Model.Source
	switch {
	case src.PVC != nil && src.PVC.Provision != nil:
		add("weights", CheckManual, fmt.Sprintf("kubectl -n %s get pvc %s", ns, src.PVC.ClaimName),
			"servelayer renders claim %s/%s empty: stage the weights at %s before step 2", ns, src.PVC.ClaimName, src.PVC.Path)
	case src.PVC != nil && old.Namespace == ns:
		add("weights", CheckPass, "", "the same claim %s/%s serves both layers", ns, src.PVC.ClaimName)
	case src.PVC != nil:
		add("weights", CheckManual, fmt.Sprintf("kubectl -n %s get pvc %s", ns, src.PVC.ClaimName),
			"claim %s exists in %s (claims are namespaced) with the weights at %s", src.PVC.ClaimName, ns, src.PVC.Path)
	case src.OCI != "" && to == schema.LayerKServe && !gated:
		add("weights", CheckManual, "kubectl get configmap -A -l app.kubernetes.io/name=kserve -o yaml | grep enableModelcar",
			"KServe's storage config has enableModelcar: true (declare it with Platform spec.kserve.modelcar: true)")
	case src.OCI != "" && to == schema.LayerKServe && !p.KServe.Modelcar:
		add("weights", CheckFail, "", "Platform spec.kserve.modelcar is false: KServe injects no modelcar (shipped enableModelcar: false); enable it in inferenceservice-config and declare spec.kserve.modelcar: true")
	case src.OCI != "" && to != schema.LayerRawVLLM:
		add("weights", CheckPass, "", "the modelcar is pulled by the new layer")
	case src.HF != "" && to == schema.LayerLLMD:
		repo := strings.TrimPrefix(src.HF, "hf://")
		add("weights", CheckManual, fmt.Sprintf("kubectl -n %s run %s-hf-check --rm -i --restart=Never --image=%s -- curl -fsSI https://huggingface.co/api/models/%s", ns, new.Name, CheckImage, repo),
			"pods in %s reach huggingface.co (KServe storage downloads %s)", ns, repo)
	}

	// 4. GPUs.
	need, desc := gpuNeed(new)
	per := new.Spec.Resources.GPUs
	tp := parallelSize(new.Spec.Engine.Args, "--tensor-parallel-size", "-tp")
	pp := parallelSize(new.Spec.Engine.Args, "--pipeline-parallel-size", "-pp")
	if world := tp * pp; world > 1 && world > per {
		add("engine-parallelism", CheckFail, "", "spec.engine.args shard the model over %d GPUs but a replica has %d (spec.resources.gpus): vLLM cannot start; multi-node serving needs llm-d's spec.worker (LeaderWorkerSet), which servelayer does not render yet", world, per)
	}
	if p.GPUNodes.GPUsPerNode != nil && per > *p.GPUNodes.GPUsPerNode {
		add("gpus-per-node", CheckFail, "", "a replica needs %d GPUs but a node has %d (Platform spec.gpuNodes.gpusPerNode): the pod cannot schedule; multi-node serving needs llm-d's spec.worker (LeaderWorkerSet), which servelayer does not render yet", per, *p.GPUNodes.GPUsPerNode)
	}
	disagg := new.Spec.Disaggregation != nil && to == schema.LayerLLMD
	switch {
	case p.GPUs == nil && disagg:
		add("gpus", CheckManual, "kubectl get nodes -o custom-columns=NAME:.metadata.name,GPUS:.status.allocatable.nvidia\\.com/gpu",
			"prefill/decode disaggregation needs %s; no Platform spec.gpus to check against", desc)
	case p.GPUs == nil:
		add("gpus", CheckManual, "kubectl get nodes -o custom-columns=NAME:.metadata.name,GPUS:.status.allocatable.nvidia\\.com/gpu",
			"%s needed; no Platform spec.gpus to check against", desc)
	case need > *p.GPUs && disagg:
		add("gpus", CheckFail, "", "prefill/decode disaggregation needs %s, but the Platform has %d (spec.gpus): only one pool would schedule; add GPUs or remove spec.disaggregation", desc, *p.GPUs)
	case need > *p.GPUs:
		add("gpus", CheckFail, "", "%s needed, but the Platform has %d (spec.gpus): pods would stay Pending", desc, *p.GPUs)
	default:
		add("gpus", CheckPass, "", "%s needed; the Platform has %d", desc, *p.GPUs)
		if held, _ := gpuNeed(old); need+held > *p.GPUs {
			add("gpu-headroom", CheckWarn, "", "%s still holds %d GPU(s) until step 5, so the new pods stay Pending until then (%d + %d > %d): idle the old layer first and accept downtime, or add GPUs",
				old.Spec.Layer, held, held, need, *p.GPUs)
		} else if held > 0 {
			add("gpu-headroom", CheckPass, "", "both layers fit while they overlap (steps 2-5): %d + %d <= %d", held, need, *p.GPUs)
		}
	}
	return cs
}

// runbook is the ordered checklist, steps 1-6.
func (p *MovePlan) runbook(old, new *schema.ServedModel, ps *schema.PlatformSpec, opts PlanOptions) []Step {
	from, to := old.Spec.Layer, new.Spec.Layer
	render := "servelayer render -f " + orDefault(opts.ModelFile, "MODEL.yaml")
	if opts.PlatformFile != "" {
		render += " --platform " + opts.PlatformFile
	}
	if opts.ModelName != "" {
		render += " --name " + opts.ModelName
	}
	render += " --layer " + string(to)

	s1 := Step{Title: "Preflight", Notes: []string{}}
	for _, c := range p.Preflight {
		if c.Command != "" {
			s1.Commands = append(s1.Commands, c.Command)
		}
	}
	s1.Notes = append(s1.Notes, "go on only when every check passes (run the manual checks' commands)")

	// Selectors for the model's objects and its LiteLLM entry, so a render
	// of a whole fleet file still applies only this model's half.
	selectModel := LabelName + "=" + new.Name + "," + LabelComponent + "!=litellm-route"
	selectLiteLLM := LabelName + "=" + new.Name + "," + LabelComponent + "=litellm-route"
	s2 := Step{Title: "Bring up " + string(to) + " (the alias still points at " + string(from) + ")",
		Commands: []string{render + " | kubectl apply --server-side -l '" + selectModel + "' -f -"}}
	for _, o := range p.Objects {
		if o.Action == ActionAdd && o.Kind != "ConfigMap" {
			s2.Notes = append(s2.Notes, fmt.Sprintf("creates %s %s/%s", o.Kind, o.Namespace, o.Name))
		}
	}
	s2.Notes = append(s2.Notes, "the LiteLLM ConfigMap is left for step 4")

	wait := map[schema.Layer]string{
		schema.LayerRawVLLM: fmt.Sprintf("kubectl -n %s rollout status deployment/%s --timeout=30m", new.Namespace, new.Name),
		schema.LayerKServe:  fmt.Sprintf("kubectl -n %s wait inferenceservice/%s --for=condition=Ready --timeout=30m", new.Namespace, new.Name),
		schema.LayerLLMD:    fmt.Sprintf("kubectl -n %s wait llminferenceservice/%s --for=condition=Ready --timeout=30m", new.Namespace, new.Name),
	}[to]
	url := APIBase(new, ps)
	s3 := Step{Title: "Validate " + string(to) + " at the URL LiteLLM will call", Commands: []string{
		wait,
		fmt.Sprintf("kubectl -n %s run %s-move-check --rm -i --restart=Never --image=%s -- curl -fsS %s/models",
			ps.LiteLLM.Namespace, new.Name, CheckImage, url),
	}, Notes: []string{fmt.Sprintf("expect %q in the model list; the check runs in LiteLLM's namespace %s, where tenant traffic comes from", new.Spec.Model.Name, ps.LiteLLM.Namespace)}}
	if new.Spec.Paused {
		s3.Notes = append(s3.Notes, "spec.paused is true: the new layer stays idle, so there is nothing to validate until it is unpaused")
	}

	s4 := Step{Title: "Re-point the alias"}
	if a := p.LiteLLM; a != nil {
		s4.Commands = []string{render + " | kubectl apply --server-side -l '" + selectLiteLLM + "' -f -"}
		s4.Notes = []string{fmt.Sprintf("alias %q does not change; api_base %s -> %s (ConfigMap %s)", a.Alias, a.APIBaseFrom, a.APIBaseTo, a.ConfigMap)}
	} else {
		s4.Notes = []string{"no spec.routing: no LiteLLM alias to re-point; point clients at " + url}
	}
	s4.Notes = append(s4.Notes, fmt.Sprintf("set spec.layer: %s in %s and commit it, so Git and the cluster agree", to, orDefault(opts.ModelFile, "the spec")))

	s5 := Step{Title: "Idle " + string(from) + " (keep it for rollback)"}
	switch from {
	case schema.LayerRawVLLM:
		s5.Commands = []string{fmt.Sprintf("kubectl -n %s scale deployment/%s --replicas=0", old.Namespace, old.Name)}
		s5.Notes = []string{"raw-vllm idles with replicas 0 (what spec.paused: true renders); roll back by scaling up and re-pointing the alias"}
	case schema.LayerKServe:
		s5.Commands = []string{fmt.Sprintf("kubectl -n %s annotate inferenceservice/%s %s=true --overwrite", old.Namespace, old.Name, AnnotationStop)}
		s5.Notes = []string{"kserve idles with the " + AnnotationStop + " annotation (what spec.paused: true renders); roll back by removing it and re-pointing the alias"}
	case schema.LayerLLMD:
		s5.Commands = []string{fmt.Sprintf("kubectl -n %s annotate llminferenceservice/%s %s=true --overwrite", old.Namespace, old.Name, AnnotationStop)}
		s5.Notes = []string{"llm-d idles with the " + AnnotationStop + " annotation (what spec.paused: true renders); roll back by removing it and re-pointing the alias"}
	}

	s6 := Step{Title: "Tear down " + string(from) + ", gateways before the cluster"}
	switch from {
	case schema.LayerRawVLLM:
		s6.Commands = []string{
			fmt.Sprintf("kubectl -n %s delete service/%s", old.Namespace, old.Name),
			fmt.Sprintf("kubectl -n %s delete deployment/%s", old.Namespace, old.Name),
		}
		s6.Notes = []string{"the Service (the way in) goes before the Deployment"}
	case schema.LayerKServe:
		s6.Commands = []string{fmt.Sprintf("kubectl -n %s delete inferenceservice/%s", old.Namespace, old.Name)}
		s6.Notes = []string{"KServe deletes the HTTPRoute and the predictor with it"}
	case schema.LayerLLMD:
		s6.Commands = []string{fmt.Sprintf("kubectl -n %s delete llminferenceservice/%s", old.Namespace, old.Name)}
		s6.Notes = []string{"KServe deletes the HTTPRoute, the InferencePool, the endpoint picker and the pools with it"}
	}
	s6.Notes = append(s6.Notes, fmt.Sprintf("GitOps: the same objects carry -l %s=%s,%s=%s,%s=%s",
		LabelName, old.Name, LabelLayer, from, LabelComponent, componentVLLM))
	for _, o := range p.Objects {
		if o.Action == ActionKeep {
			s6.Notes = append(s6.Notes, fmt.Sprintf("%s %s/%s is kept: delete it yourself once the weights are no longer needed", o.Kind, o.Namespace, o.Name))
		}
	}
	switch from {
	case schema.LayerKServe:
		s6.Notes = append(s6.Notes, fmt.Sprintf("if no model uses kserve any more: remove its Gateway (class %s) before the KServe controller and cert-manager, then set Platform spec.features.kserve: false", ps.KServe.Gateway.ClassName))
	case schema.LayerLLMD:
		s6.Notes = append(s6.Notes, fmt.Sprintf("if no model uses llm-d any more: remove Gateway %s/%s before the LLMInferenceService controller and CRDs, then set Platform spec.features.llmd: false", ps.LLMD.Gateway.Namespace, ps.LLMD.Gateway.Name))
	}

	steps := []Step{s1, s2, s3, s4, s5, s6}
	if len(p.Blockers) > 0 {
		// The runbook would render nothing to apply: show only preflight.
		s1.Notes = append(s1.Notes, "fix the blockers first: steps 2-6 follow once the plan has none")
		steps = []Step{s1}
	}
	for i := range steps {
		steps[i].Number = i + 1
		if steps[i].Commands == nil {
			steps[i].Commands = []string{}
		}
		if steps[i].Notes == nil {
			steps[i].Notes = []string{}
		}
	}
	return steps
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
