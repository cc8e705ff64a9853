package yamlout

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/internal/k8s"
)

// reference writes v as servelayer wrote it before this package: its JSON
// form as a yaml.Node (Node), encoded by go.yaml.in/yaml/v3 with kyaml's
// settings, one Encoder for the document.
func reference(t testing.TB, v any, listItem bool) []byte {
	t.Helper()
	n, err := Node(v)
	if err != nil {
		t.Fatal(err)
	}
	if listItem {
		n = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n}}
	}
	var buf bytes.Buffer
	if err := Encode(&buf, &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compare requires both writers to write what the reference writes, and
// kyaml's kio reader to read back what encoding/json writes of v.
func compare(t *testing.T, v any) {
	t.Helper()
	for _, listItem := range []bool{false, true} {
		want := reference(t, v, listItem)
		got, err := appendDoc([]byte("#"), v, listItem)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != '#' {
			t.Fatal("the output does not start where the buffer ended")
		}
		if got := string(got[1:]); got != string(want) {
			t.Fatalf("listItem=%v: %#v\nwant:\n%s\ngot:\n%s", listItem, v, want, got)
		}
	}
	readBack(t, v)
}

// readBack parses AppendDocument's output with kio.ByteReader and compares
// the item, as JSON, with encoding/json's output for v.
func readBack(t *testing.T, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(want))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	if _, ok := tree.(map[string]any); !ok || yamlV3CannotReadBack(tree) {
		return // kio reads Kubernetes objects: mappings
	}
	out, err := AppendDocument(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	items, err := (&kio.ByteReader{Reader: bytes.NewReader(out), OmitReaderAnnotations: true, PreserveSeqIndent: false}).Read()
	if err != nil {
		t.Fatalf("kio cannot read\n%s\n%v", out, err)
	}
	if len(items) != 1 {
		t.Fatalf("kio read %d items from\n%s", len(items), out)
	}
	got, err := items[0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, got, want) {
		t.Fatalf("kio read back\n%s\nwant\n%s\nfrom\n%s", got, want, out)
	}
}

// yamlV3CannotReadBack reports values (their JSON form decoded) that
// go.yaml.in/yaml/v3 writes in a form that neither it nor kio reads back as
// written. The bytes are still yaml.v3's (compare checks them); reading
// them back is what fails:
//   - a map key "<<" is written plain (yaml.v3's resolver never looks "<"
//     up) and read back as a merge key. Manifests have none: their map keys
//     are label keys, annotation keys and resource names, all validated;
//   - an integer past int64 that fits uint64 is a float to Node (the JSON
//     path) and an int to the resolver, so yaml.v3 writes it tagged
//     "!!float", which it then refuses to read. Only a pod template
//     could hold one, and Kubernetes would refuse it.
func yamlV3CannotReadBack(v any) bool {
	switch v := v.(type) {
	case json.Number:
		_, err := v.Int64()
		return err != nil && resolve(v.String()) == intKind
	case []any:
		return slices.ContainsFunc(v, yamlV3CannotReadBack)
	case map[string]any:
		for k, x := range v {
			if k == "<<" || yamlV3CannotReadBack(x) {
				return true
			}
		}
	}
	return false
}

// sameJSON compares two JSON values, numbers as float64 (how a YAML
// reader reads a number written from a JSON float).
func sameJSON(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// tricky are strings that exercise every style and escape of the emitter.
var tricky = []string{
	"", " ", "a", "a b", "  a", "a ", "\n", "a\n", "a\nb", "a\n\nb\n", "a\nb\n\n", "\na", " \na", "a \nb", "a\n b",
	"\r", "a\rb", "\t", "a\tb", "\x00", "a\x7fb", "\x1b", "#a", "a #b", "a#b", "a: b", "a:b", "a:", ":a", "? a", "- a", "-a", "-",
	"---", "...", "--- a", "'", "a'b", "\"", "a\"b", "\\", "[a]", "{a}", "a,b", "&a", "*a", "!a", "|", ">", "%a", "@a", "`a",
	"true", "True", "false", "FALSE", "yes", "no", "on", "off", "y", "n", "null", "Null", "~", "<<", "=",
	"0", "1", "-1", "+1", "1.5", ".5", "1e3", "1_000", "0x1F", "0o17", "017", "0b101", "-0b1", "-0o7", "1.", ".inf", "-.Inf", ".nan",
	"2024-01-01", "2024-1-2", "2001-12-14t21:59:43.10-05:00", "2024-01-01 10:00:00", "2024-01-01 10:00:00,5", "2024-01-01T10:00:00,5Z", "2024-13-45", "12:30", "1:20:30",
	"é", "日本", "a\u2028b", "\u2029", "a\u0085b", "\u00a0", "a\u00a0b", "\ufeff", "\ufeffa", "a\ufeff", "\uFFFE", "\U0001F600",
	"\xff", "a\xc3", "\xed\xa0\x80", "Qwen/Qwen2.5-0.5B-Instruct", "--max-model-len=8192", "100m", "16Gi", "4",
	strings.Repeat("k", 128), strings.Repeat("k", 129), strings.Repeat("long words ", 20),
	"\tx\ny", "\t\n", "\t a\n\tb\n", " \tx\ny", "a\n\tb",
	"if [ ! -f /models/q/config.json ]; then\n  echo \"x\" >&2\n  exit 1\nfi\necho done",
}

func TestTrickyStrings(t *testing.T) {
	for _, s := range tricky {
		compare(t, map[string]string{"k": s})
		compare(t, map[string]string{s: "v"})
		compare(t, struct {
			Seq []string                     `json:"seq"`
			M   map[string]map[string]string `json:"m"`
		}{[]string{s, "x"}, map[string]map[string]string{"a": {s: s}}})
		compare(t, []map[string]string{{s: s, "b": s}})
		compare(t, [][]string{{s}, {s, s}})
		compare(t, k8s.Container{Name: s, Args: []string{s}, Command: []string{"sh", "-c", s}})
	}
}

func TestShapes(t *testing.T) {
	for _, v := range []any{
		map[string]string{}, []string{}, map[string]string(nil), []string(nil), struct{}{}, &struct{}{}, (*struct{})(nil),
		map[string][]string{"a": {}, "b": nil, "c": {"x"}}, [][]string{{}, nil, {"a"}},
		[]map[string]string{{}, nil, {"a": "b"}}, map[string]map[string]string{"a": {}, "b": nil},
		k8s.LLMRouter{Route: &struct{}{}, Scheduler: &k8s.LLMScheduler{}}, k8s.LLMRouter{},
		k8s.Volume{Name: "tmp", EmptyDir: &k8s.EmptyDirVolumeSource{}},
		k8s.Probe{}, k8s.DeploymentSpec{}, k8s.PodSpec{Containers: []k8s.Container{}},
		struct {
			A int64
			B uint32
			C bool
			D *int32
		}{A: math.MinInt64, B: math.MaxUint32, C: true},
	} {
		compare(t, v)
	}
}

// TestFromJSONForm: what the writer does not read itself is written from
// its JSON form, with yaml.v3's bytes still.
func TestFromJSONForm(t *testing.T) {
	for _, v := range []any{1.5, map[int]string{1: "a", 10: "b", 2: "c"}, []byte("x"), struct{ F any }{}, struct{ F any }{F: []any{1, "x"}}, json.RawMessage("{}"), struct {
		A int `json:"a,string"`
	}{A: 5}, json.RawMessage(`{"a": 1.5, "b": [1, 2.5e300, 18446744073709551615, -0.0, 1E5, true, null, "x\ny", "0x1F"], "c": {}, "d": [], "": {"e": "-"}}`),
		json.RawMessage(`[1, {"a": [[]]}]`), json.RawMessage(`"2024-01-01"`), json.RawMessage(`12345678901234567890`)} {
		compare(t, v)
	}
}

// manifests are the typed manifests servelayer renders, zero and filled
// by the fuzzer.
var manifests = []func() any{
	func() any { return new(k8s.Deployment) },
	func() any { return new(k8s.Service) },
	func() any { return new(k8s.PersistentVolumeClaim) },
	func() any { return new(k8s.ConfigMap) },
	func() any { return new(k8s.InferenceService) },
	func() any { return new(k8s.LLMInferenceService) },
	func() any { return new(k8s.PodDisruptionBudget) },
	func() any { return new(map[string][]map[string]string) },
	func() any { return new([][]string) },
}

func TestManifestTypesSupported(t *testing.T) {
	for _, m := range manifests {
		if err := jsonDialect.check(reflect.TypeOf(m())); err != nil {
			t.Error(err)
		}
	}
}

// filler fills a value from fuzz bytes: nil or set pointers, nil, empty or
// short slices and maps, and strings built from the tricky pieces or from
// the raw bytes.
type filler struct{ data []byte }

func (f *filler) next() byte {
	if len(f.data) == 0 {
		return 0
	}
	b := f.data[0]
	f.data = f.data[1:]
	return b
}

func (f *filler) str() string {
	n := int(f.next() % 4)
	var b strings.Builder
	for range n {
		c := f.next()
		if c < 200 {
			b.WriteString(tricky[int(c)%len(tricky)])
			continue
		}
		k := int(f.next() % 16)
		for range k {
			b.WriteByte(f.next())
		}
	}
	return b.String()
}

func (f *filler) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if f.next()%3 == 0 || depth > 12 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), depth+1)
	case reflect.String:
		v.SetString(f.str())
	case reflect.Bool:
		v.SetBool(f.next()%2 == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var x int64
		for range 8 {
			x = x<<8 | int64(f.next())
		}
		if f.next()%2 == 0 {
			x %= 1000
		}
		v.SetInt(x)
		if v.Int() != x {
			v.SetInt(x % 100000)
		}
	case reflect.Slice:
		switch c := f.next() % 5; {
		case c == 0 || depth > 12:
		case c == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := int(c - 1)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				f.fill(v.Index(i), depth+1)
			}
		}
	case reflect.Map:
		switch c := f.next() % 5; {
		case c == 0 || depth > 12:
		case c == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for range int(c - 1) {
				e := reflect.New(v.Type().Elem()).Elem()
				f.fill(e, depth+1)
				v.SetMapIndex(reflect.ValueOf(f.str()), e)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i), depth+1)
			}
		}
	}
}

// FuzzWriter fills every manifest type from the fuzz input and requires
// the writers to write the reference's bytes and kio to read them back.
func FuzzWriter(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("servelayer"))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 255}, 40))
	for i := range tricky {
		f.Add([]byte{1, 1, 1, 1, 3, byte(i), byte(i + 1), byte(i + 2)})
	}
	f.Add([]byte(`{"spec": {"x": [1.5, {"y": 18446744073709551615}], "z": "yes"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if json.Valid(data) {
			// JSON as a manifest patched by a pod template is: its JSON
			// form written as it is.
			compare(t, json.RawMessage(data))
		}
		fl := &filler{data: data}
		for _, m := range manifests {
			v := m()
			fl.fill(reflect.ValueOf(v).Elem(), 0)
			compare(t, v)
		}
	})
}

// FuzzScalar checks the fast paths against what they shortcut: a simple
// value's analysis against the emitter's full analysis, and the resolver
// against go.yaml.in/yaml/v3 reading the value as a plain scalar.
func FuzzScalar(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = validUTF8(s)
		if a, ok := analyzeSimple(s); ok && a != analyzeScalar(s) {
			t.Fatalf("%q: fast analysis %+v, full %+v", s, a, analyzeScalar(s))
		}
		if !analyzeScalar(s).blockPlainAllowed || s == "" || s == "<<" {
			return // "<<": the encoder's resolver calls it a string, the reader a merge key
		}
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.ScalarNode || n.Content[0].Value != s {
			return // not one plain scalar when read on its own
		}
		if got, want := resolvesToString(s), n.Content[0].Tag == "!!str"; got != want {
			t.Fatalf("%q: resolvesToString %v, yaml.v3 reads it as %s", s, got, n.Content[0].Tag)
		}
	})
}

// Shapes AppendMarshal writes: render's LiteLLM model_list entry, and more.
type (
	mEntry struct {
		ModelName string  `yaml:"model_name"`
		Params    mParams `yaml:"litellm_params"`
	}
	mParams struct {
		Model   string `yaml:"model"`
		APIBase string `yaml:"api_base"`
	}
	mMore struct {
		List    []string  `yaml:"list"`
		Entries []mEntry  `yaml:"entries"`
		N       *int32    `yaml:"n"`
		B       bool      `yaml:"b"`
		Empty   struct{}  `yaml:"empty"`
		Nested  [][]int64 `yaml:"nested"`
	}
)

func compareMarshal(t *testing.T, v any) {
	t.Helper()
	got, err := AppendMarshal(nil, v)
	if yamlV3Binary(reflect.ValueOf(v)) {
		if err == nil {
			t.Fatalf("%#v: invalid UTF-8 written without an error", v)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if hasTabFirst(reflect.ValueOf(v)) {
		// yaml.v3 writes such a string unreadably (tabFirstLines):
		// yaml.v3 must read back what was written instead.
		back := reflect.New(reflect.TypeOf(v))
		if err := yaml.Unmarshal(got, back.Interface()); err != nil {
			t.Fatalf("%#v: %v\n%s", v, err, got)
		}
		var a, b bytes.Buffer // equal values, nil or empty alike
		if err := Encode(&a, back.Elem().Interface()); err != nil {
			t.Fatal(err)
		}
		if err := Encode(&b, v); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Fatalf("%#v: read back as %#v\n%s", v, back.Elem().Interface(), got)
		}
		return
	}
	var want bytes.Buffer
	if err := Encode(&want, v); err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Fatalf("%#v\nwant:\n%s\ngot:\n%s", v, want.String(), got)
	}
}

// hasTabFirst reports a tabFirstLines string anywhere in v.
func hasTabFirst(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return tabFirstLines(v.String())
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && hasTabFirst(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if hasTabFirst(v.Index(i)) {
				return true
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && hasTabFirst(v.Field(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if hasTabFirst(it.Key()) || hasTabFirst(it.Value()) {
				return true
			}
		}
	}
	return false
}

// yamlV3Binary reports a string yaml.v3 would write as !!binary.
func yamlV3Binary(v reflect.Value) bool {
	_, bad := invalidUTF8(v)
	return bad
}

func TestMarshal(t *testing.T) {
	for _, s := range tricky {
		compareMarshal(t, []mEntry{{ModelName: s, Params: mParams{Model: "hosted_vllm/" + s, APIBase: s}}})
		compareMarshal(t, mMore{List: []string{s, "yes", "on", "1:20", "190:20:30.15"}})
	}
	compareMarshal(t, mMore{})
	compareMarshal(t, &mMore{Entries: []mEntry{}, Nested: [][]int64{{}, nil, {1, -2}}})
	for _, v := range []any{map[string]string{}, 1.5, struct{ A string }{}, struct {
		A string `yaml:"a,omitempty"`
	}{}, struct {
		A string `yaml:"a"`
		B string `yaml:"a"`
	}{}} {
		if _, err := AppendMarshal(nil, v); err == nil {
			t.Errorf("%T: no error", v)
		}
	}
}

// FuzzMarshal fills the shapes AppendMarshal writes from the fuzz input
// and requires yaml.v3's bytes.
func FuzzMarshal(f *testing.F) {
	f.Add([]byte("servelayer"))
	for i := range tricky {
		f.Add([]byte{2, 3, byte(i), 3, byte(i + 1), 3, byte(i + 2)})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl := &filler{data: data}
		for _, v := range []any{new([]mEntry), new(mMore)} {
			fl.fill(reflect.ValueOf(v).Elem(), 0)
			compareMarshal(t, v)
		}
	})
}
