package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/corpus"
)

const (
	fleetModels   = "../../examples/fleet/models.yaml"
	fleetPlatform = "../../examples/fleet/platform.yaml"
	fleetExtras   = "../../examples/fleet/namespaces.yaml"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fleetResourceList is the fleet example as kustomize hands it to the
// transformer: the namespace and the models as items, the Platform as
// functionConfig.
func fleetResourceList(t *testing.T, models []byte) []byte {
	t.Helper()
	in := append(append(mustRead(t, fleetExtras), "\n---\n"...), models...)
	return corpus.ResourceListFor(in, mustRead(t, fleetPlatform))
}

// TestRenderIsDeterministic renders the fleet example 50 times through the
// CLI and 50 times through the function, in process and through the
// binary, and requires byte-identical output every time.
func TestRenderIsDeterministic(t *testing.T) {
	const runs = 50
	rl := fleetResourceList(t, mustRead(t, fleetModels))
	args := []string{"render", "-f", fleetModels, "--platform", fleetPlatform}
	bin := builtBinary(t)
	for _, mode := range []struct {
		name string
		run  func() (int, string, string)
	}{
		{"cli", func() (int, string, string) { return runCLI(t, "", args...) }},
		{"krm", func() (int, string, string) { return runCLI(t, string(rl)) }},
		{"cli-binary", func() (int, string, string) { return runBinary(t, bin, nil, args...) }},
		{"krm-binary", func() (int, string, string) { return runBinary(t, bin, rl) }},
	} {
		t.Run(mode.name, func(t *testing.T) {
			var first string
			for i := range runs {
				code, out, stderr := mode.run()
				if code != 0 || out == "" {
					t.Fatalf("run %d: exit %d, %d bytes\n%s", i, code, len(out), stderr)
				}
				if i == 0 {
					first = out
				} else if out != first {
					t.Fatalf("run %d differs from run 0:\n%s", i, corpus.FirstDiff(first, out))
				}
			}
		})
	}
}

// TestInputOrderDoesNotMatter shuffles the order of the models and of the
// keys inside every mapping of their YAML, and requires the same rendered
// objects, in the same order, byte for byte: through the CLI (its whole
// output) and the function (the objects it rendered; items it passes
// through keep their input order).
func TestInputOrderDoesNotMatter(t *testing.T) {
	for name, src := range map[string]string{"examples-fleet": fleetModels, "golden-fleet": "../../testdata/render/fleet/model.yaml"} {
		t.Run(name, func(t *testing.T) {
			docs := corpus.Documents(mustRead(t, src))
			if len(docs) < 3 {
				t.Fatalf("%s has %d models, want a fleet", src, len(docs))
			}
			wantCLI, wantKRM := renderBoth(t, strings.Join(docs, "\n---\n")+"\n")
			rng := rand.New(rand.NewPCG(1, 2))
			changed := 0
			for i := range 20 {
				shuffled := make([]string, len(docs))
				for j, k := range rng.Perm(len(docs)) {
					shuffled[j] = shuffleKeys(t, docs[k], rng)
				}
				in := strings.Join(shuffled, "\n---\n") + "\n"
				if in != strings.Join(docs, "\n---\n")+"\n" {
					changed++
				}
				gotCLI, gotKRM := renderBoth(t, in)
				if gotCLI != wantCLI {
					t.Errorf("shuffle %d: the CLI output changed:\n%s\ninput:\n%s", i, corpus.FirstDiff(wantCLI, gotCLI), in)
				}
				if gotKRM != wantKRM {
					t.Errorf("shuffle %d: the function's rendered objects changed:\n%s\ninput:\n%s", i, corpus.FirstDiff(wantKRM, gotKRM), in)
				}
			}
			if changed == 0 {
				t.Fatal("no shuffle changed the input: the test would prove nothing")
			}
		})
	}
}

// renderBoth renders a fleet with the fleet Platform through the CLI (its
// stdout) and the transformer (its rendered objects, re-serialized).
func renderBoth(t *testing.T, models string) (cli, krm string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "models.yaml")
	if err := os.WriteFile(f, []byte(models), 0o644); err != nil {
		t.Fatal(err)
	}
	code, cli, stderr := runCLI(t, "", "render", "-f", f, "--platform", fleetPlatform)
	if code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	var out bytes.Buffer
	if code := run(nil, bytes.NewReader(fleetResourceList(t, []byte(models))), &out, io.Discard); code != 0 {
		t.Fatalf("function: exit %d\n%s", code, out.String())
	}
	parseResourceList(t, "KRM", out.String())
	var doc yaml.Node
	if err := yaml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// Read the items as nodes: their key order is part of the output.
	var b strings.Builder
	for _, it := range mapValue(doc.Content[0], "items").Content {
		if mapValue(mapValue(mapValue(it, "metadata"), "labels"), "app.kubernetes.io/managed-by").Value != "servelayer" {
			continue
		}
		y, err := yaml.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	if b.Len() == 0 {
		t.Fatalf("the function rendered nothing:\n%s", out.String())
	}
	return cli, b.String()
}

// mapValue returns the value of key in a mapping node, or an empty node.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	return &yaml.Node{}
}

// shuffleKeys reorders the keys of every mapping in a YAML document.
func shuffleKeys(t *testing.T, doc string, rng *rand.Rand) string {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			pairs := len(n.Content) / 2
			perm := rng.Perm(pairs)
			content := make([]*yaml.Node, 0, len(n.Content))
			for _, p := range perm {
				content = append(content, n.Content[2*p], n.Content[2*p+1])
			}
			n.Content = content
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(out), "\n")
}
