// Package fn is the servelayer KRM function: render wrapped in kyaml's
// function framework, reading its ResourceList through internal/input. The
// CLI renders files through it too (Render, then render.Fleet.WriteYAML).
//
// As a generator its functionConfig is a ServedModel, whose objects are
// appended to the items. As a transformer its functionConfig is a Platform:
// every ServedModel item is replaced by its rendered objects (all models
// rendered as one fleet) and every other item passes through untouched.
package fn

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// Request is one render: the ServedModel nodes, an optional Platform node
// and an optional layer override.
type Request struct {
	Models   []*yaml.RNode
	Platform *yaml.RNode
	Layer    schema.Layer
	// FleetSize is the size of the whole fleet when Models are only some
	// of it (see render.Options.FleetSize).
	FleetSize int
	// Release lets Render drop each model's node (set it to nil in Models)
	// once the model is decoded, keeping only what its results need, so a
	// caller that has no other use for the nodes does not hold a fleet's
	// parsed input and its decoded models at once.
	Release bool
}

// Render decodes and validates a request. It returns the fleet, ready to
// write one model at a time, or nil when any result is an error.
func Render(req Request) (*render.Fleet, framework.Results) {
	var results framework.Results
	var platform *schema.Platform
	// One alias allowance for the whole request: items of one ResourceList
	// can alias one anchor many times over.
	budget := &decode.AliasBudget{}
	if req.Platform != nil {
		p, errs := input.DecodeNode(req.Platform, decode.Platform, budget)
		results = append(results, fieldResults(req.Platform, errs)...)
		platform = p
	}
	if len(req.Models) > input.MaxModels {
		results = append(results, &framework.Result{Severity: framework.Error, Field: &framework.Field{Path: "items", CurrentValue: fmt.Sprintf("%d ServedModels", len(req.Models))},
			Message: input.TooManyModels(len(req.Models))})
		return nil, results
	}
	models := make([]*schema.ServedModel, 0, len(req.Models))
	var released []source
	if req.Release {
		released = make([]source, len(req.Models))
	}
	for i, n := range req.Models {
		m, errs := input.DecodeNode(n, decode.ServedModel, budget)
		results = append(results, fieldResults(n, errs)...)
		models = append(models, m)
		if req.Release {
			released[i], req.Models[i] = sourceOf(n), nil
		}
	}
	if hasError(results) {
		return nil, results
	}

	fleet := render.Prepare(models, render.Options{Platform: platform, Layer: req.Layer, FleetSize: req.FleetSize})
	for _, d := range fleet.Diagnostics {
		var src *yaml.RNode
		switch {
		case d.Input >= 0 && d.Input < len(released):
			results = append(results, released[d.Input].result(d))
			continue
		case d.Input >= 0 && d.Input < len(req.Models):
			src = req.Models[d.Input]
		case d.Object.Kind == schema.KindPlatform:
			src = req.Platform
		}
		results = append(results, diagnosticResult(src, d))
	}
	if fleet.HasErrors() {
		return nil, results
	}
	return fleet, results
}

func hasError(rs framework.Results) bool { return rs.ExitCode() != 0 }

// fieldResults turns decode/validation errors of one input into results.
func fieldResults(n *yaml.RNode, errs field.ErrorList) framework.Results {
	var out framework.Results
	for _, e := range errs {
		out = append(out, diagnosticResult(n, render.ErrorDiagnostic(e)))
	}
	return out
}

var severities = map[render.Severity]framework.Severity{
	render.Error: framework.Error, render.Warning: framework.Warning, render.Info: framework.Info,
}

// diagnosticResult builds a KRM result: severity, the input's resourceRef,
// the field path and value, and the file the input came from.
func diagnosticResult(src *yaml.RNode, d render.Diagnostic) *framework.Result {
	return sourceOf(src).result(d)
}

// source is what a result says about the input it is about, kept apart
// from the input's node: its identity and its file.
type source struct {
	object      bool
	ref         yaml.ResourceIdentifier
	path, index string
	fileErr     error
}

func sourceOf(n *yaml.RNode) source {
	if !input.IsObject(n) {
		return source{}
	}
	id := input.IdentityOf(n) // merge keys and aliases resolved
	s := source{object: true, ref: yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: id.APIVersion, Kind: id.Kind},
		NameMeta: yaml.NameMeta{Name: id.Name, Namespace: id.Namespace},
	}}
	s.path, s.index, s.fileErr = kioutil.GetFileAnnotations(n)
	return s
}

func (s source) result(d render.Diagnostic) *framework.Result {
	r := &framework.Result{Severity: severities[d.Severity], Message: d.Message}
	if d.Field != "" {
		r.Field = &framework.Field{Path: d.Field}
		if d.Value != nil {
			r.Field.CurrentValue = d.Value
		}
	}
	if !s.object {
		if d.Object.Name != "" {
			r.ResourceRef = &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: d.Object.APIVersion, Kind: d.Object.Kind},
				NameMeta: yaml.NameMeta{Name: d.Object.Name, Namespace: d.Object.Namespace}}
		}
		return r
	}
	ref := s.ref
	r.ResourceRef = &ref
	if s.fileErr == nil && s.path != "" {
		r.File = &framework.File{Path: s.path}
		if i, err := strconv.Atoi(s.index); err == nil {
			r.File.Index = i
		}
	}
	return r
}

// Process is the KRM function. It never modifies an item it does not own,
// and returns the results as an error when any is an error, so the
// process can exit non-zero (kyaml's framework alone would exit 0). The
// rendered objects it puts in rl.Items are nodes; Run writes them without
// building nodes.
func Process(rl *framework.ResourceList) error {
	if out := process(rl); out != nil {
		items, err := out.nodes()
		if err != nil {
			rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		} else {
			rl.Items = items
		}
	}
	if hasError(rl.Results) {
		return rl.Results
	}
	return nil
}

// process is the KRM function, adding its results to rl.Results. It
// returns the items to write back, or nil when they are rl.Items
// unchanged (an error, or nothing to render).
func process(rl *framework.ResourceList) *output {
	fc := rl.FunctionConfig
	if len(rl.Items) > input.MaxObjects {
		rl.Results = append(rl.Results, itemsError(len(rl.Items), input.TooManyObjects("", 0, "items").Message))
		return nil
	}
	switch {
	case input.IsServedModel(fc):
		fleet, results := Render(Request{Models: []*yaml.RNode{input.WithIdentity(fc)}})
		out, extra := mergeOutput(fc, withoutGuards(rl.Items), fleet, results)
		rl.Results = append(rl.Results, append(results, extra...)...)
		if !hasError(rl.Results) {
			return out.guarded(&rl.Results)
		}
	case input.IsPlatform(fc):
		// A List item holding a ServedModel is unwrapped: passed through
		// whole, its models would silently not be rendered. Its other
		// items then pass through one by one.
		items, err := expandLists(rl.Items)
		if err != nil {
			rl.Results = append(rl.Results, itemsError(len(rl.Items), err.Error()))
			break
		}
		var models, rest []*yaml.RNode
		forCluster := 0
		for _, it := range items {
			if input.IsServedModel(it) && !isLocalConfig(it) {
				models = append(models, input.WithIdentity(it))
			} else {
				rest = append(rest, it)
			}
			if !isLocalConfig(it) {
				forCluster++
			}
			if k := input.Classify(it); k != input.ServedModel && k != input.Platform && !input.PassesThrough(it) {
				// Almost a ServedModel (a misspelt kind, another letter
				// case, another API group): passed through, the model
				// would silently be missing.
				rl.Results = append(rl.Results, fieldResults(it, field.ErrorList{input.KindError(it)})...)
			}
		}
		if len(models) > input.MaxModels {
			rl.Results = append(rl.Results, itemsError(len(rl.Items), input.TooManyModels(len(models))))
		}
		if hasError(rl.Results) {
			break
		}
		if forCluster == 0 {
			// Nothing to render and nothing to pass through: an empty
			// success would let Argo CD prune every workload.
			rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Field: &framework.Field{Path: "items", CurrentValue: fmt.Sprintf("%d items", len(rl.Items))},
				Message: field.Required(field.NewPath("items"), "no ServedModel (and no other object) to render or pass through: refusing to produce empty output").ErrorBody()})
			break
		}
		if len(models) == 0 {
			// Running on its own output: nothing to render, and the
			// rendered objects pass through unchanged (idempotency).
			rl.Results = append(rl.Results, &framework.Result{Severity: framework.Info,
				Message: "no ServedModel items to render; items pass through unchanged"})
			break
		}
		fleet, results := Render(Request{Models: models, Platform: input.WithIdentity(fc)})
		out, extra := mergeOutput(nil, withoutGuards(rest), fleet, results)
		rl.Results = append(rl.Results, append(results, extra...)...)
		if !hasError(rl.Results) {
			return out.guarded(&rl.Results)
		}
	default:
		rl.Results = append(rl.Results, functionConfigError(fc))
	}
	return nil
}

// itemsError is an error result about the items as a whole.
func itemsError(n int, msg string) *framework.Result {
	return &framework.Result{Severity: framework.Error, Field: &framework.Field{Path: "items", CurrentValue: fmt.Sprintf("%d items", n)},
		Message: field.Invalid(field.NewPath("items"), fmt.Sprintf("%d items", n), msg).ErrorBody()}
}

// expandLists replaces every List item that holds a servelayer object (at
// any depth) by its items; other items, Lists of someone else's objects
// included, stay as they are. At most input.MaxObjects items come out.
func expandLists(items []*yaml.RNode) ([]*yaml.RNode, error) {
	out := make([]*yaml.RNode, 0, len(items))
	for i, it := range items {
		if !input.HoldsOurs(it) {
			if len(out) >= input.MaxObjects {
				return nil, errors.New(input.TooManyObjects("", 0, "items and the items of Lists among them").Message)
			}
			out = append(out, it)
			continue
		}
		objs, _, err := input.Unwrap(it, input.MaxObjects-len(out))
		if err != nil {
			if errors.Is(err, input.ErrTooManyObjects) {
				return nil, errors.New(input.TooManyObjects("", 0, "items and the items of Lists among them").Message)
			}
			return nil, fmt.Errorf("items[%d].%v", i, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// describe says what a functionConfig is: a short value for the result's
// field, and the words for its message.
func describe(n *yaml.RNode) (value, words string) {
	switch {
	case n == nil || n.IsNilOrEmpty():
		return "none", "none (stdin must be a ResourceList with a functionConfig)"
	case n.YNode().Kind == yaml.SequenceNode:
		return "a list", "a list: it must be a mapping (a Kubernetes object), not a list"
	case !input.IsObject(n):
		return n.YNode().Value, "a scalar: it must be a mapping (a Kubernetes object), not a scalar"
	}
	v := fmt.Sprintf("%s %s", n.GetApiVersion(), n.GetKind())
	return v, fmt.Sprintf("apiVersion %q kind %q", n.GetApiVersion(), n.GetKind())
}

// functionConfigError says what is wrong with a functionConfig that is
// neither a ServedModel nor a Platform, naming the field that is off.
func functionConfigError(fc *yaml.RNode) *framework.Result {
	value, words := describe(fc)
	path := "functionConfig"
	switch input.Classify(fc) {
	case input.ForeignGroup:
		path, value = "functionConfig.apiVersion", input.IdentityOf(fc).APIVersion
	case input.UnknownKind:
		path, value = "functionConfig.kind", input.IdentityOf(fc).Kind
	case input.NearMiss:
		e := input.KindError(fc)
		path, value = "functionConfig."+e.Field, fmt.Sprint(e.BadValue)
		words += "; " + e.Detail
	}
	return &framework.Result{Severity: framework.Error, Field: &framework.Field{Path: path, CurrentValue: value},
		Message: field.Invalid(field.NewPath(path), value, fmt.Sprintf("functionConfig must be a %s (generator) or a %s (transformer) of %s, got %s",
			schema.KindModel, schema.KindPlatform, schema.APIVersion, words)).ErrorBody()}
}

// mergeOutput puts the rendered objects among the items that pass through
// and guards the result. A render without errors must produce objects
// (never an empty success). A rendered object with the identity of an
// item is either that same object from an earlier run (servelayer's
// managed-by label and the same model): it is replaced in place, so a
// function run on its own output changes nothing; or someone else's
// object: an error, since kustomize would reject the duplicate or one
// would silently replace the other. Objects not replacing an item are
// appended. All of it is decided from the fleet's identities, before any
// object is rendered for writing. With errors there is no output (the
// items stay as they are).
func mergeOutput(fc *yaml.RNode, items []*yaml.RNode, fleet *render.Fleet, results framework.Results) (*output, framework.Results) {
	if hasError(results) {
		return nil, nil
	}
	if fleet == nil || fleet.Len() == 0 {
		return nil, framework.Results{diagnosticResult(fc, render.Diagnostic{Severity: render.Error, Field: "spec", Value: "0 objects",
			Message: "rendered no objects: refusing to produce empty output"})}
	}
	type id struct{ kind, namespace, name string }
	rendered := map[id]int{}
	for i := range fleet.Len() {
		ref, _ := fleet.Ref(i)
		rendered[id{ref.Kind, ref.Namespace, ref.Name}] = i
	}
	placed := make([]bool, fleet.Len())
	out := &output{fleet: fleet}
	var errs framework.Results
	for _, it := range items {
		if !input.IsObject(it) {
			out.items = append(out.items, listItem{node: it})
			continue
		}
		i, ok := rendered[id{it.GetKind(), it.GetNamespace(), it.GetName()}]
		if !ok {
			out.items = append(out.items, listItem{node: it})
			continue
		}
		ref, model := fleet.Ref(i)
		// Every rendered object carries its model's name in LabelName.
		// ... but the fleet form's LiteLLM ConfigMap, the Platform's.
		if l := it.GetLabels(); l[render.LabelManagedBy] == "servelayer" && (l[render.LabelName] == model.Name || model.Kind == schema.KindPlatform && l[render.LabelName] == "") {
			if !placed[i] {
				out.items = append(out.items, listItem{obj: i})
				placed[i] = true
			}
			continue
		}
		errs = append(errs, diagnosticResult(it, render.Diagnostic{Severity: render.Error, Field: "metadata.name", Value: it.GetName(),
			Message: field.Duplicate(field.NewPath("metadata", "name"), it.GetName()).ErrorBody() + fmt.Sprintf(": ServedModel %s renders %s %s/%s, which is also an input item; rename the model or remove the item",
				model.Name, ref.Kind, ref.Namespace, ref.Name)}))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for i := range fleet.Len() {
		if !placed[i] {
			out.items = append(out.items, listItem{obj: i})
		}
	}
	return out, nil
}

// isLocalConfig reports items kpt hands over that are not for the cluster
// (its Kptfile, the function config itself).
func isLocalConfig(n *yaml.RNode) bool {
	return input.IsObject(n) && n.GetAnnotations()["config.kubernetes.io/local-config"] == "true"
}

// Run executes the function over a ResourceList read from rw and returns
// its results. The error is non-nil when any result is an error or the
// input could not be read; the caller must then exit non-zero.
//
// Whatever the input, rw.Writer gets exactly one ResourceList: a stream
// that is not one is answered as one, and an input that is too large or
// does not parse gets an empty ResourceList whose error result says where
// it went wrong. Everything is decided, and everything but the rendered
// objects encoded, before the first byte is written; the rendered objects
// are then rendered and written one at a time. Only a failing writer can
// cut the output short, and Run then returns its error.
func Run(rw *kio.ByteReadWriter) (framework.Results, error) { return run(rw, writeList) }

// run is Run, writing the ResourceList with write.
func run(rw *kio.ByteReadWriter, write listWriter) (framework.Results, error) {
	in, out := rw.Reader, rw.Writer
	if in == nil {
		in = os.Stdin
	}
	if out == nil {
		out = os.Stdout
	}
	data, ierr := input.Read(stdinName, in)
	if ierr != nil {
		return writeInputError(out, ierr)
	}
	if ierr := input.CheckDocumentEnds(stdinName, data); ierr != nil {
		return writeInputError(out, ierr)
	}

	// What framework.Execute does, but writing with writeList (see
	// write.go for why) and answering unreadable input with a
	// ResourceList too.
	inner := *rw
	inner.Reader, inner.Writer = bytes.NewReader(data), nil
	items, err := inner.Read()
	if err != nil {
		return writeInputError(out, input.Locate(stdinName, data, err))
	}
	if len(items) > input.MaxObjects {
		// Refused before kyaml annotates every item.
		return writeInputError(out, input.TooManyObjects(stdinName, 0, "items"))
	}
	input.Prepare(append([]*yaml.RNode{inner.FunctionConfig}, items...)...)
	rl := &framework.ResourceList{Items: items, FunctionConfig: inner.FunctionConfig}
	annotations, err := kio.PreprocessResourcesForInternalAnnotationMigration(rl.Items)
	if err != nil {
		return writeInputError(out, annotationError(data, err))
	}
	if inner.WrappingKind != kio.ResourceListKind || !resourceListVersions[inner.WrappingAPIVersion] {
		// Answer with a ResourceList whatever came in, so the results
		// (there is at least the missing functionConfig) are not lost.
		inner.WrappingKind, inner.WrappingAPIVersion = kio.ResourceListKind, kio.ResourceListAPIVersion
	}
	o := process(rl)
	var processErr error
	if hasError(rl.Results) {
		processErr = rl.Results
	}
	if o == nil {
		o = &output{}
		for _, it := range rl.Items {
			o.items = append(o.items, listItem{node: it})
		}
	}
	// The items that pass through; rendered objects carry none of the
	// annotations the reconciliation reads or changes.
	if err := kio.ReconcileInternalAnnotations(o.passThrough(), annotations); err != nil {
		return writeInputError(out, &input.Error{Name: stdinName, Message: "items: " + err.Error()})
	}
	results := inner.Results // the input's, when there are no new ones
	if len(rl.Results) > 0 {
		if results, err = resultsNode(rl.Results); err != nil {
			return writeInputError(out, &input.Error{Name: stdinName, Message: "cannot write the results: " + err.Error()})
		}
	}
	list := resourceList{apiVersion: inner.WrappingAPIVersion, kind: inner.WrappingKind, out: o,
		functionConfig: inner.FunctionConfig, results: results, keep: inner.KeepReaderAnnotations, annotations: annotations}
	if started, err := write(out, list); err != nil {
		if !started {
			return writeInputError(out, &input.Error{Name: stdinName, Message: "cannot write the items back: " + err.Error()})
		}
		if processErr == nil {
			processErr = err
		}
	}
	return rl.Results, processErr
}

// annotationError explains why the items' path/index annotations could not
// be read: usually an item whose metadata has the wrong shape, which
// input.Locate pins down; otherwise kyaml's message.
func annotationError(data []byte, err error) *input.Error {
	if ie := input.Locate(stdinName, data, err); ie.Line > 0 {
		return ie
	}
	return &input.Error{Name: stdinName, Message: "items: " + err.Error()}
}

func resultsNode(rs framework.Results) (*yaml.RNode, error) {
	b, err := yaml.Marshal(rs)
	if err != nil {
		return nil, err
	}
	return yaml.Parse(string(b))
}

const stdinName = "<stdin>"

// resourceListVersions are the ResourceList versions echoed back as they
// came (kpt's older functions speak v1alpha1); any other is answered in v1.
var resourceListVersions = map[string]bool{kio.ResourceListAPIVersion: true, "config.kubernetes.io/v1alpha1": true}

// inputResult is an input error as a KRM result. Its field path is the
// input's name, the closest thing to a path an unparsable input has; the
// position is in the message.
func inputResult(e *input.Error) *framework.Result {
	r := &framework.Result{Severity: framework.Error, Message: e.Detail(), Field: &framework.Field{Path: e.Name}}
	if e.Value != "" {
		r.Field.CurrentValue = e.Value
	}
	return r
}

// writeInputError writes an empty ResourceList carrying one error result.
func writeInputError(w io.Writer, ie *input.Error) (framework.Results, error) {
	results := framework.Results{inputResult(ie)}
	node, err := resultsNode(results)
	if err != nil {
		return results, err
	}
	var buf bytes.Buffer
	if err := writeResourceList(&buf, kio.ResourceListAPIVersion, kio.ResourceListKind, nil, nil, node, true); err != nil {
		return results, err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return results, err
	}
	return results, results
}
