package plan

import (
	"encoding/json"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/render"
)

// objectChanges compares the two renders by identity (kind, namespace,
// name). When the new side failed to render, its objects are unknown.
func objectChanges(old, new []render.Object, newFailed bool) []ObjectChange {
	key := func(o render.Object) string { return o.Ref.Kind + "\x00" + o.Ref.Namespace + "\x00" + o.Ref.Name }
	newByKey := map[string]render.Object{}
	for _, o := range new {
		newByKey[key(o)] = o
	}
	oldKeys := map[string]bool{}
	var removed, changed, added []ObjectChange
	for _, o := range old {
		oldKeys[key(o)] = true
		c := ObjectChange{APIVersion: o.Ref.APIVersion, Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name}
		n, both := newByKey[key(o)]
		switch {
		case both:
			c.Fields = changedFields(o, n)
			c.Action = ActionChange
			if len(c.Fields) == 0 {
				c.Action = ActionUnchanged
			}
			changed = append(changed, c)
		case keptOnDelete(o):
			c.Action = ActionKeep
			c.Note = "Prune=false,Delete=false: staged weights are never deleted by the move; delete the claim yourself once it is no longer needed"
			removed = append(removed, c)
		case newFailed && o.Ref.Kind == "ConfigMap":
			c.Action = ActionChange
			c.Note = "re-pointed to the new layer (its content is unknown until the blockers are fixed)"
			changed = append(changed, c)
		default:
			c.Action = ActionRemove
			removed = append(removed, c)
		}
	}
	for _, o := range new {
		if !oldKeys[key(o)] {
			added = append(added, ObjectChange{Action: ActionAdd, APIVersion: o.Ref.APIVersion, Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name})
		}
	}
	out := append(append(removed, changed...), added...)
	if out == nil {
		out = []ObjectChange{}
	}
	return out
}

// keptOnDelete reports objects servelayer marks as never to be deleted.
func keptOnDelete(o render.Object) bool {
	if o.Ref.Kind != "PersistentVolumeClaim" {
		return false
	}
	raw, err := o.JSON()
	if err != nil {
		return false
	}
	var meta struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	return json.Unmarshal(raw, &meta) == nil && strings.Contains(meta.Metadata.Annotations[k8s.AnnotationArgoSyncOptions], "Delete=false")
}

// changedFields lists the leaf field paths whose values differ.
func changedFields(a, b render.Object) []string {
	fa, fb := map[string]string{}, map[string]string{}
	for _, x := range []struct {
		o render.Object
		m map[string]string
	}{{a, fa}, {b, fb}} {
		raw, err := x.o.JSON()
		if err != nil {
			return []string{"(unreadable)"}
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return []string{"(unreadable)"}
		}
		flatten(field.NewPath("x"), v, x.m)
	}
	var out []string
	for k, v := range fa {
		if w, ok := fb[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func flatten(p *field.Path, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			cp := p.Key(k)
			if isIdent(k) {
				cp = p.Child(k)
			}
			flatten(cp, c, out)
		}
	case []any:
		for i, c := range t {
			flatten(p.Index(i), c, out)
		}
	default:
		b, _ := json.Marshal(t)
		out[strings.TrimPrefix(strings.TrimPrefix(p.String(), "x"), ".")] = string(b)
	}
}

func isIdent(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	})
}
