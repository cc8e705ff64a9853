package input

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A document's identity (apiVersion, kind, metadata) may be written out, or
// come through a YAML alias (kind: *k) or a merge key (<<: *base). kyaml's
// accessors (GetKind, GetName, SetAnnotation) read only the keys written
// out, so a ServedModel whose identity is merged in would look like no
// object at all and be skipped. Classification therefore reads the
// identity the way YAML defines it (effective), and the objects servelayer
// keeps get it written out (materialize) before anything else reads them.

// maxMergeNodes bounds the mappings one identity lookup visits through
// merge keys; each is visited at most once, so only a document with
// thousands of merge sources reaches it.
const maxMergeNodes = 1000

// resolveAlias follows aliases to the node they name.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil // a chain of 100 aliases: not resolvable
	}
	return n
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// mergeSources are the mappings a merge key's value names: one mapping or
// a list of them, aliases resolved.
func mergeSources(v *yaml.Node) []*yaml.Node {
	r := resolveAlias(v)
	if r == nil {
		return nil
	}
	srcs := []*yaml.Node{r}
	if r.Kind == yaml.SequenceNode {
		srcs = nil
		for _, e := range r.Content {
			if m := resolveAlias(e); m != nil {
				srcs = append(srcs, m)
			}
		}
	}
	out := srcs[:0]
	for _, s := range srcs {
		if s.Kind == yaml.MappingNode {
			out = append(out, s)
		}
	}
	return out
}

// effective returns the value of key in mapping m as YAML defines it: its
// own entry, else the first merged mapping (in order, depth first) that
// has it. The value has its aliases resolved; indirect says it came
// through a merge key or an alias.
func effective(m *yaml.Node, key string) (v *yaml.Node, indirect bool) {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, false
	}
	visited := map[*yaml.Node]bool{}
	var find func(m *yaml.Node, merged bool) (*yaml.Node, bool)
	find = func(m *yaml.Node, merged bool) (*yaml.Node, bool) {
		if visited[m] || len(visited) >= maxMergeNodes {
			return nil, false
		}
		visited[m] = true
		for i := 0; i+1 < len(m.Content); i += 2 {
			if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && !isMergeKey(k) {
				val := m.Content[i+1]
				return resolveAlias(val), merged || val.Kind == yaml.AliasNode
			}
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if !isMergeKey(m.Content[i]) {
				continue
			}
			for _, src := range mergeSources(m.Content[i+1]) {
				if v, ind := find(src, true); v != nil {
					return v, ind
				}
			}
		}
		return nil, false
	}
	return find(m, false)
}

// entries returns mapping m's effective entries (own keys first, then the
// merged keys it does not set, first merge wins), values unresolved.
func entries(m *yaml.Node) (keys, values []*yaml.Node) {
	m = resolveAlias(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	seen := map[string]bool{}
	visited := map[*yaml.Node]bool{}
	var walk func(m *yaml.Node)
	walk = func(m *yaml.Node) {
		if visited[m] || len(visited) >= maxMergeNodes {
			return
		}
		visited[m] = true
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if isMergeKey(k) || resolveAlias(k) == nil || resolveAlias(k).Kind != yaml.ScalarNode {
				continue
			}
			name := resolveAlias(k).Value
			if !seen[name] {
				seen[name] = true
				keys, values = append(keys, k), append(values, m.Content[i+1])
			}
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			if isMergeKey(m.Content[i]) {
				for _, src := range mergeSources(m.Content[i+1]) {
					walk(src)
				}
			}
		}
	}
	walk(m)
	return keys, values
}

// scalarValue is the text of a scalar (aliases resolved), or "".
func scalarValue(n *yaml.Node) string {
	if n = resolveAlias(n); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// Identity is a document's apiVersion, kind, metadata.name and
// metadata.namespace as YAML defines them: merge keys and aliases
// resolved.
type Identity struct {
	APIVersion, Kind, Name, Namespace string
	// Indirect says some of it came through a merge key or an alias.
	Indirect bool
}

// IdentityOf reads n's identity, resolving merge keys and aliases.
func IdentityOf(n *yaml.RNode) Identity {
	if !IsObject(n) {
		return Identity{}
	}
	var id Identity
	root := n.YNode()
	for _, f := range []struct {
		key  string
		into *string
	}{{"apiVersion", &id.APIVersion}, {"kind", &id.Kind}} {
		v, ind := effective(root, f.key)
		*f.into = scalarValue(v)
		id.Indirect = id.Indirect || ind
	}
	md, ind := effective(root, "metadata")
	id.Indirect = id.Indirect || ind
	if md != nil && md.Kind == yaml.MappingNode {
		v, ind := effective(md, "name")
		id.Name, id.Indirect = scalarValue(v), id.Indirect || ind
		v, ind = effective(md, "namespace")
		id.Namespace, id.Indirect = scalarValue(v), id.Indirect || ind
	}
	return id
}

// copyScalar copies a scalar (alias resolved) so that writing it out in
// another place does not share the node.
func copyScalar(n *yaml.Node) *yaml.Node {
	r := resolveAlias(n)
	if r == nil || r.Kind != yaml.ScalarNode {
		return n
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: r.Tag, Value: r.Value, Style: r.Style, Line: r.Line, Column: r.Column}
}

// setEntry sets key in mapping m to v, replacing its own entry or adding
// one after the last own entry.
func setEntry(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key && !isMergeKey(k) {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// flatMapping is a fresh mapping holding m's effective entries; values
// that are scalars are copied, the rest shared.
func flatMapping(m *yaml.Node) *yaml.Node {
	keys, values := entries(m)
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: m.Line, Column: m.Column}
	for i := range keys {
		out.Content = append(out.Content, copyScalar(keys[i]), copyScalar(values[i]))
	}
	return out
}

// materialize writes a servelayer object's identity out as plain keys:
// apiVersion and kind as scalars of their own, and a metadata mapping of
// its own (with labels and annotations mappings of their own) holding the
// effective entries. The meaning is unchanged (an own key is what a merge
// key would have supplied), kyaml's accessors then read what YAML means,
// and annotating the object cannot write into a mapping it shares with
// another document through an alias.
func materialize(n *yaml.RNode) {
	root := n.YNode()
	for _, key := range []string{"apiVersion", "kind"} {
		if v, _ := effective(root, key); v != nil && v.Kind == yaml.ScalarNode {
			setEntry(root, key, copyScalar(v))
		}
	}
	md, _ := effective(root, "metadata")
	if md == nil || md.Kind != yaml.MappingNode {
		return
	}
	flat := flatMapping(md)
	for _, key := range []string{"labels", "annotations"} {
		if v, _ := effective(flat, key); v != nil && v.Kind == yaml.MappingNode {
			setEntry(flat, key, flatMapping(v))
		}
	}
	setEntry(root, "metadata", flat)
}
