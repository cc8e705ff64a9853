package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/input"
)

// selectCase is an input render reads: a model file with its Platform and
// layer override, from testdata/render or examples.
type selectCase struct {
	name, models, platform, layer string
}

func selectCases(t *testing.T) []selectCase {
	t.Helper()
	var cases []selectCase
	models, _ := filepath.Glob("../../testdata/render/*/model.yaml")
	for _, m := range models {
		dir := filepath.Dir(m)
		c := selectCase{name: filepath.Base(dir), models: m}
		if _, err := os.Stat(filepath.Join(dir, "platform.yaml")); err == nil {
			c.platform = filepath.Join(dir, "platform.yaml")
		}
		if b, err := os.ReadFile(filepath.Join(dir, "layer")); err == nil {
			c.layer = strings.TrimSpace(string(b))
		}
		cases = append(cases, c)
	}
	examples, _ := filepath.Glob("../../examples/*/")
	for _, dir := range examples {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err != nil || !strings.Contains(string(b), "kind: ServedModel") {
				continue
			}
			c := selectCase{name: "examples/" + filepath.Base(dir) + "/" + filepath.Base(f), models: f}
			if _, err := os.Stat(filepath.Join(dir, "platform.yaml")); err == nil {
				c.platform = filepath.Join(dir, "platform.yaml")
			}
			cases = append(cases, c)
		}
	}
	if len(cases) < 10 {
		t.Fatalf("found only %d inputs", len(cases))
	}
	return cases
}

// objectsOf splits a rendered stream into documents keyed by the model
// they belong to (app.kubernetes.io/name).
func objectsOf(t *testing.T, stream string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, doc := range corpus.Documents([]byte(stream)) {
		var o struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatal(err)
		}
		name := o.Metadata.Labels["app.kubernetes.io/name"]
		out[name] = append(out[name], doc)
	}
	return out
}

// TestSelectedModelRendersAsInTheFleet: `render --name X` prints exactly
// the objects the full render prints for X, and `plan --name X` moves X to
// the layer the full render chose. Layer auto's fleet rule counts the whole
// input, not the one model selected. Every golden case and example runs as
// written and with --layer auto (every model on auto).
func TestSelectedModelRendersAsInTheFleet(t *testing.T) {
	checked := 0
	for _, c := range selectCases(t) {
		for _, layer := range []string{c.layer, "auto"} {
			args := []string{"render", "-f", c.models}
			if c.platform != "" {
				args = append(args, "--platform", c.platform)
			}
			if layer != "" {
				args = append(args, "--layer", layer)
			}
			code, full, _ := runCLI(t, "", args...)
			if code != exitOK {
				continue // a failing input has no full render to compare with
			}
			in, err := input.ReadFiles([]string{c.models}, c.platform, false)
			if err != nil {
				t.Fatal(err)
			}
			_, names := input.Select(in.Models, "")
			byModel := objectsOf(t, full)
			for _, name := range names {
				t.Run(c.name+"/"+layer+"/"+name, func(t *testing.T) {
					code, one, stderr := runCLI(t, "", append(slices.Clone(args), "--name", name)...)
					if code != exitOK {
						t.Fatalf("render --name %s: exit %d: %s", name, code, stderr)
					}
					got, want := objectsOf(t, one), byModel[name]
					if len(got) != 1 || !slices.Equal(got[name], want) {
						t.Fatalf("render --name %s differs from its objects in the full render: %s", name,
							corpus.FirstDiff(strings.Join(got[name], "---\n"), strings.Join(want, "---\n")))
					}
					if layer != "auto" {
						return
					}
					// plan --name X --to auto lands where the full render put X.
					pargs := []string{"plan", "-f", c.models, "--name", name, "--from", "auto", "--to", "auto", "-o", "json"}
					if c.platform != "" {
						pargs = append(pargs, "--platform", c.platform)
					}
					_, stdout, stderr := runCLI(t, "", pargs...)
					var p struct {
						To struct{ Layer string }
					}
					if err := json.Unmarshal([]byte(stdout), &p); err != nil {
						t.Fatalf("plan: %v\n%s", err, stderr)
					}
					if wantLayer := layerLabel(t, want); p.To.Layer != wantLayer {
						t.Fatalf("plan --name %s --to auto moves it to %s; the full render put it on %s", name, p.To.Layer, wantLayer)
					}
				})
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("compared only %d selected renders", checked)
	}
}

// layerLabel returns the servelayer.dev/layer label of a model's objects.
func layerLabel(t *testing.T, docs []string) string {
	t.Helper()
	for _, d := range docs {
		var o struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(d), &o); err == nil && o.Metadata.Labels["servelayer.dev/layer"] != "" {
			return o.Metadata.Labels["servelayer.dev/layer"]
		}
	}
	t.Fatal("no object carries servelayer.dev/layer")
	return ""
}

// TestNameFromMergeKey: --name finds a model whose name comes from a YAML
// merge key, for render and plan alike.
func TestNameFromMergeKey(t *testing.T) {
	models := writeFile(t, "models.yaml", `apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata:
  <<: {name: merged}
spec: &spec
  layer: raw-vllm
  model: {name: q, source: {pvc: {claimName: c, path: q}}}
  resources: {cpu: "4", memory: 16Gi, gpus: 1}
---
<<: {apiVersion: servelayer.dev/v1alpha1, kind: ServedModel, metadata: {name: other}}
spec:
  layer: raw-vllm
  model: {name: o, source: {pvc: {claimName: c, path: o}}}
  resources: {cpu: "4", memory: 16Gi, gpus: 1}
`)
	for _, name := range []string{"merged", "other"} {
		code, stdout, stderr := runCLI(t, "", "render", "-f", models, "--name", name)
		if code != exitOK || !strings.Contains(stdout, "name: "+name+"\n") || len(objectsOf(t, stdout)) != 1 {
			t.Errorf("render --name %s: exit %d\n%s\n%s", name, code, stderr, stdout)
		}
		code, _, stderr = runCLI(t, "", "plan", "-f", models, "--name", name, "--to", "kserve")
		if code != exitOK {
			t.Errorf("plan --name %s: exit %d\n%s", name, code, stderr)
		}
	}
}
