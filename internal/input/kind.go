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
	// NearMiss is a document that is servelayer's but for letter case or
	// blanks: its API group, its ServedModel kind, or the apiVersion or
	// kind key itself (Kind:, apiversion:). API groups, kinds and keys are
	// case-sensitive, so it would be skipped, or passed through unrendered.
	NearMiss
)

// Classify says what a document is, reading its identity as YAML defines
// it (merge keys and aliases resolved: see IdentityOf). Only the API group
// of apiVersion is compared, so any version of servelayer.dev is
// servelayer's (decoding then checks the version).
func Classify(n *yaml.RNode) Kind {
	if !IsObject(n) {
		return NotObject
	}
	k, _ := classify(n)
	return k
}

// near describes a near miss: the field at fault, its value and what is
// wrong with it.
type near struct {
	path, value, msg string
}

const skipped = ": as written the document is not servelayer's and would be skipped"

func classify(n *yaml.RNode) (Kind, *near) {
	id := IdentityOf(n)
	group, _, _ := strings.Cut(id.APIVersion, "/")
	kind := id.Kind
	ours := kind == schema.KindModel || kind == schema.KindPlatform
	switch {
	case group == schema.Group && kind == schema.KindModel:
		return ServedModel, nil
	case group == schema.Group && kind == schema.KindPlatform:
		return Platform, nil
	}
	if nm := keyCase(n, id); nm != nil {
		return NearMiss, nm
	}
	switch {
	case group == schema.Group:
		if k := ourKindFold(kind); k != "" {
			return NearMiss, &near{"kind", kind, "must be " + k + " (kinds are case-sensitive)" + skipped}
		}
		return UnknownKind, nil
	case foldEq(group, schema.Group):
		return NearMiss, &near{"apiVersion", id.APIVersion, "must be " + schema.APIVersion + " (API groups are case-sensitive)" + skipped}
	case ours:
		return ForeignGroup, nil
	case foldEq(kind, schema.KindModel):
		return NearMiss, &near{"kind", kind, "must be " + schema.KindModel + " (kinds are case-sensitive)" + skipped}
	}
	return Other, nil
}

// keyCase finds an apiVersion or kind key written in another letter case
// (Kind:, apiversion:) where the key itself is missing, in a document that
// such a key would make servelayer's.
func keyCase(n *yaml.RNode, id Identity) *near {
	for _, key := range []string{"apiVersion", "kind"} {
		if key == "apiVersion" && id.APIVersion != "" || key == "kind" && id.Kind != "" {
			continue
		}
		for i, c := 0, n.YNode().Content; i+1 < len(c); i += 2 {
			k := resolveAlias(c[i])
			if k == nil || k.Kind != yaml.ScalarNode || !foldEq(k.Value, key) {
				continue
			}
			v := scalarValue(c[i+1])
			g, _, _ := strings.Cut(v, "/")
			if key == "apiVersion" && foldEq(g, schema.Group) || key == "kind" && ourKindFold(v) != "" {
				return &near{k.Value, v, "the key must be spelt " + key + " (keys are case-sensitive)" + skipped}
			}
		}
	}
	return nil
}

// foldEq compares s with want ignoring letter case and surrounding blanks.
func foldEq(s, want string) bool { return strings.EqualFold(strings.TrimSpace(s), want) }

// ourKindFold returns the servelayer kind s spells in another letter case
// or with blanks, or "".
func ourKindFold(s string) string {
	for _, k := range []string{schema.KindModel, schema.KindPlatform} {
		if foldEq(s, k) {
			return k
		}
	}
	return ""
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

// PassesThrough reports whether the KRM function passes item n through
// untouched: someone else's object, or a Platform kind of another API
// group (a name other projects use too). A ServedModel kind in another
// group is not passed through: the kind is servelayer's, and passing it
// through would silently drop a model whose apiVersion is mistyped.
func PassesThrough(n *yaml.RNode) bool {
	switch Classify(n) {
	case Other, NotObject:
		return true
	case ForeignGroup:
		return IdentityOf(n).Kind == schema.KindPlatform
	}
	return false
}

// KindError is the field error for a document that is almost servelayer's
// (UnknownKind, ForeignGroup or NearMiss), and nil for any other. Silently
// skipping such a document, or passing it through unrendered, would
// silently drop a model.
func KindError(n *yaml.RNode) *field.Error {
	if !IsObject(n) {
		return nil
	}
	k, nm := classify(n)
	id := IdentityOf(n)
	switch k {
	case UnknownKind:
		return field.NotSupported(field.NewPath("kind"), id.Kind, []string{schema.KindModel, schema.KindPlatform})
	case ForeignGroup:
		return field.Invalid(field.NewPath("apiVersion"), id.APIVersion, "must be "+schema.APIVersion)
	case NearMiss:
		return field.Invalid(field.NewPath(nm.path), nm.value, nm.msg)
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
