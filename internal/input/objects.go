package input

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxObjects caps the objects of one input (a file, or the function's
// stdin): its documents, the items of Lists in it, and the items of a
// ResourceList. A 10,000-model fleet is 10,000 objects; the cap leaves as
// many again for the other objects a kustomization passes through the
// function. Each object costs parsing, classification and, in the
// function, writing back; a flood of empty documents ("{}") or items in an
// input under MaxInputBytes is a million objects. Streams are counted
// before any document is parsed.
const MaxObjects = 20_000

// MaxModels caps the ServedModels of one run (one CLI invocation, one
// function call), which are rendered together as one fleet. It is the
// largest fleet the README documents and measures (10,000 models, about
// 4 MB in, rendered within the time and memory bounds there); a larger
// fleet is split over several files rendered separately, or several
// function calls.
const MaxModels = 10_000

// maxListDepth bounds Lists nested in Lists.
const maxListDepth = 32

// TooManyObjects is the error for an input over MaxObjects.
func TooManyObjects(name string, line int, what string) *Error {
	return &Error{Name: name, Line: line, Message: fmt.Sprintf(
		"more than %d objects (%s) in one file or stream: a fleet of %d models needs %d; split the input into several files or function calls",
		MaxObjects, what, MaxModels, MaxModels)}
}

// TooManyModels is the error for a run over MaxModels.
func TooManyModels(n int) string {
	return fmt.Sprintf("%d ServedModels in one render: more than the limit of %d per run; split the fleet into several files rendered separately, or several function calls", n, MaxModels)
}

// An Object is one object of an input and where it came from.
type Object struct {
	Node *yaml.RNode
	// Doc is the 1-based document of the file or stream.
	Doc int
	// Item is where inside that document the object is when it came out of
	// a List ("items[3]", "items[0].items[2]") or a ResourceList
	// ("functionConfig"); "" for the document itself.
	Item string
}

// Where says where the object is, for messages: "document 2" or
// "document 2, items[3]".
func (o Object) Where() string {
	if o.Item == "" {
		return fmt.Sprintf("document %d", o.Doc)
	}
	return fmt.Sprintf("document %d, %s", o.Doc, o.Item)
}

// IsList reports whether n is a list of objects to unwrap: a mapping whose
// kind is List, or ends in List (ServedModelList, ResourceList), with its
// objects under items. kubectl writes `kind: List` for `get -o yaml` of
// several objects.
func IsList(n *yaml.RNode) bool {
	if !IsObject(n) {
		return false
	}
	kind := IdentityOf(n).Kind
	if !strings.HasSuffix(kind, "List") {
		return false
	}
	items, _ := effective(n.YNode(), "items")
	return items != nil && (items.Kind == yaml.SequenceNode || items.Kind == yaml.ScalarNode && items.ShortTag() == "!!null")
}

// listItems returns the items of a List, aliases resolved, with their
// paths. A ResourceList's functionConfig counts as one of them when it is
// servelayer's or almost (a generator's ServedModel, a transformer's
// Platform): dropping it would drop a model or a Platform's gates.
func listItems(n *yaml.RNode, prefix string) (items []*yaml.Node, paths []string) {
	if v, _ := effective(n.YNode(), "items"); v != nil && v.Kind == yaml.SequenceNode {
		for i, it := range v.Content {
			items, paths = append(items, resolveAlias(it)), append(paths, fmt.Sprintf("%sitems[%d]", prefix, i))
		}
	}
	if IdentityOf(n).Kind == kio.ResourceListKind {
		if fc, _ := effective(n.YNode(), "functionConfig"); fc != nil && fc.Kind == yaml.MappingNode {
			if k := Classify(yaml.NewRNode(fc)); k != Other {
				items, paths = append(items, fc), append(paths, prefix+"functionConfig")
			}
		}
	}
	return items, paths
}

// HoldsOurs reports whether a List holds (at any depth) an object that is
// servelayer's or almost, which a List passed through unrendered would
// silently drop.
func HoldsOurs(n *yaml.RNode) bool {
	var holds func(n *yaml.RNode, depth int) bool
	holds = func(n *yaml.RNode, depth int) bool {
		items, _ := listItems(n, "")
		for _, it := range items {
			rn := yaml.NewRNode(it)
			switch {
			case IsList(rn) && depth < maxListDepth:
				if holds(rn, depth+1) {
					return true
				}
			case !PassesThrough(rn):
				return true
			}
		}
		return false
	}
	return IsList(n) && holds(n, 0)
}

// Unwrap returns the objects of n: n itself, or the items of a List,
// recursively, with their paths relative to n ("" for n itself). It stops
// with an error past limit objects or maxListDepth levels of Lists.
func Unwrap(n *yaml.RNode, limit int) (objs []*yaml.RNode, paths []string, err error) {
	var walk func(n *yaml.RNode, path string, depth int) error
	walk = func(n *yaml.RNode, path string, depth int) error {
		if !IsList(n) {
			if len(objs) >= limit {
				return ErrTooManyObjects
			}
			objs, paths = append(objs, n), append(paths, path)
			return nil
		}
		if depth >= maxListDepth {
			return fmt.Errorf("%sitems: Lists nested more than %d deep", prefixOf(path), maxListDepth)
		}
		items, ps := listItems(n, prefixOf(path))
		for i, it := range items {
			if err := walk(yaml.NewRNode(it), ps[i], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	err = walk(n, "", 0)
	return objs, paths, err
}

// ErrTooManyObjects is Unwrap's error past its limit.
var ErrTooManyObjects = errors.New("too many objects")

func prefixOf(path string) string {
	if path == "" {
		return ""
	}
	return path + "."
}

// WithIdentity returns n, or when n's identity comes through a merge key
// or an alias, a copy of its top-level mapping with the identity written
// out (see materialize), so that kyaml's accessors read what YAML means.
// n itself is not modified: the function echoes its items unchanged when
// it fails.
func WithIdentity(n *yaml.RNode) *yaml.RNode {
	if !IsObject(n) || !IdentityOf(n).Indirect {
		return n
	}
	root := *n.YNode()
	root.Content = slices.Clone(root.Content)
	c := yaml.NewRNode(&root)
	materialize(c)
	return c
}

// Prepare writes out, in place, the identity of every servelayer object
// among nodes whose identity comes through a merge key or an alias
// (materialize), in Lists too. The function calls it on its items and
// functionConfig before kyaml annotates them: kyaml would otherwise add a
// metadata key of its own, which hides a merged one. The meaning of a
// node is unchanged.
func Prepare(nodes ...*yaml.RNode) {
	var walk func(n *yaml.RNode, depth int)
	walk = func(n *yaml.RNode, depth int) {
		if !IsObject(n) {
			return
		}
		if IsList(n) && depth < maxListDepth {
			items, _ := listItems(n, "")
			for _, it := range items {
				walk(yaml.NewRNode(it), depth+1)
			}
			return
		}
		if k := Classify(n); (k == ServedModel || k == Platform) && IdentityOf(n).Indirect {
			materialize(n)
		}
	}
	for _, n := range nodes {
		walk(n, 0)
	}
}

// keep prepares an object servelayer keeps (a ServedModel or a Platform)
// for reading: its identity written out (see materialize) and the
// annotations set, sorted by key, as kio.ByteReader sets them.
func keep(n *yaml.RNode, index int, annotations map[string]string) error {
	materialize(n)
	set := map[string]string{kioutil.IndexAnnotation: strconv.Itoa(index), kioutil.LegacyIndexAnnotation: strconv.Itoa(index)}
	for k, v := range annotations {
		set[k] = v
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := n.Pipe(yaml.SetAnnotation(k, set[k])); err != nil {
			return err
		}
	}
	return nil
}
