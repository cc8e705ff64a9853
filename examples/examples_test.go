// Package examples holds the kustomize examples; its tests build each one
// with kustomize in-process (krusty) and with the real kustomize CLI.
package examples

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var update = flag.Bool("update", false, "rewrite testdata/examples/*.yaml")

// builtBinary is the servelayer binary TestMain builds once.
var builtBinary string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "servelayer-examples")
	if err != nil {
		panic(err)
	}
	builtBinary = filepath.Join(dir, "servelayer")
	out, err := exec.Command("go", "build", "-o", builtBinary, "../cmd/servelayer").CombinedOutput()
	code := 1
	if err != nil {
		os.Stderr.Write(out)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// workspace copies the examples and a freshly built binary into a temp
// dir laid out like the repo, so the examples' exec path
// (../../bin/servelayer) resolves. Exec functions need a real on-disk
// root: krusty's in-memory filesystem cannot chdir.
func workspace(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	binary, err := os.ReadFile(builtBinary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "servelayer"), binary, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{".", "../testdata/invalid-examples"} {
		if err := os.CopyFS(filepath.Join(root, "examples"), os.DirFS(src)); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
	}
	return root
}

func exampleNames(t *testing.T) []string {
	t.Helper()
	var names []string
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) < 5 {
		t.Fatalf("expected at least 5 examples, found %v", names)
	}
	return names
}

func krustyBuild(dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy // what the kustomize CLI does by default
	opts.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	opts.PluginConfig.FnpLoadingOptions.EnableExec = true
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

func TestKrustyBuildsEveryExample(t *testing.T) {
	root := workspace(t)
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			got, err := krustyBuild(filepath.Join(root, "examples", name))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name, got)
		})
	}
}

// kustomizeCLI is the pinned kustomize binary that `make tools` installs.
func kustomizeCLI(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUSTOMIZE")
	if p == "" {
		p, _ = filepath.Abs("../bin/kustomize")
	}
	out, err := exec.Command(p, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("kustomize CLI not runnable at %s (run `make tools`): %v", p, err)
	}
	if !strings.Contains(string(out), "v5.8.2") {
		t.Fatalf("kustomize at %s is %q, want v5.8.2 (run `make tools`)", p, strings.TrimSpace(string(out)))
	}
	return p
}

func TestKustomizeCLIBuildsEveryExample(t *testing.T) {
	kz := kustomizeCLI(t)
	root := workspace(t)
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(kz, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(root, "examples", name))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			got, err := cmd.Output()
			if err != nil {
				t.Fatalf("kustomize build: %v\n%s", err, stderr.String())
			}
			want, err := os.ReadFile(goldenPath(name))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("kustomize CLI output differs from %s (-want +got):\n%s", goldenPath(name), diff)
			}
		})
	}
}

func TestInvalidExampleFailsTheBuild(t *testing.T) {
	kz := kustomizeCLI(t)
	root := workspace(t)
	dir := filepath.Join(root, "examples", "bad-limits")

	cmd := exec.Command(kz, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		t.Fatalf("kustomize build of an invalid spec succeeded:\n%s", out)
	}
	for _, want := range []string{"spec.resources.limits.cpu", `"2"`, "must be at least the request"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not name %s:\n%s", want, stderr.String())
		}
	}
	if len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("a failed build printed manifests:\n%s", out)
	}

	if _, err := krustyBuild(dir); err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("krusty build of an invalid spec: got %v, want the function's non-zero exit", err)
	}
}

// TestExecSkippedWithoutEnableExec documents a kustomize trap the README
// warns about: without --enable-exec the function silently does not run.
func TestExecSkippedWithoutEnableExec(t *testing.T) {
	kz := kustomizeCLI(t)
	root := workspace(t)
	out, err := exec.Command(kz, "build", "--enable-alpha-plugins", filepath.Join(root, "examples", "raw-vllm")).CombinedOutput()
	if err == nil && bytes.Contains(out, []byte("kind: Deployment")) {
		t.Fatalf("kustomize ran the exec function without --enable-exec; update the README")
	}
}

func goldenPath(name string) string { return filepath.Join("..", "testdata", "examples", name+".yaml") }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := goldenPath(name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make golden` and review the diff)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestTabFirstStringsSurviveKustomize builds a model whose env value is a
// multi-line string starting with a tab. yaml.v3 writes such a string in a
// literal block no reader accepts; servelayer must write it so that
// kustomize reads it, and kustomize must pass it on readable.
func TestTabFirstStringsSurviveKustomize(t *testing.T) {
	kz := kustomizeCLI(t)
	root := workspace(t)
	dir := filepath.Join(root, "examples", "tab-env")
	spec, err := os.ReadFile(filepath.Join(root, "examples", "raw-vllm", "qwen.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const value = "\tx\n  y\n"
	if bytes.Count(spec, []byte("\n  engine:\n")) != 1 {
		t.Fatalf("examples/raw-vllm/qwen.yaml changed shape: put the env elsewhere\n%s", spec)
	}
	spec = bytes.Replace(spec, []byte("\n  engine:\n"), []byte("\n  engine:\n    env:\n    - {name: ODD, value: \"\\tx\\n  y\\n\"}\n"), 1)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"qwen.yaml": spec, "kustomization.yaml": []byte("generators:\n- qwen.yaml\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	viaKrusty, err := krustyBuild(dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kz, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	viaCLI, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build: %v\n%s", err, stderr.String())
	}
	for name, out := range map[string][]byte{"krusty": viaKrusty, "kustomize CLI": viaCLI} {
		found := false
		for _, doc := range bytes.Split(out, []byte("\n---\n")) {
			var d struct {
				Kind string `yaml:"kind"`
				Spec struct {
					Template struct {
						Spec struct {
							Containers []struct {
								Env []struct{ Name, Value string } `yaml:"env"`
							} `yaml:"containers"`
						} `yaml:"spec"`
					} `yaml:"template"`
				} `yaml:"spec"`
			}
			if err := yaml.Unmarshal(doc, &d); err != nil {
				t.Fatalf("%s: output does not read back: %v\n%s", name, err, out)
			}
			for _, c := range d.Spec.Template.Spec.Containers {
				for _, e := range c.Env {
					if e.Name == "ODD" {
						found = true
						if e.Value != value {
							t.Errorf("%s: ODD = %q, want %q", name, e.Value, value)
						}
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no ODD env in\n%s", name, out)
		}
	}
}
