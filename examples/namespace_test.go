package examples

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// kustomize's namespace: against servelayer's rendered URLs. kustomize
// runs a kustomization's generators, then its builtin transformers
// (namespace: among them), then the transformers: it lists; an overlay
// runs its own after the base is built. So namespace: reaches the
// ServedModels before servelayer renders them only when servelayer runs
// as a transformer of the same kustomization; in every other order it
// would move rendered objects, and servelayer's namespace guard (fn/guard.go)
// must stop the build with what to do.
var namespaceCases = []struct {
	name  string
	files map[string]string // written under examples/; "@path" copies examples/path
	dir   string            // built
	ok    bool
}{
	{name: "generator", dir: "ns-generator", files: map[string]string{
		"ns-generator/kustomization.yaml": "namespace: team-a\ngenerators:\n- qwen.yaml\n",
		"ns-generator/qwen.yaml":          "@raw-vllm/qwen.yaml",
	}},
	{name: "namespace transformer config", dir: "ns-transformer-config", files: map[string]string{
		"ns-transformer-config/kustomization.yaml": "generators:\n- qwen.yaml\ntransformers:\n- ns.yaml\n",
		"ns-transformer-config/qwen.yaml":          "@raw-vllm/qwen.yaml",
		"ns-transformer-config/ns.yaml": "apiVersion: builtin\nkind: NamespaceTransformer\nmetadata: {name: ns, namespace: team-a}\n" +
			"fieldSpecs:\n- {path: metadata/namespace, create: true}\n",
	}},
	{name: "transformer", dir: "ns-fleet", ok: true, files: map[string]string{
		"ns-fleet/kustomization.yaml": "namespace: team-a\nresources:\n- models.yaml\ntransformers:\n- platform.yaml\n",
		"ns-fleet/models.yaml":        "@fleet/models.yaml",
		"ns-fleet/platform.yaml":      "@fleet/platform.yaml",
	}},
	{name: "overlay over the transformer", dir: "ns-overlay", files: map[string]string{
		"ns-overlay/kustomization.yaml": "namespace: team-a\nresources:\n- ../fleet\n",
	}},
}

func writeCase(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(root, "examples", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if from, ok := strings.CutPrefix(text, "@"); ok {
			b, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			text = string(b)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var apiBase = regexp.MustCompile(`api_base: (\S+)`)

// checkNamespaceBuild holds one build's outcome to the case.
func checkNamespaceBuild(t *testing.T, ok bool, out []byte, err error) {
	t.Helper()
	if !ok {
		if err == nil {
			t.Fatalf("the build succeeded, and its api_base would name the old namespace:\n%s", apiBase.FindAll(out, -1))
		}
		for _, want := range []string{"namespace transformation produces ID conflict", "NamespaceGuard",
			"Set metadata.namespace on the ServedModel instead", "servelayer's Platform under transformers:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal does not say %q:\n%v", want, err)
			}
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	bases := apiBase.FindAllSubmatch(out, -1)
	if len(bases) != 3 {
		t.Fatalf("%d api_base entries, want 3:\n%s", len(bases), out)
	}
	for _, b := range bases {
		if u := string(b[1]); !strings.Contains(u, ".team-a:") && !strings.Contains(u, "/team-a/") {
			t.Errorf("api_base %s does not follow namespace: team-a", u)
		}
	}
	if !bytes.Contains(out, []byte("name: litellm-config\n  namespace: litellm\n")) {
		t.Errorf("the LiteLLM ConfigMap left LiteLLM's namespace:\n%s", out)
	}
	if bytes.Contains(out, []byte("NamespaceGuard")) {
		t.Errorf("a namespace guard reached the output:\n%s", out)
	}
}

func TestKustomizeNamespaceKrusty(t *testing.T) {
	root := workspace(t)
	for _, tc := range namespaceCases {
		t.Run(tc.name, func(t *testing.T) {
			writeCase(t, root, tc.files)
			out, err := krustyBuild(filepath.Join(root, "examples", tc.dir))
			checkNamespaceBuild(t, tc.ok, out, err)
		})
	}
}

func TestKustomizeNamespaceCLI(t *testing.T) {
	kz := kustomizeCLI(t)
	root := workspace(t)
	for _, tc := range namespaceCases {
		t.Run(tc.name, func(t *testing.T) {
			writeCase(t, root, tc.files)
			cmd := exec.Command(kz, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(root, "examples", tc.dir))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				err = &cliError{err, stderr.String()}
			}
			checkNamespaceBuild(t, tc.ok, out, err)
		})
	}
}

type cliError struct {
	err    error
	stderr string
}

func (e *cliError) Error() string { return e.err.Error() + ": " + e.stderr }
