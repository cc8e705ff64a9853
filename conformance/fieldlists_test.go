package conformance

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// jsonFields are the JSON names of a struct type's fields, and the
// patchMergeKey of the list fields strategic merge patch merges by key.
func jsonFields(t reflect.Type) (names []string, mergeKeys map[string]string) {
	mergeKeys = map[string]string{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		names = append(names, name)
		if k := f.Tag.Get("patchMergeKey"); k != "" && strings.Contains(f.Tag.Get("patchStrategy"), "merge") {
			mergeKeys[name] = k
		}
	}
	slices.Sort(names)
	return names, mergeKeys
}

// literal reads the string literals of the package-level variable name in
// a Go file of the main module: a []string, or a map[string]string. The
// conformance module does not import the main module (their dependency
// graphs stay apart), so it reads the tables as source.
func literal(t *testing.T, file, name string) (list []string, pairs map[string]string) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root(t), file), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	unquote := func(e ast.Expr) string {
		lit, ok := e.(*ast.BasicLit)
		if !ok {
			t.Fatalf("%s %s: %T is not a string literal", file, name, e)
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	pairs = map[string]string{}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name || len(vs.Values) != 1 {
			return true
		}
		cl, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatalf("%s %s is not a composite literal", file, name)
		}
		found = true
		for _, e := range cl.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				pairs[unquote(kv.Key)] = unquote(kv.Value)
			} else {
				list = append(list, unquote(e))
			}
		}
		return false
	})
	if !found {
		t.Fatalf("%s has no variable %s", file, name)
	}
	return list, pairs
}

// TestPodTemplateKnowsKubernetes: the PodSpec and Container field names
// servelayer checks spec.pod.template against (schema/podtemplate.go), and
// the list merge keys it merges the template by (internal/k8s/template.go),
// are k8s.io/api's: the version KServe and the API server here use.
func TestPodTemplateKnowsKubernetes(t *testing.T) {
	for _, c := range []struct {
		what, fields, keys string
		typ                reflect.Type
	}{
		{"PodSpec", "PodSpecFields", "podListKeys", reflect.TypeOf(corev1.PodSpec{})},
		{"Container", "ContainerFields", "containerListKeys", reflect.TypeOf(corev1.Container{})},
	} {
		names, keys := jsonFields(c.typ)
		fields, _ := literal(t, "schema/podtemplate.go", c.fields)
		slices.Sort(fields)
		if !slices.Equal(fields, names) {
			t.Errorf("schema.%s %v, k8s.io/api's %s fields %v", c.fields, fields, c.what, names)
		}
		_, merge := literal(t, "internal/k8s/template.go", c.keys)
		for k, v := range merge {
			if keys[k] != v {
				t.Errorf("%s.%s: servelayer merges by %q, k8s.io/api's patchMergeKey is %q", c.what, k, v, keys[k])
			}
		}
		for k, v := range keys {
			if _, ok := merge[k]; !ok {
				t.Errorf("%s.%s: k8s.io/api merges it by %q; servelayer's %s treats it as atomic", c.what, k, v, c.keys)
			}
		}
	}
}
