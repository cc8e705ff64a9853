// Package corpus loads servelayer's test inputs for tests and fuzz seeds:
// the bad-input corpus in testdata/bad (see its README.md) and the valid
// specs of testdata/render and examples. It is used by tests only.
package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/yamlout"
)

// Case is one case of testdata/bad.
type Case struct {
	Name, Dir string
	// Input is the input of `render -f`. InputPath is its file, or "" when
	// the case generates its input (write Input to a file first).
	Input     []byte
	InputPath string
	// Platform is platform.yaml (nil if none), at PlatformPath.
	Platform     []byte
	PlatformPath string
	// Stdin is the function's stdin: krm.yaml, or a ResourceList built
	// from Input and Platform by ResourceListFor.
	Stdin []byte
	// Want, WantCLI and WantKRM are the substrings the error reports must
	// contain: in both modes, in the CLI only, in KRM mode only.
	Want, WantCLI, WantKRM []string
}

// LoadBad loads every case under dir (testdata/bad).
func LoadBad(dir string) ([]Case, error) {
	dirs, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, d := range dirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			continue
		}
		c, err := loadCase(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func loadCase(dir string) (Case, error) {
	c := Case{Name: filepath.Base(dir), Dir: dir}
	if g, err := os.ReadFile(filepath.Join(dir, "generate")); err == nil {
		if c.Input, err = Generate(string(g)); err != nil {
			return c, err
		}
	} else {
		c.InputPath = filepath.Join(dir, "input.yaml")
		if c.Input, err = os.ReadFile(c.InputPath); err != nil {
			return c, err
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "platform.yaml")); err == nil {
		c.Platform, c.PlatformPath = b, filepath.Join(dir, "platform.yaml")
	}
	var err error
	for _, w := range []struct {
		file string
		into *[]string
	}{{"want", &c.Want}, {"want-cli", &c.WantCLI}, {"want-krm", &c.WantKRM}} {
		if *w.into, err = readLines(filepath.Join(dir, w.file)); err != nil {
			return c, err
		}
	}
	if len(c.Want)+len(c.WantCLI) == 0 || len(c.Want)+len(c.WantKRM) == 0 {
		return c, fmt.Errorf("every case needs the substrings (field path, bad value) its errors must contain in both modes")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "krm.yaml")); err == nil {
		c.Stdin = b
	} else {
		c.Stdin = ResourceListFor(c.Input, c.Platform)
	}
	return c, nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return out, nil
}

// Generate makes an input too big to check in:
//
//   - "padding N": a valid ServedModel padded with comment lines to exactly
//     N bytes;
//   - "documents N TEXT": a valid ServedModel, then N documents TEXT;
//   - "flow N": a valid ServedModel, then a ConfigMap holding a flow list
//     of N entries;
//   - "models N": N valid ServedModels of distinct names.
func Generate(spec string) ([]byte, error) {
	const model = "apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\nmetadata: {name: qwen}\nspec:\n  layer: raw-vllm\n" +
		"  model: {name: q, source: {pvc: {claimName: c, path: q}}}\n  resources: {cpu: \"4\", memory: 16Gi}\n"
	var b bytes.Buffer
	var n int
	var text string
	switch {
	case strings.HasPrefix(spec, "documents "):
		if _, err := fmt.Sscanf(spec, "documents %d %s", &n, &text); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		b.WriteString(model)
		for range n {
			b.WriteString("---\n" + text + "\n")
		}
		return b.Bytes(), nil
	case strings.HasPrefix(spec, "flow "):
		if _, err := fmt.Sscanf(spec, "flow %d", &n); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		b.WriteString(model + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: flow}\nlist: [" + strings.Repeat("a,", n-1) + "a]\n")
		return b.Bytes(), nil
	case strings.HasPrefix(spec, "models "):
		if _, err := fmt.Sscanf(spec, "models %d", &n); err != nil {
			return nil, fmt.Errorf("generate: %w", err)
		}
		for i := range n {
			if i > 0 {
				b.WriteString("---\n")
			}
			b.WriteString(strings.Replace(model, "name: qwen", fmt.Sprintf("name: m%d", i), 1))
		}
		return b.Bytes(), nil
	}
	var size int
	if _, err := fmt.Sscanf(spec, "padding %d", &size); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	b.WriteString(model)
	line := "# " + strings.Repeat("padding ", 12) + "\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	if rest := size - b.Len(); rest > 1 {
		b.WriteString(strings.Repeat("#", rest-1) + "\n")
	}
	return b.Bytes(), nil
}

// DefaultPlatform is the transformer's functionConfig for an input with
// several documents and no Platform: every layer on, so it enforces
// nothing a render without --platform would not.
const DefaultPlatform = `apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: corpus
spec:
  features: {kserve: true, llmd: true}
`

var separatorRE = regexp.MustCompile(`\n---.*\n`)

// Documents splits a YAML stream on "---" lines, as kustomize does, and
// drops blank documents.
func Documents(in []byte) []string {
	var docs []string
	for _, d := range separatorRE.Split("\n"+string(in)+"\n", -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.Trim(d, "\n"))
		}
	}
	return docs
}

// ResourceListFor wraps an input the way kustomize hands it to the
// function: one document without a Platform is a generator's
// functionConfig; several documents (or a Platform) make a transformer
// whose items are the documents. The documents are embedded as indented
// text, so malformed YAML stays malformed.
func ResourceListFor(in, platform []byte) []byte {
	docs := Documents(in)
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n")
	if len(docs) == 1 && platform == nil {
		b.WriteString("items: []\nfunctionConfig:\n" + indent(docs[0], "  ", "  "))
		return []byte(b.String())
	}
	if len(docs) == 0 {
		b.WriteString("items: []\n")
	} else {
		b.WriteString("items:\n")
	}
	for _, d := range docs {
		b.WriteString(indent(d, "- ", "  "))
	}
	if platform == nil {
		platform = []byte(DefaultPlatform)
	}
	b.WriteString("functionConfig:\n" + indent(strings.TrimRight(string(platform), "\n"), "  ", "  "))
	return []byte(b.String())
}

func indent(doc, first, rest string) string {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		p := rest
		if i == 0 {
			p = first
		}
		lines[i] = p + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// Valid returns the valid inputs of the repository, relative to root (the
// repository root): every testdata/render case's model.yaml with its
// platform.yaml, every examples/*/*.yaml, and the near misses of the
// bad-input corpus, testdata/near-miss/*.yaml. Keys are the file paths.
func Valid(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	models, _ := filepath.Glob(filepath.Join(root, "testdata/render/*/model.yaml"))
	for _, m := range models {
		b, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		if p, err := os.ReadFile(filepath.Join(filepath.Dir(m), "platform.yaml")); err == nil {
			b = append(append(append([]byte{}, p...), "---\n"...), b...)
		}
		out[m] = b
	}
	examples, _ := filepath.Glob(filepath.Join(root, "examples/*/*.yaml"))
	nearMisses, _ := filepath.Glob(filepath.Join(root, "testdata/near-miss/*.yaml"))
	for _, e := range append(examples, nearMisses...) {
		b, err := os.ReadFile(e)
		if err != nil {
			return nil, err
		}
		out[e] = b
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no valid inputs under %s", root)
	}
	return out, nil
}

// fleetModels are the three models a generated fleet cycles through, one
// per layer, as an operator would write them (see examples/fleet).
var fleetModels = [...]string{`apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata:
  name: %[1]s
spec:
  layer: raw-vllm
  model:
    name: Qwen/Qwen2.5-0.5B-Instruct
    source:
      pvc: {claimName: cache-%[1]s, path: qwen}
  engine:
    image: vllm/vllm-openai:v0.11.0
    args: [--max-model-len=8192]
  resources: {cpu: "4", memory: 16Gi, gpus: 1}
  routing: {alias: %[1]s}
`, `apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata:
  name: %[1]s
spec:
  layer: kserve
  model:
    name: ibm-granite/granite-3.3-2b-instruct
    source:
      oci: oci://registry.example.com/models/granite@sha256:4f0c2b1a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243a
  resources: {cpu: "6", memory: 24Gi, gpus: 1}
  routing: {alias: %[1]s}
`, `apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata:
  name: %[1]s
spec:
  layer: llm-d
  model:
    name: meta-llama/Llama-3.1-8B-Instruct
    source:
      hf: meta-llama/Llama-3.1-8B-Instruct
  resources: {cpu: "8", memory: 48Gi, gpus: 1}
  disaggregation:
    prefill: {replicas: 1}
    decode: {replicas: 1}
  routing: {alias: %[1]s}
`}

// FleetPlatform enables every layer, for Fleet.
const FleetPlatform = `apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: fleet
spec:
  features: {kserve: true, llmd: true}
  kserve: {deploymentMode: Standard, modelcar: true}
`

// Fleet returns a YAML stream of n ServedModels cycling over the three
// layers, named m00000, m00001, ...
func Fleet(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, fleetModels[i%len(fleetModels)], fmt.Sprintf("m%05d", i))
	}
	return b.Bytes()
}

// FirstDiff shows the first line where two outputs differ, for test
// failures that compare whole outputs.
func FirstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return "(identical)"
}

// WriteFile writes a test file, creating its directories, and fails the
// test if it cannot.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// YAMLFloor decodes a YAML stream with go.yaml.in/yaml/v3 and encodes each
// document again, "---" between them, with one encoder per document set
// up as kyaml sets it up (2-space indent, compact sequences): the least it
// costs to read and write servelayer's output with yaml.v3, the floor a
// render of the same bytes is measured against.
func YAMLFloor(w io.Writer, data []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var n yaml.Node
		if err := dec.Decode(&n); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if err := yamlout.Encode(w, &n); err != nil {
			return err
		}
	}
}

// Allocated returns how many bytes f allocates (the whole process's
// allocations while f runs: call it from a test that runs alone).
func Allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
