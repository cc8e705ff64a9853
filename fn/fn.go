// Package fn is the servelayer KRM function: render wrapped in kyaml's
// function framework, reading its ResourceList through internal/input. The
// CLI renders files through it too (Render, WriteStream).
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
}

// Render decodes, validates and renders a request. It returns the rendered
// objects, or none at all when any result is an error.
func Render(req Request) ([]*yaml.RNode, framework.Results) {
	objs, results := RenderObjects(req)
	if objs == nil {
		return nil, results
	}
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		n, err := o.Node()
		if err != nil {
			return nil, append(results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		}
		out = append(out, yaml.NewRNode(n))
	}
	return out, results
}

// RenderObjects is Render without converting the objects to YAML nodes:
// WriteObjects converts each just before writing it, so a large fleet
// holds one object's nodes at a time rather than all of them.
func RenderObjects(req Request) ([]render.Object, framework.Results) {
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
	for _, n := range req.Models {
		m, errs := input.DecodeNode(n, decode.ServedModel, budget)
		results = append(results, fieldResults(n, errs)...)
		models = append(models, m)
	}
	if hasError(results) {
		return nil, results
	}

	res := render.RenderFleet(models, render.Options{Platform: platform, Layer: req.Layer, FleetSize: req.FleetSize})
	for _, d := range res.Diagnostics {
		var src *yaml.RNode
		if d.Input >= 0 && d.Input < len(req.Models) {
			src = req.Models[d.Input]
		} else if d.Object.Kind == schema.KindPlatform {
			src = req.Platform
		}
		results = append(results, diagnosticResult(src, d))
	}
	if res.HasErrors() {
		return nil, results
	}
	return res.Objects, results
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
	r := &framework.Result{Severity: severities[d.Severity], Message: d.Message}
	if d.Field != "" {
		r.Field = &framework.Field{Path: d.Field}
		if d.Value != nil {
			r.Field.CurrentValue = d.Value
		}
	}
	if !input.IsObject(src) {
		if d.Object.Name != "" {
			r.ResourceRef = &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: d.Object.APIVersion, Kind: d.Object.Kind},
				NameMeta: yaml.NameMeta{Name: d.Object.Name, Namespace: d.Object.Namespace}}
		}
		return r
	}
	id := input.IdentityOf(src) // merge keys and aliases resolved
	r.ResourceRef = &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: id.APIVersion, Kind: id.Kind},
		NameMeta: yaml.NameMeta{Name: id.Name, Namespace: id.Namespace},
	}
	if path, index, err := kioutil.GetFileAnnotations(src); err == nil && path != "" {
		r.File = &framework.File{Path: path}
		if i, err := strconv.Atoi(index); err == nil {
			r.File.Index = i
		}
	}
	return r
}

// Process is the KRM function. It never modifies an item it does not own,
// and returns the results as an error when any is an error, so the
// process can exit non-zero (kyaml's framework alone would exit 0).
func Process(rl *framework.ResourceList) error { return process(rl, nil) }

// process is Process. With lazy not nil, the rendered objects among the
// items are placeholders (see placeholder) that lazy maps to the objects,
// converted to YAML nodes only when written: a fleet's rendered nodes are
// most of its memory, and writing them one at a time holds one object's.
func process(rl *framework.ResourceList, lazy map[*yaml.Node]render.Object) error {
	fc := rl.FunctionConfig
	if len(rl.Items) > input.MaxObjects {
		rl.Results = append(rl.Results, itemsError(len(rl.Items), input.TooManyObjects("", 0, "items").Message))
		return rl.Results
	}
	switch {
	case input.IsServedModel(fc):
		objs, results := renderItems(Request{Models: []*yaml.RNode{input.WithIdentity(fc)}}, lazy)
		items, extra := mergeOutput(fc, rl.Items, objs, results)
		rl.Results = append(rl.Results, append(results, extra...)...)
		if !hasError(rl.Results) {
			rl.Items = items
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
		objs, results := renderItems(Request{Models: models, Platform: input.WithIdentity(fc)}, lazy)
		items, extra := mergeOutput(nil, rest, objs, results)
		rl.Results = append(rl.Results, append(results, extra...)...)
		if !hasError(rl.Results) {
			rl.Items = items
		}
	default:
		rl.Results = append(rl.Results, functionConfigError(fc))
	}
	if hasError(rl.Results) {
		return rl.Results
	}
	return nil
}

// renderItems is Render, or with lazy not nil, Render with placeholders
// for the objects.
func renderItems(req Request, lazy map[*yaml.Node]render.Object) ([]*yaml.RNode, framework.Results) {
	if lazy == nil {
		return Render(req)
	}
	objs, results := RenderObjects(req)
	if objs == nil {
		return nil, results
	}
	out := make([]*yaml.RNode, 0, len(objs))
	for _, o := range objs {
		n, err := placeholder(o)
		if err != nil {
			return nil, append(results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		}
		lazy[n.YNode()] = o
		out = append(out, n)
	}
	return out, results
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
// appended. With errors the items come back unchanged.
func mergeOutput(fc *yaml.RNode, items, objs []*yaml.RNode, results framework.Results) ([]*yaml.RNode, framework.Results) {
	if hasError(results) {
		return items, nil
	}
	if len(objs) == 0 {
		return items, framework.Results{diagnosticResult(fc, render.Diagnostic{Severity: render.Error, Field: "spec", Value: "0 objects",
			Message: "rendered no objects: refusing to produce empty output"})}
	}
	type id struct{ kind, namespace, name string }
	rendered := map[id]*yaml.RNode{}
	for _, o := range objs {
		rendered[id{o.GetKind(), o.GetNamespace(), o.GetName()}] = o
	}
	placed := map[*yaml.RNode]bool{}
	var out []*yaml.RNode
	var errs framework.Results
	for _, it := range items {
		if !input.IsObject(it) {
			out = append(out, it)
			continue
		}
		o, ok := rendered[id{it.GetKind(), it.GetNamespace(), it.GetName()}]
		if !ok {
			out = append(out, it)
			continue
		}
		model := o.GetLabels()[render.LabelName]
		if l := it.GetLabels(); l[render.LabelManagedBy] == "servelayer" && l[render.LabelName] == model {
			if !placed[o] {
				out = append(out, o)
				placed[o] = true
			}
			continue
		}
		errs = append(errs, diagnosticResult(it, render.Diagnostic{Severity: render.Error, Field: "metadata.name", Value: it.GetName(),
			Message: field.Duplicate(field.NewPath("metadata", "name"), it.GetName()).ErrorBody() + fmt.Sprintf(": ServedModel %s renders %s %s/%s, which is also an input item; rename the model or remove the item",
				model, o.GetKind(), o.GetNamespace(), o.GetName())}))
	}
	if len(errs) > 0 {
		return items, errs
	}
	for _, o := range objs {
		if !placed[o] {
			out = append(out, o)
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
// it went wrong. Nothing else is written, and never partially.
func Run(rw *kio.ByteReadWriter) (framework.Results, error) {
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

	// What framework.Execute does, but writing with writeResourceList
	// (see write.go for why) and answering unreadable input with a
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
	lazy := map[*yaml.Node]render.Object{}
	processErr := process(rl, lazy)
	if err := kio.ReconcileInternalAnnotations(rl.Items, annotations); err != nil {
		return writeInputError(out, &input.Error{Name: stdinName, Message: "items: " + err.Error()})
	}
	results := inner.Results // the input's, when there are no new ones
	if len(rl.Results) > 0 {
		if results, err = resultsNode(rl.Results); err != nil {
			return writeInputError(out, &input.Error{Name: stdinName, Message: "cannot write the results: " + err.Error()})
		}
	}
	var buf bytes.Buffer
	if err := writeResourceListLazy(&buf, inner.WrappingAPIVersion, inner.WrappingKind, rl.Items, inner.FunctionConfig, results, inner.KeepReaderAnnotations, lazy); err != nil {
		return writeInputError(out, &input.Error{Name: stdinName, Message: "cannot write the items back: " + err.Error()})
	}
	if _, err := out.Write(buf.Bytes()); err != nil && processErr == nil {
		processErr = err
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
