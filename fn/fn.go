// Package fn is the servelayer KRM function: render wrapped in kyaml's
// function framework, plus the input handling the CLI shares with it.
//
// As a generator its functionConfig is a ServedModel, whose objects are
// appended to the items. As a transformer its functionConfig is a Platform:
// every ServedModel item is replaced by its rendered objects (all models
// rendered as one fleet) and every other item passes through untouched.
package fn

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// IsServedModel reports whether n is a servelayer ServedModel.
func IsServedModel(n *yaml.RNode) bool { return isKind(n, schema.KindModel) }

// IsPlatform reports whether n is a servelayer Platform.
func IsPlatform(n *yaml.RNode) bool { return isKind(n, schema.KindPlatform) }

func isKind(n *yaml.RNode, kind string) bool {
	if n == nil || n.IsNilOrEmpty() {
		return false
	}
	group, _, _ := strings.Cut(n.GetApiVersion(), "/")
	return group == schema.Group && n.GetKind() == kind
}

// Request is one render: the ServedModel nodes, an optional Platform node
// and an optional layer override.
type Request struct {
	Models   []*yaml.RNode
	Platform *yaml.RNode
	Layer    schema.Layer
}

// Render decodes, validates and renders a request. It returns the rendered
// objects, or none at all when any result is an error.
func Render(req Request) ([]*yaml.RNode, framework.Results) {
	var results framework.Results
	var platform *schema.Platform
	if req.Platform != nil {
		p, errs := decode(req.Platform, schema.DecodePlatform)
		results = append(results, fieldResults(req.Platform, errs)...)
		platform = p
	}
	models := make([]*schema.ServedModel, 0, len(req.Models))
	for _, n := range req.Models {
		m, errs := decode(n, schema.DecodeServedModel)
		results = append(results, fieldResults(n, errs)...)
		models = append(models, m)
	}
	if hasError(results) {
		return nil, results
	}

	res := render.RenderFleet(models, render.Options{Platform: platform, Layer: req.Layer})
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
	out := make([]*yaml.RNode, 0, len(res.Objects))
	for _, o := range res.Objects {
		n, err := o.Node()
		if err != nil {
			return nil, append(results, &framework.Result{Severity: framework.Error, Message: err.Error()})
		}
		out = append(out, yaml.NewRNode(n))
	}
	return out, results
}

func decode[T any](n *yaml.RNode, fn func([]byte) (T, field.ErrorList)) (T, field.ErrorList) {
	b, err := n.MarshalJSON()
	if err != nil {
		var zero T
		return zero, field.ErrorList{field.Invalid(field.NewPath("<root>"), "", "cannot convert to JSON: "+err.Error())}
	}
	return fn(b)
}

func hasError(rs framework.Results) bool { return rs.ExitCode() != 0 }

// fieldResults turns decode/validation errors of one input into results.
func fieldResults(n *yaml.RNode, errs field.ErrorList) framework.Results {
	var out framework.Results
	for _, e := range errs {
		d := render.Diagnostic{Severity: render.Error, Field: e.Field, Message: e.ErrorBody()}
		switch e.Type {
		case field.ErrorTypeInvalid, field.ErrorTypeNotSupported, field.ErrorTypeDuplicate, field.ErrorTypeTooLong:
			d.Value = e.BadValue
		}
		out = append(out, diagnosticResult(n, d))
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
	if src == nil {
		if d.Object.Name != "" {
			r.ResourceRef = &yaml.ResourceIdentifier{TypeMeta: yaml.TypeMeta{APIVersion: d.Object.APIVersion, Kind: d.Object.Kind},
				NameMeta: yaml.NameMeta{Name: d.Object.Name, Namespace: d.Object.Namespace}}
		}
		return r
	}
	r.ResourceRef = &yaml.ResourceIdentifier{
		TypeMeta: yaml.TypeMeta{APIVersion: src.GetApiVersion(), Kind: src.GetKind()},
		NameMeta: yaml.NameMeta{Name: src.GetName(), Namespace: src.GetNamespace()},
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
func Process(rl *framework.ResourceList) error {
	fc := rl.FunctionConfig
	switch {
	case IsServedModel(fc):
		objs, results := Render(Request{Models: []*yaml.RNode{fc}})
		rl.Results = append(rl.Results, results...)
		if !hasError(results) {
			rl.Items = append(rl.Items, objs...)
		}
	case IsPlatform(fc):
		var models, rest []*yaml.RNode
		for _, it := range rl.Items {
			if IsServedModel(it) && !isLocalConfig(it) {
				models = append(models, it)
			} else {
				rest = append(rest, it)
			}
		}
		if len(models) == 0 {
			rl.Results = append(rl.Results, &framework.Result{Severity: framework.Info,
				Message: "no ServedModel items to render; items pass through unchanged"})
			break
		}
		objs, results := Render(Request{Models: models, Platform: fc})
		rl.Results = append(rl.Results, results...)
		if !hasError(results) {
			rl.Items = append(rest, objs...)
		}
	default:
		rl.Results = append(rl.Results, &framework.Result{Severity: framework.Error, Field: &framework.Field{Path: "functionConfig"},
			Message: fmt.Sprintf("functionConfig must be a %s (generator) or a %s (transformer) of %s, got %s",
				schema.KindModel, schema.KindPlatform, schema.APIVersion, describe(fc))})
	}
	if hasError(rl.Results) {
		return rl.Results
	}
	return nil
}

func describe(n *yaml.RNode) string {
	if n == nil || n.IsNilOrEmpty() {
		return "none"
	}
	return fmt.Sprintf("%s %s", n.GetApiVersion(), n.GetKind())
}

// isLocalConfig reports items kpt hands over that are not for the cluster
// (its Kptfile, the function config itself).
func isLocalConfig(n *yaml.RNode) bool {
	return n.GetAnnotations()["config.kubernetes.io/local-config"] == "true"
}

// Run executes the function over a ResourceList read from rw and returns
// its results. The error is non-nil when any result is an error or the
// input could not be read; the caller must then exit non-zero.
func Run(rw *kio.ByteReadWriter) (framework.Results, error) {
	var results framework.Results
	err := framework.Execute(framework.ResourceListProcessorFunc(func(rl *framework.ResourceList) error {
		err := Process(rl)
		results = rl.Results
		return err
	}), rw)
	return results, err
}
