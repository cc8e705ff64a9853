package fn_test

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	goyaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/corpus"
)

// FuzzFunction feeds arbitrary bytes to the KRM function as its stdin.
// Properties: no panic; stdout is exactly one config.kubernetes.io
// ResourceList (v1, or v1alpha1 when that came in), whatever the input; the function fails exactly when there
// is an error result, and every error result has a field path; a failed
// run adds no object; a successful run outputs at least one item, and every
// object it rendered has apiVersion, kind and metadata.name; the same input
// twice gives byte-identical output; and a transformer run on its own
// output changes no item (idempotency).
func FuzzFunction(f *testing.F) {
	valid, err := corpus.Valid("..")
	if err != nil {
		f.Fatal(err)
	}
	keys := make([]string, 0, len(valid))
	for k := range valid {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		in := valid[k]
		f.Add(in) // not a ResourceList
		f.Add(corpus.ResourceListFor(in, nil))
		f.Add(corpus.ResourceListFor(in, []byte(corpus.DefaultPlatform)))
	}
	bad, err := corpus.LoadBad("../testdata/bad")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range bad {
		// The 10 MiB case is the size cap's, and slow to mutate; the
		// alias-bytes cases expand to megabytes per call (see FuzzRender).
		if len(c.Stdin) <= 1<<20 && !strings.Contains(c.Name, "alias-bytes") {
			f.Add(c.Stdin)
		}
	}
	f.Add([]byte(resourceList("kserve", "true")))
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := runBytes(data)
		rl := checkResourceList(t, out)
		errs := 0
		for _, r := range rl.Results {
			if r.Severity == "error" {
				errs++
				if !r.HasField || r.FieldPath == "" {
					t.Fatalf("error result without a field path: %q", r.Message)
				}
			}
		}
		if (err != nil) != (errs > 0) {
			t.Fatalf("Run returned %v with %d error results:\n%s", err, errs, out)
		}
		rendered := renderedObjects(t, rl)
		if err != nil {
			if len(rendered) > inputRendered(data) {
				t.Fatalf("a failed run added rendered objects:\n%s", out)
			}
		} else if len(rl.Items) == 0 {
			t.Fatalf("empty success:\n%s", out)
		}

		out2, err2 := runBytes(data)
		if !bytes.Equal(out, out2) || (err == nil) != (err2 == nil) {
			t.Fatalf("two runs of the same input differ:\n%s\n---\n%s", out, out2)
		}

		if err == nil && str(get(rl.FunctionConfig, "kind")) == "Platform" {
			again, err3 := runBytes(out)
			if err3 != nil {
				t.Fatalf("the transformer fails on its own output: %v\n%s\n---\n%s", err3, out, again)
			}
			if a, b := itemsOf(t, out), itemsOf(t, again); a != b {
				t.Fatalf("the transformer changed its own output:\n%s\n---\n%s", a, b)
			}
		}
	})
}

func runBytes(data []byte) ([]byte, error) {
	var out bytes.Buffer
	_, err := fn.Run(&kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true})
	return out.Bytes(), err
}

// fuzzRL is a ResourceList read at the node level, as kustomize reads it:
// echoed input items may hold duplicate keys or aliases a Go decode
// would refuse.
type fuzzRL struct {
	APIVersion, Kind string
	Items            []*goyaml.Node
	FunctionConfig   *goyaml.Node
	Results          []fuzzResult
}

type fuzzResult struct {
	Message, Severity, FieldPath string
	HasField                     bool
}

// get returns the value of key in mapping n, or nil.
func get(n *goyaml.Node, keys ...string) *goyaml.Node {
	for _, key := range keys {
		if n == nil || n.Kind != goyaml.MappingNode {
			return nil
		}
		var next *goyaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

func str(n *goyaml.Node) string {
	if n == nil || n.Kind != goyaml.ScalarNode {
		return ""
	}
	return n.Value
}

// checkResourceList asserts out is exactly one ResourceList document.
func checkResourceList(t *testing.T, out []byte) *fuzzRL {
	t.Helper()
	dec := goyaml.NewDecoder(bytes.NewReader(out))
	var doc goyaml.Node
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout does not parse: %v\n%s", err, out)
	}
	var extra goyaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		t.Fatalf("stdout holds more than one document:\n%s", out)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("stdout is empty")
	}
	root := doc.Content[0]
	rl := &fuzzRL{APIVersion: str(get(root, "apiVersion")), Kind: str(get(root, "kind")), FunctionConfig: get(root, "functionConfig")}
	if rl.Kind != "ResourceList" || (rl.APIVersion != "config.kubernetes.io/v1" && rl.APIVersion != "config.kubernetes.io/v1alpha1") {
		t.Fatalf("stdout is %q %q, not a config.kubernetes.io/v1 ResourceList:\n%s", rl.APIVersion, rl.Kind, out)
	}
	items := get(root, "items")
	if items == nil || items.Kind != goyaml.SequenceNode {
		t.Fatalf("stdout has no items list:\n%s", out)
	}
	rl.Items = items.Content
	if rs := get(root, "results"); rs != nil {
		for _, r := range rs.Content {
			f := get(r, "field")
			rl.Results = append(rl.Results, fuzzResult{Message: str(get(r, "message")), Severity: str(get(r, "severity")),
				FieldPath: str(get(f, "path")), HasField: f != nil})
		}
	}
	return rl
}

// renderedObjects returns the items servelayer rendered (by their
// managed-by label) and asserts each has apiVersion, kind and a name.
func renderedObjects(t *testing.T, rl *fuzzRL) []*goyaml.Node {
	t.Helper()
	var out []*goyaml.Node
	for _, it := range rl.Items {
		if str(get(it, "metadata", "labels", "app.kubernetes.io/managed-by")) != "servelayer" {
			continue
		}
		out = append(out, it)
		if str(get(it, "apiVersion")) == "" || str(get(it, "kind")) == "" || str(get(it, "metadata", "name")) == "" {
			t.Fatalf("rendered object without apiVersion, kind or metadata.name: %v", it)
		}
	}
	return out
}

// inputRendered bounds how many items of the input carry servelayer's
// managed-by label (a fuzzer can write them in).
func inputRendered(data []byte) int {
	return bytes.Count(data, []byte("managed-by"))
}

// itemsOf returns a ResourceList's items as kustomize would write them.
func itemsOf(t *testing.T, out []byte) string {
	t.Helper()
	r := &kio.ByteReader{Reader: bytes.NewReader(out), OmitReaderAnnotations: true}
	items, err := r.Read()
	if err != nil {
		t.Fatalf("reading output: %v", err)
	}
	var b strings.Builder
	if err := (kio.ByteWriter{Writer: &b, KeepReaderAnnotations: true}).Write(items); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
