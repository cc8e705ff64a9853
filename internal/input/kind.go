package input

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/schema"
)

// Kind is what a document is to servelayer.
type Kind int

// The kinds of document Classify tells apart.
const (
	// Other is someone else's object (a kustomization, a ConfigMap): it
	// passes through the function untouched and the CLI skips it.
	Other Kind = iota
	// ServedModel and Platform are servelayer's two kinds.
	ServedModel
	Platform
	// NotObject is a document that is not a mapping.
	NotObject
	// UnknownKind is a kind servelayer does not have in its API group, such
	// as a misspelt ServedModel.
	UnknownKind
	// ForeignGroup is a ServedModel or Platform kind in another API group.
	ForeignGroup
)

// Classify says what a document is. Only the API group of apiVersion is
// compared, so any version of servelayer.dev is servelayer's (decoding
// then checks the version).
func Classify(n *yaml.RNode) Kind {
	if !IsObject(n) {
		return NotObject
	}
	group, _, _ := strings.Cut(n.GetApiVersion(), "/")
	kind := n.GetKind()
	ours := kind == schema.KindModel || kind == schema.KindPlatform
	switch {
	case group == schema.Group && kind == schema.KindModel:
		return ServedModel
	case group == schema.Group && kind == schema.KindPlatform:
		return Platform
	case group == schema.Group:
		return UnknownKind
	case ours:
		return ForeignGroup
	}
	return Other
}

// IsServedModel reports whether n is a servelayer ServedModel.
func IsServedModel(n *yaml.RNode) bool { return Classify(n) == ServedModel }

// IsPlatform reports whether n is a servelayer Platform.
func IsPlatform(n *yaml.RNode) bool { return Classify(n) == Platform }

// IsObject reports whether n is a mapping, the only kind of node kyaml's
// accessors (GetKind, GetAnnotations, ...) can read without panicking.
func IsObject(n *yaml.RNode) bool {
	return n != nil && n.YNode() != nil && n.YNode().Kind == yaml.MappingNode
}

// KindError is the field error for a document that is almost servelayer's
// (UnknownKind or ForeignGroup), and nil for any other. Silently skipping
// such a document, or passing it through unrendered, would silently drop a
// model.
func KindError(n *yaml.RNode) *field.Error {
	switch Classify(n) {
	case UnknownKind:
		return field.NotSupported(field.NewPath("kind"), n.GetKind(), []string{schema.KindModel, schema.KindPlatform})
	case ForeignGroup:
		return field.Invalid(field.NewPath("apiVersion"), n.GetApiVersion(), "must be "+schema.APIVersion)
	}
	return nil
}

// DecodeNode converts a node to JSON with decode.YAMLNodeToJSONWithin, which
// reports duplicate keys, alias bombs and non-finite numbers at their field
// paths (RNode.MarshalJSON reports them without one), then decodes it
// strictly with fn, such as decode.ServedModel. The bytes aliases add are
// charged to budget, which every document of one run shares (nil: a budget
// of its own).
func DecodeNode[T any](n *yaml.RNode, fn func([]byte) (T, field.ErrorList), budget *decode.AliasBudget) (T, field.ErrorList) {
	b, errs := decode.YAMLNodeToJSONWithin(n.YNode(), budget)
	if len(errs) > 0 {
		var zero T
		return zero, errs
	}
	return fn(b)
}
