package input

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// metaError finds what kio.ByteReader's metadata read (GetMeta), or the
// function framework's annotation handling, chokes on in a document that
// parses: a document that is not a mapping, a duplicate top-level or
// metadata key, or apiVersion, kind or metadata of the wrong shape. In a
// ResourceList the items and the functionConfig are checked the same way.
func metaError(name string, c chunk, doc *yaml.Node) *Error {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil
	}
	at := func(n *yaml.Node, path, msg string) *Error {
		line := c.line + n.Line - 1
		v := n.Value
		switch n.Kind {
		case yaml.MappingNode:
			v = "{...}"
		case yaml.SequenceNode:
			v = "[...]"
		case yaml.AliasNode:
			v = "*" + n.Value
		}
		return &Error{Name: name, Line: line, Message: path + ": " + msg, Value: shorten(v)}
	}
	if e := objectShape(root, "<document>", "", at); e != nil {
		return e
	}
	if kind := stringField(root, "kind"); kind != kio.ResourceListKind && kind != "List" {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		switch {
		case k == "items" && v.Kind == yaml.SequenceNode:
			for j, it := range v.Content {
				p := fmt.Sprintf("items[%d]", j)
				if e := objectShape(it, p, p+".", at); e != nil {
					return e
				}
			}
		case k == "items" && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"):
			return at(v, "items", "must be a list of objects")
		case k == "functionConfig" && !(v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null"):
			if e := objectShape(v, "functionConfig", "functionConfig.", at); e != nil {
				return e
			}
		}
	}
	return nil
}

func stringField(m *yaml.Node, key string) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i+1].Value
		}
	}
	return ""
}

// objectShape checks that n is a mapping whose apiVersion, kind and
// metadata have the shapes Kubernetes tooling reads them with.
func objectShape(root *yaml.Node, self, prefix string, at func(*yaml.Node, string, string) *Error) *Error {
	switch root.Kind {
	case yaml.MappingNode:
	case yaml.ScalarNode:
		return at(root, self, "must be a mapping (a Kubernetes object), not a scalar")
	case yaml.SequenceNode:
		return at(root, self, "must be a mapping (a Kubernetes object), not a list")
	default:
		return at(root, self, "must be a mapping (a Kubernetes object)")
	}
	if e := duplicateKey(root, prefix, at); e != nil {
		return e
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i].Value, root.Content[i+1]
		if r := resolveAlias(v); r != nil {
			v = r // an alias is read as what it names
		}
		switch k {
		case "apiVersion", "kind":
			if v.Kind != yaml.ScalarNode {
				return at(v, prefix+k, "must be a string")
			}
		case "metadata":
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return at(v, prefix+k, "must be a mapping")
			}
			if e := duplicateKey(v, prefix+"metadata.", at); e != nil {
				return e
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				mk, mv := v.Content[j].Value, v.Content[j+1]
				if r := resolveAlias(mv); r != nil {
					mv = r
				}
				switch mk {
				case "name", "namespace":
					if mv.Kind != yaml.ScalarNode {
						return at(mv, prefix+"metadata."+mk, "must be a string")
					}
				case "labels", "annotations":
					if mv.Kind == yaml.ScalarNode && mv.ShortTag() == "!!null" {
						continue
					}
					if mv.Kind != yaml.MappingNode {
						return at(mv, prefix+"metadata."+mk, "must be a map of strings")
					}
					if e := duplicateKey(mv, prefix+"metadata."+mk+".", at); e != nil {
						return e
					}
					for l := 0; l+1 < len(mv.Content); l += 2 {
						if r := resolveAlias(mv.Content[l+1]); r == nil || r.Kind != yaml.ScalarNode && !isMergeKey(mv.Content[l]) {
							return at(mv.Content[l+1], prefix+"metadata."+mk+"."+mv.Content[l].Value, "must be a string")
						}
					}
				}
			}
		}
	}
	return nil
}

func duplicateKey(m *yaml.Node, prefix string, at func(*yaml.Node, string, string) *Error) *Error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if seen[k.Value] {
			return at(k, prefix+k.Value, "duplicate key")
		}
		seen[k.Value] = true
	}
	return nil
}
