package main

import (
	"os"
	"strings"
	"testing"
)

// TestApplicationsCLI: the command prints exactly the golden Application
// (exit 0), names the field and value of bad input with nothing on
// stdout (exit 1), and refuses usage mistakes (exit 2).
func TestApplicationsCLI(t *testing.T) {
	const dir = "../../testdata/applications/"
	want, err := os.ReadFile(dir + "all-layers/expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "applications", "--platform", dir+"all-layers/platform.yaml")
	if code != exitOK || stderr != "" || stdout != string(want) {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, stderr, stdout, want)
	}
	platform, err := os.ReadFile(dir + "automated/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, _ = os.ReadFile(dir + "automated/expected.yaml")
	if code, stdout, _ := runCLI(t, string(platform), "applications", "--platform", "-"); code != exitOK || stdout != string(want) {
		t.Errorf("--platform -: exit %d, stdout:\n%s", code, stdout)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--platform", dir + "bad-fields/platform.yaml"}, exitInvalid, `spec.argocd.path: Invalid value: "../models"`},
		{[]string{"--platform", dir + "bad-no-argocd/platform.yaml"}, exitInvalid, "spec.argocd: Required value"},
		{[]string{"--platform", dir + "bad-credentials/platform.yaml"}, exitInvalid, "https://REDACTED@git.example.com"},
		{[]string{"--platform", "../../examples/raw-vllm/qwen.yaml"}, exitInvalid, "must hold exactly one"},
		{nil, exitUsage, "--platform FILE is required"},
		{[]string{"--platform", dir + "all-layers/platform.yaml", "extra"}, exitUsage, `"extra"`},
		{[]string{"--platform", dir + "does-not-exist.yaml"}, exitUsage, "does-not-exist.yaml"},
	} {
		code, stdout, stderr := runCLI(t, "", append([]string{"applications"}, c.args...)...)
		if code != c.code || stdout != "" || !strings.Contains(stderr, c.stderr) || strings.Contains(stderr, "s3cr3t") {
			t.Errorf("applications %v: exit %d (want %d), stdout %q, stderr %q (want %q in it)", c.args, code, c.code, stdout, stderr, c.stderr)
		}
	}
}
