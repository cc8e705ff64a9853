package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/corpus"
)

// badCase is one case of the bad-input corpus in testdata/bad (see its
// README.md and internal/corpus).
type badCase struct {
	corpus.Case
	input string // the file given to render -f
}

func loadBadCases(t *testing.T) []badCase {
	t.Helper()
	cs, err := corpus.LoadBad("../../testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 40 {
		t.Fatalf("the bad-input corpus has %d cases, want at least 40", len(cs))
	}
	var out []badCase
	for _, c := range cs {
		bc := badCase{Case: c, input: c.InputPath}
		if bc.input == "" {
			bc.input = filepath.Join(t.TempDir(), c.Name+".yaml")
			if err := os.WriteFile(bc.input, c.Input, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, bc)
	}
	return out
}

func (c badCase) cliArgs() []string {
	args := []string{"render", "-f", c.input}
	if c.PlatformPath != "" {
		args = append(args, "--platform", c.PlatformPath)
	}
	return args
}

// checkCLI asserts a failed `render -f`: exit 1, nothing on stdout, every
// wanted substring on stderr.
func checkCLI(t *testing.T, c badCase, code int, stdout, stderr string) {
	t.Helper()
	if code != exitInvalid {
		t.Errorf("render -f: exit %d, want %d\nstderr: %s", code, exitInvalid, stderr)
	}
	if stdout != "" {
		t.Errorf("render -f: printed on stdout with an error:\n%s", head(stdout))
	}
	checkStderr(t, "render -f", stderr, append(append([]string{}, c.Want...), c.WantCLI...))
}

func checkStderr(t *testing.T, mode, stderr string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%s: stderr lacks %q:\n%s", mode, w, head(stderr))
		}
	}
	for _, bad := range []string{"panic", "goroutine ", "\r"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("%s: stderr contains %q:\n%s", mode, bad, head(stderr))
		}
	}
}

// krmOutput is the part of a ResourceList the checks read.
type krmOutput struct {
	APIVersion string           `yaml:"apiVersion"`
	Kind       string           `yaml:"kind"`
	Items      []map[string]any `yaml:"items"`
	Results    []struct {
		Message     string `yaml:"message"`
		Severity    string `yaml:"severity"`
		ResourceRef *struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"resourceRef"`
		Field *struct {
			Path         string `yaml:"path"`
			CurrentValue any    `yaml:"currentValue"`
		} `yaml:"field"`
	} `yaml:"results"`
}

// parseResourceList asserts stdout is exactly one ResourceList document
// and returns it.
func parseResourceList(t *testing.T, mode, stdout string) *krmOutput {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stdout))
	var rl krmOutput
	if err := dec.Decode(&rl); err != nil {
		t.Fatalf("%s: stdout is not a YAML document: %v\n%s", mode, err, head(stdout))
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		t.Errorf("%s: stdout holds more than one document (%v)\n%s", mode, err, head(stdout))
	}
	if rl.Kind != "ResourceList" || rl.APIVersion != "config.kubernetes.io/v1" {
		t.Fatalf("%s: stdout is %s %s, not a config.kubernetes.io/v1 ResourceList\n%s", mode, rl.APIVersion, rl.Kind, head(stdout))
	}
	return &rl
}

// checkKRM asserts a failed function run: exit 1, a ResourceList on stdout
// with error results that all have a field path and together contain the
// wanted substrings, no rendered object, and the errors on stderr.
func checkKRM(t *testing.T, c badCase, code int, stdout, stderr string) {
	t.Helper()
	want := append(append([]string{}, c.Want...), c.WantKRM...)
	if code != exitInvalid {
		t.Errorf("KRM: exit %d, want %d\nstderr: %s", code, exitInvalid, stderr)
	}
	rl := parseResourceList(t, "KRM", stdout)
	var text strings.Builder
	errs := 0
	for _, r := range rl.Results {
		if r.Severity != "error" {
			continue
		}
		errs++
		if r.Field == nil || r.Field.Path == "" {
			t.Errorf("KRM: error result without a field path: %q", r.Message)
			continue
		}
		if r.ResourceRef != nil {
			fmt.Fprintf(&text, "%s %s: ", r.ResourceRef.Kind, r.ResourceRef.Name)
		}
		fmt.Fprintf(&text, "%s: %s (%v)\n", r.Field.Path, r.Message, r.Field.CurrentValue)
	}
	if errs == 0 {
		t.Errorf("KRM: no error result:\n%s", head(stdout))
	}
	for _, w := range want {
		if !strings.Contains(text.String(), w) {
			t.Errorf("KRM: results lack %q:\n%s", w, text.String())
		}
	}
	for _, it := range rl.Items {
		if md, ok := it["metadata"].(map[string]any); ok {
			if l, ok := md["labels"].(map[string]any); ok && l["app.kubernetes.io/managed-by"] == "servelayer" {
				t.Errorf("KRM: a rendered object is in the output of a failed run: %v", md["name"])
			}
		}
	}
	checkStderr(t, "KRM", stderr, want)
}

func head(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "\n[...]"
	}
	return s
}

// TestBadInputCorpus runs every case of testdata/bad through the CLI and
// the KRM function, in process.
func TestBadInputCorpus(t *testing.T) {
	for _, c := range loadBadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", c.cliArgs()...)
			checkCLI(t, c, code, stdout, stderr)

			var out, errOut bytes.Buffer
			code = run(nil, bytes.NewReader(c.Stdin), &out, &errOut)
			checkKRM(t, c, code, out.String(), errOut.String())
		})
	}
}

// TestBadInputCorpusBinary runs the corpus through the real binary, in
// both modes: exit codes and stdout as kustomize and Argo CD see them.
func TestBadInputCorpusBinary(t *testing.T) {
	bin := builtBinary(t)
	for _, c := range loadBadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, bin, nil, c.cliArgs()...)
			checkCLI(t, c, code, stdout, stderr)

			code, stdout, stderr = runBinary(t, bin, c.Stdin)
			checkKRM(t, c, code, stdout, stderr)
		})
	}
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary builtBinary built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// builtBinary builds the servelayer binary once per test process, the way
// `make build` does (static, trimmed).
func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "servelayer-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "servelayer")
		cmd := exec.Command("go", "build", "-trimpath", "-o", binPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func runBinary(t *testing.T, bin string, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestCRLFValidSpecRendersLikeLF: a valid spec with Windows line endings
// renders byte-for-byte like its LF twin, in both modes.
func TestCRLFValidSpecRendersLikeLF(t *testing.T) {
	lf, err := os.ReadFile("../../examples/fleet/models.yaml")
	if err != nil {
		t.Fatal(err)
	}
	crlf := bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))
	dir := t.TempDir()
	for name, b := range map[string][]byte{"lf.yaml": lf, "crlf.yaml": crlf} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	platform := "../../examples/fleet/platform.yaml"
	codeLF, outLF, errLF := runCLI(t, "", "render", "-f", filepath.Join(dir, "lf.yaml"), "--platform", platform)
	codeCRLF, outCRLF, errCRLF := runCLI(t, "", "render", "-f", filepath.Join(dir, "crlf.yaml"), "--platform", platform)
	if codeLF != 0 || codeCRLF != 0 {
		t.Fatalf("exit %d (LF), %d (CRLF)\n%s\n%s", codeLF, codeCRLF, errLF, errCRLF)
	}
	if outLF == "" || outLF != outCRLF {
		t.Errorf("CRLF input renders differently:\n--- LF\n%s\n--- CRLF\n%s", head(outLF), head(outCRLF))
	}

	p, err := os.ReadFile(platform)
	if err != nil {
		t.Fatal(err)
	}
	var krmLF, krmCRLF bytes.Buffer
	if code := run(nil, bytes.NewReader(corpus.ResourceListFor(lf, p)), &krmLF, io.Discard); code != 0 {
		t.Fatalf("KRM LF: exit %d\n%s", code, krmLF.String())
	}
	rlCRLF := bytes.ReplaceAll(corpus.ResourceListFor(lf, p), []byte("\n"), []byte("\r\n"))
	if code := run(nil, bytes.NewReader(rlCRLF), &krmCRLF, io.Discard); code != 0 {
		t.Fatalf("KRM CRLF: exit %d\n%s", code, krmCRLF.String())
	}
	if krmLF.String() != krmCRLF.String() {
		t.Errorf("CRLF ResourceList renders differently:\n--- LF\n%s\n--- CRLF\n%s", head(krmLF.String()), head(krmCRLF.String()))
	}
}
