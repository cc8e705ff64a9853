package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlanCLIGolden runs every case under testdata/plan through the CLI,
// from the repository root as the cases' paths are written, and compares
// stdout with the golden plans render's TestPlanGolden writes (go test
// ./render -update). The exit code follows the plan: 0 ready, 1 blocked
// or no plan.
func TestPlanCLIGolden(t *testing.T) {
	t.Chdir("../..")
	cases, _ := filepath.Glob("testdata/plan/*/args")
	if len(cases) == 0 {
		t.Fatal("no plan cases")
	}
	for _, a := range cases {
		dir := filepath.Dir(a)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			b, err := os.ReadFile(a)
			if err != nil {
				t.Fatal(err)
			}
			args := append([]string{"plan"}, strings.Fields(string(b))...)
			if want, err := os.ReadFile(filepath.Join(dir, "error.txt")); err == nil {
				code, stdout, stderr := runCLI(t, "", args...)
				if code != exitInvalid || stdout != "" {
					t.Fatalf("exit %d, stdout %q; want exit 1 and no plan", code, stdout)
				}
				for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
					if _, msg, _ := strings.Cut(line, ": "); !strings.Contains(stderr, msg) {
						t.Errorf("stderr lacks %q:\n%s", msg, stderr)
					}
				}
				return
			}
			wantJSON, err := os.ReadFile(filepath.Join(dir, "plan.json"))
			if err != nil {
				t.Fatal(err)
			}
			var plan struct {
				Ready bool `json:"ready"`
			}
			if err := json.Unmarshal(wantJSON, &plan); err != nil {
				t.Fatal(err)
			}
			wantCode := exitOK
			if !plan.Ready {
				wantCode = exitInvalid
			}
			wantText, _ := os.ReadFile(filepath.Join(dir, "plan.txt"))
			for _, out := range []struct {
				extra []string
				want  []byte
			}{{nil, wantText}, {[]string{"-o", "json"}, wantJSON}} {
				code, stdout, stderr := runCLI(t, "", append(args, out.extra...)...)
				if code != wantCode {
					t.Errorf("%v: exit %d, want %d\nstderr: %s", out.extra, code, wantCode, stderr)
				}
				if diff := cmp.Diff(string(out.want), stdout); diff != "" {
					t.Errorf("%v: stdout differs from the golden plan (-want +got):\n%s", out.extra, diff)
				}
				if wantCode == exitInvalid && !strings.Contains(stderr, "is blocked:") {
					t.Errorf("a blocked plan must say why on stderr:\n%s", stderr)
				}
				if wantCode == exitOK && stderr != "" {
					t.Errorf("stderr on success: %s", stderr)
				}
			}
		})
	}
}

func TestPlanExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\nmetadata: {name: qwen}\nspec: {layer: raw-vllm, bogus: 1}\n"), 0o644)
	none := filepath.Join(dir, "none.yaml")
	os.WriteFile(none, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), 0o644)
	const qwen = "../../examples/raw-vllm/qwen.yaml"
	const fleet = "../../examples/fleet/models.yaml"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"ready", []string{"-f", qwen, "--to", "kserve"}, 0, ""},
		{"json", []string{"-f", qwen, "--to", "llm-d", "-o", "json"}, 0, ""},
		{"auto", []string{"-f", qwen, "--to", "auto"}, 0, ""},
		{"from a fleet file", []string{"-f", fleet, "--name", "qwen", "--to", "kserve"}, 0, ""},
		{"no --to", []string{"-f", qwen}, 2, "--to LAYER is required"},
		{"no -f", []string{"--to", "kserve"}, 2, "-f MODEL is required"},
		{"bad --to", []string{"-f", qwen, "--to", "gke"}, 2, `--to "gke" is not one of raw-vllm, kserve, llm-d, auto`},
		{"bad --from", []string{"-f", qwen, "--from", "gke", "--to", "kserve"}, 2, `--from "gke"`},
		{"bad -o", []string{"-f", qwen, "--to", "kserve", "-o", "yaml"}, 2, `-o "yaml" is not one of text, json`},
		{"stray argument", []string{"-f", qwen, "--to", "kserve", "extra"}, 2, `unexpected argument "extra"`},
		{"bad flag", []string{"--frobnicate"}, 2, ""},
		{"missing file", []string{"-f", "does-not-exist.yaml", "--to", "kserve"}, 2, "does-not-exist.yaml"},
		{"several models, no --name", []string{"-f", fleet, "--to", "kserve"}, 2, "found 3 ServedModels in ../../examples/fleet/models.yaml (qwen, granite, llama-pd): pick one with --name"},
		{"unknown --name", []string{"-f", fleet, "--name", "mistral", "--to", "kserve"}, 1, `no ServedModel named "mistral"`},
		{"no model", []string{"-f", none, "--to", "kserve"}, 1, "no ServedModel found"},
		{"strict decode", []string{"-f", bad, "--to", "kserve"}, 1, bad + ": ServedModel qwen: spec.bogus: Invalid value: \"bogus\": unknown field"},
		{"blocked", []string{"-f", "../../examples/llm-d-pd/qwen-pd.yaml", "--to", "kserve"}, 1, "blocker spec.disaggregation"},
		{"preflight fails", []string{"-f", qwen, "--platform", "../../testdata/render/err-gate-off/platform.yaml", "--to", "kserve"}, 1,
			"preflight feature-gate failed: spec.features.kserve is false in the Platform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"plan"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
			if (code == 0 || strings.HasPrefix(tc.name, "blocked") || strings.HasPrefix(tc.name, "preflight")) != (stdout != "") {
				t.Errorf("stdout %q: a plan must be printed exactly when one was made", stdout)
			}
		})
	}
}

// TestRenderLayerAuto: --layer auto is accepted and reports its choice.
func TestRenderLayerAuto(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "render", "-f", "../../examples/llm-d-pd/qwen-pd.yaml", "--layer", "auto")
	if code != 0 || !strings.Contains(stdout, "kind: LLMInferenceService") ||
		!strings.Contains(stderr, "spec.layer: layer auto chose llm-d (rule disaggregation)") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestReadmeWalkthrough runs the README's "Move a model" walkthrough as
// written: every "$ " line of the console blocks between its markers runs
// in sh from the repository root, with bin/servelayer freshly built, and
// its combined output must equal the lines that follow it.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin := filepath.Join(t.TempDir(), "servelayer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- BEGIN MOVE WALKTHROUGH")
	section, _, ok2 := strings.Cut(rest, "<!-- END MOVE WALKTHROUGH -->")
	if !ok || !ok2 {
		t.Fatal("README lacks the MOVE WALKTHROUGH markers")
	}
	type step struct {
		cmd  string
		want []string
	}
	var steps []*step
	in := false
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "```console":
			in = true
		case line == "```":
			in = false
		case in && strings.HasPrefix(line, "$ "):
			steps = append(steps, &step{cmd: strings.TrimPrefix(line, "$ ")})
		case in && len(steps) > 0:
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, line)
		}
	}
	if len(steps) < 4 {
		t.Fatalf("found %d walkthrough commands", len(steps))
	}
	for _, s := range steps {
		if !strings.HasPrefix(s.cmd, "bin/servelayer ") {
			t.Errorf("walkthrough command %q does not run bin/servelayer", s.cmd)
			continue
		}
		cmd := exec.Command("sh", "-c", bin+strings.TrimPrefix(s.cmd, "bin/servelayer"))
		cmd.Dir = "../.."
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: %v\n%s", s.cmd, err, out.String())
			continue
		}
		want := strings.Join(s.want, "\n")
		if diff := cmp.Diff(want, strings.TrimRight(out.String(), "\n")); diff != "" {
			t.Errorf("README output of\n  $ %s\nis stale (-README +actual):\n%s", s.cmd, diff)
		}
	}
}
