// Package render turns a ServedModel (and optionally a Platform) into the
// Kubernetes objects of one serving layer. It is pure: no I/O, no
// environment, no clock, no network (Fleet.WriteYAML writes to the
// io.Writer it is given, and to nothing else). Input is never modified.
//
// Invalid input yields field-pathed errors and no objects at all: a
// partial render under GitOps auto-prune would delete workloads.
package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/schema"
)

// Options control a render.
type Options struct {
	// Platform describes the cluster. Nil means no Platform: no feature
	// gate or GPU capacity is enforced, and the result says so.
	Platform *schema.Platform

	// Layer, when set, overrides every model's spec.layer, to preview a move.
	// It may be schema.LayerAuto.
	Layer schema.Layer

	// FleetSize is how many ServedModels the fleet holds, for layer auto's
	// fleet rule, when the models rendered are only some of them (render
	// --name renders one model of a file exactly as the whole file would).
	// Zero, or fewer than the models, means the models are the fleet.
	FleetSize int
}

// Severity of a Diagnostic.
type Severity string

// Severities, as the KRM function results spell them.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Diagnostic is one finding about an input object, with the field path and
// the offending value.
type Diagnostic struct {
	Severity Severity
	// Object is the input the finding is about, such as "ServedModel qwen".
	Object ObjectRef
	// Input is the index of that model in RenderFleet's input, or -1 when
	// the finding is about the Platform or the fleet as a whole.
	Input int
	// Field is the path inside that object, such as spec.resources.cpu.
	Field string
	// Value is the offending value, if any. Message already quotes it.
	Value any
	// Message says what is wrong and what to do.
	Message string
}

// String formats the diagnostic as "ServedModel qwen: spec.x: Invalid value: ...".
func (d Diagnostic) String() string {
	s := d.Object.String() + ": "
	if d.Field != "" {
		s += d.Field + ": "
	}
	return s + d.Message
}

// ObjectRef identifies a Kubernetes object.
type ObjectRef struct {
	APIVersion string
	Kind       string
	Namespace  string
	Name       string
}

func (r ObjectRef) String() string {
	switch {
	case r.Name == "":
		return r.Kind
	case r.Namespace == "":
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Object is one rendered Kubernetes object.
type Object struct {
	Ref ObjectRef
	// Model is the ServedModel this object was rendered from.
	Model ObjectRef
	// manifest is one of internal/k8s's typed structs.
	manifest any
	input    int
	part     part
	// routes are the LiteLLM entries of a LiteLLM ConfigMap, for the
	// fleet's alias check.
	routes []liteLLMEntry
}

// JSON returns the object's manifest as JSON, fields in Kubernetes order.
func (o Object) JSON() ([]byte, error) { return json.Marshal(o.manifest) }

// Result is the outcome of a render.
type Result struct {
	// Objects are sorted by kind, namespace and name (see sortObjects).
	// Empty whenever Diagnostics holds an error.
	Objects     []Object
	Diagnostics []Diagnostic
}

// HasErrors reports whether any diagnostic is an error.
func (r *Result) HasErrors() bool {
	return slices.ContainsFunc(r.Diagnostics, func(d Diagnostic) bool { return d.Severity == Error })
}

// Errors returns the error diagnostics.
func (r *Result) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range r.Diagnostics {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Render renders one model. It is RenderFleet of one.
func Render(m *schema.ServedModel, opts Options) *Result {
	return RenderFleet([]*schema.ServedModel{m}, opts)
}

// RenderFleet renders many models against one Platform. Objects of all
// models come back in one stable order; if any model is invalid, or two
// models render objects with the same identity, no object is returned.
//
// A model whose layer is auto is resolved by ChooseLayer, with the whole
// fleet's size, before it is defaulted and validated; the choice and its
// reason come back as an Info diagnostic at spec.layer.
//
// RenderFleet holds every object of the fleet at once; Prepare validates
// the same fleet and renders its objects one model at a time as they are
// written.
func RenderFleet(models []*schema.ServedModel, opts Options) *Result {
	f := Prepare(models, opts)
	res := &Result{Diagnostics: f.Diagnostics}
	if f.HasErrors() {
		return res
	}
	res.Objects = make([]Object, 0, f.Len())
	for o := range f.Objects() {
		res.Objects = append(res.Objects, o)
	}
	return res
}

// ErrorDiagnostic converts a field error into an error Diagnostic, keeping
// the bad value where the error type carries one.
func ErrorDiagnostic(e *field.Error) Diagnostic {
	d := Diagnostic{Severity: Error, Field: e.Field, Message: e.ErrorBody()}
	switch e.Type {
	case field.ErrorTypeInvalid, field.ErrorTypeNotSupported, field.ErrorTypeDuplicate, field.ErrorTypeTooLong:
		d.Value = e.BadValue
	}
	return d
}

// checkCollisions rejects two models that render the same object, and two
// different served models behind one LiteLLM alias (LiteLLM would
// load-balance tenants across them).
func (f *Fleet) checkCollisions(objs []Object) {
	type route struct {
		model string
		input int
		ref   ObjectRef
	}
	aliases := map[string]route{}
	for _, o := range objs {
		for i, e := range o.routes {
			if prev, ok := aliases[e.ModelName]; ok && prev.input != o.input && prev.model != e.LiteLLMParams.Model {
				// Entry 0 is the model's alias, the others its adapters'.
				path := field.NewPath("spec", "routing", "alias")
				if i > 0 {
					path = field.NewPath("spec", "model", "adapters").Index(i - 1).Child("alias")
				}
				f.addError(o.Model, o.input, field.Duplicate(path, e.ModelName),
					fmt.Sprintf(": %s (fleet item %d) already publishes this alias for %s; LiteLLM would spread tenants across two different models",
						prev.ref, prev.input+1, strings.TrimPrefix(prev.model, "hosted_vllm/")))
				continue
			}
			aliases[e.ModelName] = route{model: e.LiteLLMParams.Model, input: o.input, ref: o.Model}
		}
	}
	owner := map[ObjectRef]Object{}
	for _, o := range objs {
		key := ObjectRef{Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		if prev, ok := owner[key]; ok && prev.input != o.input {
			f.addError(o.Model, o.input, field.Duplicate(field.NewPath("metadata", "name"), o.Model.Name),
				fmt.Sprintf(": renders %s, already rendered by %s (fleet item %d); rename one of them", o.Ref, prev.Model, prev.input+1))
			continue
		}
		owner[key] = o
	}
}

// kindOrder puts dependencies first, the way kustomize's legacy order does.
var kindOrder = map[string]int{
	"PersistentVolumeClaim": 1, "Job": 2, "ConfigMap": 3, "Service": 4, "Deployment": 5, "LeaderWorkerSet": 5,
	"InferenceService": 6, "LLMInferenceService": 7, "PodDisruptionBudget": 8, "ScaledObject": 9,
}

// sortObjects orders objects by kind (dependencies first, ranked by
// kindOrder), then namespace, then name: the order README's Design section
// documents. The order of the input models never matters: within one
// render no two objects share kind, namespace and name (checkCollisions
// rejects that), so the key is total and the output is byte-identical
// whatever order the models, or the fields inside them, came in. A kind
// missing from kindOrder would rank 0 (first); TestKindOrderCoversEveryKind
// keeps the table complete.
func sortObjects(objs []Object) {
	slices.SortStableFunc(objs, func(a, b Object) int {
		return cmp.Or(
			cmp.Compare(kindOrder[a.Ref.Kind], kindOrder[b.Ref.Kind]),
			cmp.Compare(a.Ref.Namespace, b.Ref.Namespace),
			cmp.Compare(a.Ref.Name, b.Ref.Name),
		)
	})
}

// gatedPlatform is the Platform whose gates apply: nil when none was given.
func gatedPlatform(p *schema.Platform, gated bool) *schema.Platform {
	if !gated {
		return nil
	}
	return p
}

func modelRef(m *schema.ServedModel) ObjectRef {
	return ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindModel, Namespace: m.Namespace, Name: m.Name}
}

func platformRef(p *schema.Platform) ObjectRef {
	return ObjectRef{APIVersion: schema.APIVersion, Kind: schema.KindPlatform, Name: p.Name}
}
