package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// badSpec has an unpinned oci tag and a cpu limit below its request.
const badSpec = `apiVersion: servelayer.dev/v1alpha1
kind: ServedModel
metadata: {name: qwen}
spec:
  layer: kserve
  model: {name: q, source: {oci: "registry.example.com/m/q:v1"}}
  resources: {cpu: "4", memory: 16Gi, limits: {cpu: "2"}}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRenderExitCodes(t *testing.T) {
	bad := writeFile(t, "bad.yaml", badSpec+"  bogus: 1\n")
	empty := writeFile(t, "empty.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stderr   []string
		noStdout bool
	}{
		{"ok", []string{"render", "-f", "../../examples/raw-vllm"}, 0, nil, false},
		{"layer override", []string{"render", "-f", "../../examples/raw-vllm/qwen.yaml", "--layer", "llm-d"}, 0, nil, false},
		{"unknown layer", []string{"render", "-f", "x.yaml", "--layer", "gke"}, 2, []string{`--layer "gke"`}, true},
		{"no -f", []string{"render"}, 2, []string{"-f FILE_OR_DIR is required"}, true},
		{"missing file", []string{"render", "-f", "does-not-exist.yaml"}, 2, []string{"does-not-exist.yaml"}, true},
		{"bad flag", []string{"render", "--frobnicate"}, 2, nil, true},
		{"unknown command", []string{"deploy"}, 2, []string{`unknown command "deploy"`}, true},
		{"strict decode", []string{"render", "-f", bad}, 1, []string{"spec.bogus", "unknown field"}, true},
		{"no models", []string{"render", "-f", empty}, 1, []string{"no ServedModel"}, true},
		{"name selects a model", []string{"render", "-f", "../../examples/fleet/models.yaml", "--name", "qwen", "--layer", "kserve"}, 0, nil, false},
		{"name not found", []string{"render", "-f", "../../examples/fleet/models.yaml", "--name", "nope"}, 1, []string{`--name "nope": no such ServedModel`, "found: qwen, granite, llama-pd"}, true},
		{"version", []string{"version"}, 0, nil, false},
		{"schema", []string{"schema"}, 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if tc.noStdout && stdout != "" {
				t.Errorf("stdout not empty on failure:\n%s", stdout)
			}
			if !tc.noStdout && stdout == "" {
				t.Errorf("empty stdout on success")
			}
		})
	}
}

func TestRenderListsEveryProblem(t *testing.T) {
	bad := writeFile(t, "bad.yaml", badSpec)
	code, _, stderr := runCLI(t, "", "render", "-f", bad)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		bad + ": ServedModel qwen: spec.model.source.oci: Invalid value: \"registry.example.com/m/q:v1\"",
		bad + ": ServedModel qwen: spec.resources.limits.cpu: Invalid value: \"2\"",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestFunctionExitCode proves what kyaml's framework does not: a
// ResourceList whose results hold an error exits non-zero, in a real
// process, with the results still on stdout.
func TestFunctionExitCode(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "servelayer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rl := func(cpuLimit string) string {
		return `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
functionConfig:
  apiVersion: servelayer.dev/v1alpha1
  kind: ServedModel
  metadata: {name: qwen}
  spec:
    layer: kserve
    model: {name: q, source: {pvc: {claimName: c, path: q}}}
    resources: {cpu: "4", memory: 16Gi, limits: {cpu: "` + cpuLimit + `"}}
`
	}
	for _, tc := range []struct {
		limit string
		code  int
	}{{"8", 0}, {"2", 1}} {
		cmd := exec.Command(bin)
		cmd.Stdin = strings.NewReader(rl(tc.limit))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("limits.cpu %s: exit %d, want %d\nstderr: %s", tc.limit, code, tc.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "kind: ResourceList") {
			t.Errorf("limits.cpu %s: stdout is not a ResourceList:\n%s", tc.limit, stdout.String())
		}
		if tc.code == 1 && (!strings.Contains(stdout.String(), "severity: error") || !strings.Contains(stderr.String(), "spec.resources.limits.cpu")) {
			t.Errorf("error result missing:\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
		}
	}
}

// A plan for one model of a fleet file must print render commands that
// select that model: the others may not render on the target layer.
func TestPlanRunbookSelectsTheModel(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "plan", "-f", "../../examples/fleet/models.yaml",
		"--platform", "../../examples/fleet/platform.yaml", "--name", "qwen", "--to", "kserve")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Every render command selects the model (the kubectl bring-up and the
	// Argo CD form's preview), except the LiteLLM one below.
	cmd := "servelayer render -f ../../examples/fleet/models.yaml --platform ../../examples/fleet/platform.yaml"
	want := cmd + " --name qwen --layer kserve"
	if strings.Count(stdout, want) != 2 || strings.Count(stdout, cmd) != 3 {
		t.Fatalf("the runbook's render commands do not select the model (want %q in the bring-up and the Argo CD preview, and only the LiteLLM step without it):\n%s", want, stdout)
	}
	// The fleet's Platform publishes one LiteLLM ConfigMap for every
	// model: the alias is re-pointed from the whole file, as committed.
	whole := "servelayer render -f ../../examples/fleet/models.yaml --platform ../../examples/fleet/platform.yaml | kubectl apply --server-side -l 'app.kubernetes.io/component=litellm-route' -f -"
	if !strings.Contains(stdout, whole) {
		t.Fatalf("the runbook does not re-point the alias from the whole fleet (want %q):\n%s", whole, stdout)
	}
	if code, _, stderr := runCLI(t, "", "render", "-f", "../../examples/fleet/models.yaml",
		"--platform", "../../examples/fleet/platform.yaml", "--name", "qwen", "--layer", "kserve"); code != 0 {
		t.Fatalf("the runbook's render command fails: %s", stderr)
	}
}
