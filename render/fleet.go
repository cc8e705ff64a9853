package render

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// Fleet is a validated fleet, ready to write: every model has been
// defaulted, validated and rendered once to learn the identity of each of
// its objects, and the identities have been checked against each other.
// Only identities are kept. Writing renders each object again from its
// model, one at a time, so writing a fleet holds the input and one model's
// objects, never the whole fleet's.
//
// A Fleet with an error diagnostic has no objects and writes nothing.
type Fleet struct {
	// Diagnostics are RenderFleet's: every finding about every model.
	Diagnostics []Diagnostic

	models   []*schema.ServedModel // the input; never modified
	opts     Options
	platform *schema.Platform // defaulted
	gated    bool
	// order is the identity of every object, in output order (sortObjects):
	// Objects without their manifests.
	order []Object
	// routed are the models with a LiteLLM entry, in input order.
	routed []ObjectRef
}

// Prepare validates a fleet as RenderFleet does, with the same
// diagnostics, and returns it ready to write. Nothing is written, and no
// object is kept, until Objects, Object or WriteYAML asks for them.
func Prepare(models []*schema.ServedModel, opts Options) *Fleet {
	f := &Fleet{models: models, opts: opts}
	platform, gated := opts.Platform, opts.Platform != nil
	if gated {
		platform = platform.DeepCopy()
		platform.Default()
		if errs := schema.ValidatePlatform(platform); len(errs) > 0 {
			f.addErrors(platformRef(platform), -1, errs)
			return f
		}
	} else {
		platform = schema.DefaultPlatform()
		f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Info, Object: ObjectRef{Kind: schema.KindPlatform}, Input: -1,
			Message: "no Platform given: feature gates and GPU capacity are not checked, and layer defaults apply (namespaces serving/kserve/llm-d, KServe Standard mode)"})
	}
	f.platform, f.gated = platform, gated
	if len(models) == 0 {
		f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Error, Object: ObjectRef{Kind: schema.KindModel}, Input: -1, Field: "items", Value: 0,
			Message: "no ServedModel to render: refusing to produce empty output (under auto-prune it would delete every workload)"})
		return f
	}

	var ids []Object
	for i, in := range models {
		if in == nil {
			f.addErrors(ObjectRef{Kind: schema.KindModel}, i, field.ErrorList{field.Required(field.NewPath(fmt.Sprintf("items[%d]", i)), "a ServedModel, not nil")})
			continue
		}
		m, home, choice, err := f.model(i)
		if err != nil {
			f.addErrors(modelRef(m), i, field.ErrorList{err})
			continue
		}
		ref := modelRef(m)
		if choice != nil {
			f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Info, Object: ref, Input: i,
				Field: "spec.layer", Value: string(schema.LayerAuto), Message: choice.String()})
		}
		errs, warnings := validate(m, home, &platform.Spec, gated)
		if len(errs) > 0 {
			f.addErrors(ref, i, errs)
			continue
		}
		for _, w := range warnings {
			f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Warning, Object: ref, Input: i, Field: w.Field, Value: w.Value, Message: w.Message})
		}
		for _, o := range build(m, home, &platform.Spec, ref, i, allParts) {
			o.manifest = nil
			ids = append(ids, o)
		}
	}
	f.checkCollisions(ids)
	if f.HasErrors() {
		return f
	}
	for _, o := range ids {
		if o.part == partRoute {
			f.routed = append(f.routed, o.Model)
		}
	}
	ids = f.fleetRoute(ids)
	if len(ids) == 0 {
		// Unreachable with today's layers (each renders at least one
		// object), and kept so no future path can return an empty success.
		f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Error, Object: ObjectRef{Kind: schema.KindModel}, Input: -1, Field: "items", Value: len(models),
			Message: "rendered no objects: refusing to produce empty output (under auto-prune it would delete every workload)"})
		return f
	}
	for i := range ids {
		ids[i].routes = nil // only the alias check reads them
	}
	sortObjects(ids)
	f.order = ids
	return f
}

// model copies input i and readies it for validation: the layer override,
// the choice of layer auto, and the defaults. Writing an object calls it
// again, so a model is never kept in its defaulted form.
func (f *Fleet) model(i int) (*schema.ServedModel, layer.Layer, *LayerChoice, *field.Error) {
	m := f.models[i].DeepCopy()
	if f.opts.Layer != "" {
		m.Spec.Layer = f.opts.Layer
	}
	var choice *LayerChoice
	if m.Spec.Layer == schema.LayerAuto {
		c, err := ChooseLayer(m, gatedPlatform(f.platform, f.gated), max(len(f.models), f.opts.FleetSize))
		if err != nil {
			return m, nil, nil, err
		}
		m.Spec.Layer, choice = c.Layer, &c
	}
	return m, defaultModel(m, &f.platform.Spec), choice, nil
}

// Routed are the models published to LiteLLM (those with spec.routing),
// in input order: their api_base names the namespace they render into.
func (f *Fleet) Routed() []ObjectRef { return slices.Clone(f.routed) }

// HasErrors reports whether any diagnostic is an error. Such a fleet has
// no objects.
func (f *Fleet) HasErrors() bool { return (&Result{Diagnostics: f.Diagnostics}).HasErrors() }

// Errors returns the error diagnostics.
func (f *Fleet) Errors() []Diagnostic { return (&Result{Diagnostics: f.Diagnostics}).Errors() }

// Len is the number of objects the fleet renders: 0 when it has errors.
func (f *Fleet) Len() int { return len(f.order) }

// Ref is the identity of object i (0 <= i < Len) and the model it is
// rendered from, known without rendering it.
func (f *Fleet) Ref(i int) (ref, model ObjectRef) { return f.order[i].Ref, f.order[i].Model }

// Object renders object i (0 <= i < Len): its model is copied, defaulted
// and built again, and the object with the identity Prepare recorded is
// returned. Rendering is deterministic, so it is the object Prepare saw.
func (f *Fleet) Object(i int) Object {
	id := f.order[i]
	if id.part == partFleetRoute {
		return f.fleetConfigMap(id)
	}
	m, home, _, _ := f.model(id.input)
	for _, o := range build(m, home, &f.platform.Spec, id.Model, id.input, id.part) {
		if o.Ref == id.Ref {
			return o
		}
	}
	panic(fmt.Sprintf("render: %s of %s is not rendered again: rendering is not deterministic", id.Ref, id.Model))
}

// Objects renders the objects one at a time, in output order.
func (f *Fleet) Objects() iter.Seq[Object] {
	return func(yield func(Object) bool) {
		for i := range f.order {
			if !yield(f.Object(i)) {
				return
			}
		}
	}
}

// WriteYAML writes the objects as Result.YAML would return them, rendering
// and writing one at a time. A fleet with errors (or, never, without
// objects) is an error and writes nothing: empty output under GitOps
// auto-prune deletes workloads.
func (f *Fleet) WriteYAML(w io.Writer) error {
	if f.Len() == 0 {
		return fmt.Errorf("no objects to write: the render failed with %d error(s); see Diagnostics", len(f.Errors()))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for i := range f.order {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, "---\n"...)
		}
		var err error
		if buf, err = f.Object(i).AppendYAML(buf); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (f *Fleet) addErrors(obj ObjectRef, input int, errs field.ErrorList) {
	for _, e := range errs {
		d := ErrorDiagnostic(e)
		d.Object, d.Input = obj, input
		f.Diagnostics = append(f.Diagnostics, d)
	}
}

// addError adds one field error, with more words after its own.
func (f *Fleet) addError(obj ObjectRef, input int, e *field.Error, more string) {
	d := ErrorDiagnostic(e)
	d.Object, d.Input, d.Message = obj, input, d.Message+more
	f.Diagnostics = append(f.Diagnostics, d)
}

// fleetRoute swaps the per-model LiteLLM ConfigMaps (kept until now for
// the alias check) for the fleet form's one, when the Platform asks for
// it. A render of some models only (FleetSize) omits it and says so:
// applied, a partial model_list would drop every other model's alias.
func (f *Fleet) fleetRoute(ids []Object) []Object {
	ls := f.platform.Spec.LiteLLM
	if ls.ConfigMap == "" {
		return ids
	}
	routed := 0
	ids = slices.DeleteFunc(ids, func(o Object) bool {
		if o.part == partRoute {
			routed++
			return true
		}
		return false
	})
	if routed == 0 {
		return ids
	}
	ref := ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: ls.Namespace, Name: ls.ConfigMap}
	if f.opts.FleetSize > len(f.models) {
		f.Diagnostics = append(f.Diagnostics, Diagnostic{Severity: Info, Object: platformRef(f.platform), Input: -1,
			Field: "spec.litellm.configMap", Value: ls.ConfigMap, Message: fmt.Sprintf(
				"%s is not rendered: it holds the model_list of every routed model, and this render holds %d of the fleet's %d models; render the whole fleet to publish it", ref, len(f.models), f.opts.FleetSize)})
		return ids
	}
	return append(ids, Object{Ref: ref, Model: platformRef(f.platform), input: -1, part: partFleetRoute})
}

// fleetConfigMap renders the fleet form's ConfigMap: every model is copied
// and defaulted again for its entry, one at a time.
func (f *Fleet) fleetConfigMap(id Object) Object {
	var entries []liteLLMEntry
	for i := range f.models {
		m, home, _, _ := f.model(i)
		entries = append(entries, liteLLMEntries(m, home.APIBase(m, &f.platform.Spec))...)
	}
	o := liteLLMFleetConfigMap(entries, &f.platform.Spec)
	return Object{Ref: id.Ref, Model: id.Model, manifest: o.Manifest, input: -1, part: partFleetRoute}
}
