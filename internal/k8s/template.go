package k8s

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/schema"
)

// The merge keys of the pod lists Kubernetes' strategic merge patch merges
// by key (the patchMergeKey tags of k8s.io/api/core/v1 PodSpec and
// Container; the conformance module checks them). Other lists are atomic.
var (
	podListKeys = map[string]string{
		"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
		"volumes": "name", "imagePullSecrets": "name", "resourceClaims": "name", "schedulingGates": "name",
		"hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
	}
	containerListKeys = map[string]string{
		"env": "name", "ports": "containerPort", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
	}
	containerLists = []string{"containers", "initContainers", "ephemeralContainers"}
)

// PodListKeys and ContainerListKeys are the merge keys, for the
// conformance module's check against k8s.io/api's tags.
func PodListKeys() map[string]string       { return podListKeys }
func ContainerListKeys() map[string]string { return containerListKeys }

// TemplatePath is where spec.pod.template's pod spec is, for errors.
var TemplatePath = field.NewPath("spec", "pod", "template", "spec")

// HasTemplate reports whether m sets spec.pod.template.
func HasTemplate(m *schema.ServedModel) bool {
	return m.Spec.Pod != nil && m.Spec.Pod.Template != nil && len(m.Spec.Pod.Template.Raw) > 0
}

// ApplyPodTemplate merges spec.pod.template into the pod specs at paths of
// o's manifest (such as spec.template.spec), the model container (named
// schema.ModelContainer in the template) into container model. The
// merge is strategic-merge-patch's, except that tolerations are added to
// the rendered ones, and it may only add: a value it would change is an
// error at its path in the template. The returned object's manifest is
// the merged JSON, in the rendered field order with the template's new
// fields after. Without a template, o comes back unchanged.
func ApplyPodTemplate(o Object, m *schema.ServedModel, model string, paths ...[]string) (Object, field.ErrorList) {
	if !HasTemplate(m) {
		return o, nil
	}
	tmpl, err := parseNode(m.Spec.Pod.Template.Raw)
	if err != nil {
		return o, field.ErrorList{field.Invalid(TemplatePath, string(m.Spec.Pod.Template.Raw), err.Error())}
	}
	over := tmpl.get("spec")
	if over == nil || over.kind != '{' {
		return o, nil // validation refuses it
	}
	over.sortKeys() // what the template adds comes out the same whatever its key order
	b, err := json.Marshal(o.Manifest)
	if err != nil {
		return o, field.ErrorList{field.InternalError(TemplatePath, err)}
	}
	root, err := parseNode(b)
	if err != nil {
		return o, field.ErrorList{field.InternalError(TemplatePath, err)}
	}
	var errs field.ErrorList
	for _, path := range paths {
		pod := root
		for _, k := range path {
			if pod = pod.get(k); pod == nil {
				break
			}
		}
		if pod == nil || pod.kind != '{' {
			errs = append(errs, field.InternalError(TemplatePath, fmt.Errorf("no pod spec at %v", path)))
			continue
		}
		for _, e := range mergeObject(pod, renameModel(over.clone(), model), TemplatePath, levelPod) {
			if !slices.ContainsFunc(errs, func(x *field.Error) bool { return x.Field == e.Field && x.Detail == e.Detail }) {
				errs = append(errs, e) // both pools of llm-d refuse alike
			}
		}
	}
	out, err := json.Marshal(root)
	if err != nil {
		return o, append(errs, field.InternalError(TemplatePath, err))
	}
	o.Manifest = json.RawMessage(out)
	return o, errs
}

// renameModel gives the template's model container the layer's name.
func renameModel(spec *node, model string) *node {
	if cs := spec.get("containers"); cs != nil && cs.kind == '[' {
		for _, c := range cs.arr {
			if n := c.get("name"); n != nil && n.scalar() == schema.ModelContainer {
				c.set("name", stringNode(model))
			}
		}
	}
	return spec
}

type level int

const (
	levelPod level = iota
	levelContainer
	levelOther
)

// mergeObject merges over into base at path.
func mergeObject(base, over *node, path *field.Path, lvl level) field.ErrorList {
	var errs field.ErrorList
	for _, mem := range over.obj {
		k, o := mem.key, mem.val
		p := path.Child(k)
		b := base.get(k)
		switch {
		case b == nil:
			base.set(k, o)
		case b.kind == '{' && o.kind == '{':
			errs = append(errs, mergeObject(b, o, p, levelOther)...)
		case b.kind == '[' && o.kind == '[' && lvl == levelPod && k == "tolerations":
			for _, t := range o.arr {
				if !slices.ContainsFunc(b.arr, func(x *node) bool { return equalNodes(x, t) }) {
					b.arr = append(b.arr, t)
				}
			}
		case b.kind == '[' && o.kind == '[' && listKey(lvl, k) != "":
			next := levelOther
			if lvl == levelPod && slices.Contains(containerLists, k) {
				next = levelContainer
			}
			errs = append(errs, mergeList(b, o, p, listKey(lvl, k), next)...)
		case equalNodes(b, o):
		default:
			errs = append(errs, conflict(p, b, o))
		}
	}
	return errs
}

func listKey(lvl level, k string) string {
	switch lvl {
	case levelPod:
		return podListKeys[k]
	case levelContainer:
		return containerListKeys[k]
	}
	return ""
}

// mergeList merges the entries of over into base by key.
func mergeList(base, over *node, path *field.Path, key string, lvl level) field.ErrorList {
	var errs field.ErrorList
	for i, o := range over.arr {
		p := path.Index(i)
		ok := o.get(key)
		if o.kind != '{' || ok == nil {
			errs = append(errs, field.Required(p.Child(key), "list entries here merge by "+key))
			continue
		}
		j := slices.IndexFunc(base.arr, func(b *node) bool { return b.kind == '{' && equalNodes(b.get(key), ok) })
		if j < 0 {
			base.arr = append(base.arr, o)
			continue
		}
		errs = append(errs, mergeObject(base.arr[j], o, p, lvl)...)
	}
	return errs
}

func conflict(p *field.Path, base, over *node) *field.Error {
	ob, _ := json.Marshal(over)
	bb, _ := json.Marshal(base)
	var bad any = string(ob)
	if over.kind == 0 {
		d := json.NewDecoder(bytes.NewReader(over.raw))
		d.UseNumber()
		_ = d.Decode(&bad) // a scalar shows as written: 5, true, Unconfined
	}
	return field.Invalid(p, bad, fmt.Sprintf(
		"servelayer renders %s here: the pod template may add fields and list entries, not change what servelayer sets", short(string(bb))))
}

func short(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// node is a JSON value that keeps its object keys in order.
type node struct {
	kind byte // '{', '[' or 0 for a scalar
	obj  []member
	arr  []*node
	raw  json.RawMessage
}

type member struct {
	key string
	val *node
}

func stringNode(s string) *node {
	b, _ := json.Marshal(s)
	return &node{raw: b}
}

func (n *node) get(k string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	for _, m := range n.obj {
		if m.key == k {
			return m.val
		}
	}
	return nil
}

func (n *node) set(k string, v *node) {
	for i := range n.obj {
		if n.obj[i].key == k {
			n.obj[i].val = v
			return
		}
	}
	n.obj = append(n.obj, member{k, v})
}

// scalar is a string scalar's value, or "".
func (n *node) scalar() string {
	var s string
	if n.kind == 0 && json.Unmarshal(n.raw, &s) == nil {
		return s
	}
	return ""
}

// sortKeys orders every object's keys, recursively; lists keep their order.
func (n *node) sortKeys() {
	slices.SortFunc(n.obj, func(a, b member) int { return strings.Compare(a.key, b.key) })
	for _, m := range n.obj {
		m.val.sortKeys()
	}
	for _, e := range n.arr {
		e.sortKeys()
	}
}

func (n *node) clone() *node {
	c := &node{kind: n.kind, raw: n.raw}
	for _, m := range n.obj {
		c.obj = append(c.obj, member{m.key, m.val.clone()})
	}
	for _, e := range n.arr {
		c.arr = append(c.arr, e.clone())
	}
	return c
}

func (n *node) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	switch n.kind {
	case '{':
		b.WriteByte('{')
		for i, m := range n.obj {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			v, err := m.val.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, e := range n.arr {
			if i > 0 {
				b.WriteByte(',')
			}
			v, err := e.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte(']')
	default:
		b.Write(n.raw)
	}
	return b.Bytes(), nil
}

// equalNodes compares two values as JSON: objects regardless of key order.
func equalNodes(a, b *node) bool {
	if a == nil || b == nil {
		return a == b
	}
	var x, y any
	ab, _ := a.MarshalJSON()
	bb, _ := b.MarshalJSON()
	if json.Unmarshal(ab, &x) != nil || json.Unmarshal(bb, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func parseNode(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := decodeNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return n, nil
}

func decodeNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(t)}
		for dec.More() {
			if n.kind == '{' {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if n.get(k) != nil {
					return nil, fmt.Errorf("duplicate key %q", k)
				}
				v, err := decodeNode(dec)
				if err != nil {
					return nil, err
				}
				n.obj = append(n.obj, member{k, v})
				continue
			}
			v, err := decodeNode(dec)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	default:
		raw, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		return &node{raw: raw}, nil
	}
}

// SetJSON sets the field at path (the last key is added to the object
// the rest of path names) of o's manifest to raw, a JSON value, keeping
// every key's order: for a field whose value servelayer passes through
// as given, such as an inline EndpointPickerConfig.
func SetJSON(o Object, path []string, raw []byte) (Object, error) {
	b, err := json.Marshal(o.Manifest)
	if err != nil {
		return o, err
	}
	root, err := parseNode(b)
	if err != nil {
		return o, err
	}
	v, err := parseNode(raw)
	if err != nil {
		return o, err
	}
	n := root
	for _, k := range path[:len(path)-1] {
		if n = n.get(k); n == nil || n.kind != '{' {
			return o, fmt.Errorf("no object at %v", path)
		}
	}
	n.set(path[len(path)-1], v)
	out, err := json.Marshal(root)
	if err != nil {
		return o, err
	}
	o.Manifest = json.RawMessage(out)
	return o, nil
}
