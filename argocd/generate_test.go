package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/servelayer/servelayer/internal/corpus"
)

func paramsEnv(t *testing.T, ps ...Param) string {
	t.Helper()
	b, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	return EnvParameters + "=" + string(b)
}

func str(s string) *string { return &s }

func TestParseOptions(t *testing.T) {
	cases := []struct {
		name    string
		env     []string
		want    Options
		wantErr string
	}{
		{name: "nothing", env: []string{"PATH=/bin"}},
		{name: "parameters",
			env:  []string{paramsEnv(t, Param{Name: "layer", String: str("kserve")}, Param{Name: "platform", String: str("p/lab.yaml")}, Param{Name: "recurse", String: str("true")})},
			want: Options{Layer: "kserve", Platform: "p/lab.yaml", Recurse: true}},
		{name: "plugin env",
			env:  []string{"ARGOCD_ENV_LAYER=llm-d", "ARGOCD_ENV_PLATFORM=lab.yaml", "ARGOCD_ENV_OTHER=ignored"},
			want: Options{Layer: "llm-d", Platform: "lab.yaml"}},
		{name: "both, agreeing",
			env:  []string{paramsEnv(t, Param{Name: "layer", String: str("kserve")}), "ARGOCD_ENV_LAYER=kserve"},
			want: Options{Layer: "kserve"}},
		{name: "empty strings are unset",
			env: []string{paramsEnv(t, Param{Name: "layer", String: str("")}, Param{Name: "platform"}), "ARGOCD_ENV_LAYER="}},
		{name: "both, disagreeing",
			env:     []string{paramsEnv(t, Param{Name: "layer", String: str("kserve")}), "ARGOCD_ENV_LAYER=llm-d"},
			wantErr: `parameter "layer" and ARGOCD_ENV_LAYER are both set`},
		{name: "auto", env: []string{paramsEnv(t, Param{Name: "layer", String: str("auto")})}, want: Options{Layer: "auto"}},
		{name: "auto env", env: []string{"ARGOCD_ENV_LAYER=auto"}, want: Options{Layer: "auto"}},
		{name: "bad layer", env: []string{paramsEnv(t, Param{Name: "layer", String: str("knative")})}, wantErr: `parameter "layer" must be one of raw-vllm, kserve, llm-d, auto`},
		{name: "bad layer env", env: []string{"ARGOCD_ENV_LAYER=knative"}, wantErr: `parameter "layer" must be one of`},
		{name: "array", env: []string{paramsEnv(t, Param{Name: "layer", Array: []string{"kserve"}})}, wantErr: `parameter "layer" must be a string`},
		{name: "map", env: []string{paramsEnv(t, Param{Name: "platform", Map: map[string]string{"a": "b"}})}, wantErr: `parameter "platform" must be a string`},
		{name: "unknown", env: []string{paramsEnv(t, Param{Name: "layer", String: str("kserve")}, Param{Name: "lyer", String: str("kserve")})}, wantErr: `ARGOCD_APP_PARAMETERS[1]: unknown parameter name (known: layer, platform, recurse)`},
		{name: "twice", env: []string{paramsEnv(t, Param{Name: "layer", String: str("kserve")}, Param{Name: "layer", String: str("kserve")})}, wantErr: "more than once"},
		{name: "bad recurse", env: []string{paramsEnv(t, Param{Name: "recurse", String: str("yes please")})}, wantErr: `parameter "recurse" must be true or false`},
		{name: "not json", env: []string{EnvParameters + "=[{name: secret}"}, wantErr: "is not a JSON array"},
		{name: "not an array", env: []string{EnvParameters + `={"name":"layer"}`}, wantErr: "is not a JSON array"},
		{name: "unknown field", env: []string{EnvParameters + `=[{"name":"layer","value":"kserve"}]`}, wantErr: "is not a JSON array"},
		{name: "trailing data", env: []string{EnvParameters + `=[] []`}, wantErr: "data after"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseOptions(c.env)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestErrorsNeverEchoEnv: whatever the values, no error message holds them.
func TestErrorsNeverEchoEnv(t *testing.T) {
	const secret = "hunter2-9a8b7c"
	dir := t.TempDir()
	envs := [][]string{
		{paramsEnv(t, Param{Name: "layer", String: str(secret)})},
		{"ARGOCD_ENV_LAYER=" + secret},
		{paramsEnv(t, Param{Name: "recurse", String: str(secret)})},
		{paramsEnv(t, Param{Name: "platform", String: str("../" + secret)})},
		{paramsEnv(t, Param{Name: "platform", String: str("/" + secret)})},
		{paramsEnv(t, Param{Name: "platform", String: str(secret + ".yaml")})},
		{paramsEnv(t, Param{Name: "layer", String: str("kserve")}), "ARGOCD_ENV_LAYER=" + secret},
		{paramsEnv(t, Param{Name: secret + " x", String: str("kserve")})},
		{EnvParameters + "=[" + secret},
		{EnvParameters + `=[{"name":"layer","string":7,"s":"` + secret + `"}]`},
	}
	for i, env := range envs {
		var stdout, stderr bytes.Buffer
		code := Generate(dir, append(env, "ARGOCD_ENV_TOKEN="+secret), okRenderer("kind: ConfigMap\n"), &stdout, &stderr)
		if code == ExitOK || stdout.Len() != 0 {
			t.Errorf("%d: exit %d, stdout %q: want a failure and no output", i, code, stdout.String())
		}
		if strings.Contains(stderr.String(), secret) {
			t.Errorf("%d: stderr echoes an environment value: %s", i, stderr.String())
		}
	}
}

func okRenderer(out string) Renderer {
	return func(Request, io.Writer) (func(io.Writer) error, int) { return writeString(out), ExitOK }
}

// writeString writes out in pieces of at most 3 bytes.
func writeString(out string) func(io.Writer) error {
	return func(w io.Writer) error {
		for len(out) > 0 {
			n := min(len(out), 3)
			if _, err := io.WriteString(w, out[:n]); err != nil {
				return err
			}
			out = out[n:]
		}
		return nil
	}
}

func TestGenerateGuardsOutput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name     string
		render   Renderer
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"ok", okRenderer("a: 1\n"), ExitOK, "a: 1\n", ""},
		{"empty", okRenderer(""), ExitInvalid, "", "refusing to print nothing"},
		{"blank", okRenderer("\n  \n"), ExitInvalid, "", "refusing to print nothing"},
		{"leading blank lines", okRenderer("\n \na: 1\n"), ExitOK, "\n \na: 1\n", ""},
		{"render failed", func(_ Request, stderr io.Writer) (func(io.Writer) error, int) {
			io.WriteString(stderr, "error: spec.x: bad\n")
			return writeString("partial: true\n"), ExitInvalid
		}, ExitInvalid, "", "error: spec.x: bad"},
		{"render usage error", func(Request, io.Writer) (func(io.Writer) error, int) { return nil, ExitUsage }, ExitUsage, "", "no manifests printed"},
		{"writer fails", func(Request, io.Writer) (func(io.Writer) error, int) {
			return func(io.Writer) error { return errors.New("broken pipe") }, ExitOK
		}, ExitInvalid, "", "writing manifests: broken pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Generate(dir, nil, c.render, &stdout, &stderr)
			if code != c.wantCode || stdout.String() != c.wantOut || !strings.Contains(stderr.String(), c.wantErr) {
				t.Fatalf("code %d stdout %q stderr %q; want %d %q %q", code, stdout.String(), stderr.String(), c.wantCode, c.wantOut, c.wantErr)
			}
		})
	}
}

func TestGeneratePassesOptions(t *testing.T) {
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "p", "lab.yaml"), "kind: Platform\n")
	var got Request
	rec := func(r Request, _ io.Writer) (func(io.Writer) error, int) {
		got = r
		return writeString("x: 1\n"), ExitOK
	}
	env := []string{paramsEnv(t, Param{Name: "layer", String: str("llm-d")}, Param{Name: "platform", String: str("p/lab.yaml")}, Param{Name: "recurse", String: str("1")})}
	if code := Generate(dir, env, rec, io.Discard, io.Discard); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	want := Request{Dir: dir, Platform: filepath.Join(dir, "p", "lab.yaml"), Layer: "llm-d", Recurse: true}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestPlatformMustStayInside(t *testing.T) {
	outside := t.TempDir()
	corpus.WriteFile(t, filepath.Join(outside, "platform.yaml"), "kind: Platform\n")
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "ok.yaml"), "kind: Platform\n")
	if err := os.Symlink(filepath.Join(outside, "platform.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../x.yaml", "/etc/passwd", "link.yaml", "missing.yaml", "sub", "sub/../../x.yaml"} {
		if _, err := platformPath(dir, p); err == nil {
			t.Errorf("platform %q accepted", p)
		}
	}
	if got, err := platformPath(dir, "ok.yaml"); err != nil || got != filepath.Join(dir, "ok.yaml") {
		t.Errorf("ok.yaml: %q, %v", got, err)
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "a.yaml"), "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\n")
	corpus.WriteFile(t, filepath.Join(dir, "b.yml"), "kind: \"ServedModel\" # quoted\n")
	corpus.WriteFile(t, filepath.Join(dir, "c.json"), `{"apiVersion": "servelayer.dev/v1alpha1", "kind": "ServedModel"}`)
	corpus.WriteFile(t, filepath.Join(dir, "comment.yaml"), "kind: ConfigMap\ndata:\n  # kind: ServedModel\n  x: |\n    kind: ServedModel\n")
	corpus.WriteFile(t, filepath.Join(dir, "notes.txt"), "kind: ServedModel\n")
	corpus.WriteFile(t, filepath.Join(dir, "sub", "d.yaml"), "kind: ServedModel\n")
	corpus.WriteFile(t, filepath.Join(dir, ".hidden", "e.yaml"), "kind: ServedModel\n")

	run := func(env []string) string {
		var stdout, stderr bytes.Buffer
		if code := Discover(dir, env, &stdout, &stderr); code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		return stdout.String()
	}
	if got, want := run(nil), "a.yaml\nb.yml\nc.json\n"; got != want {
		t.Errorf("discover = %q, want %q", got, want)
	}
	if got, want := run([]string{"ARGOCD_ENV_RECURSE=true"}), "a.yaml\nb.yml\nc.json\nsub/d.yaml\n"; got != want {
		t.Errorf("discover recursive = %q, want %q", got, want)
	}
	empty := t.TempDir()
	corpus.WriteFile(t, filepath.Join(empty, "cm.yaml"), "kind: ConfigMap\n")
	var stdout bytes.Buffer
	if code := Discover(empty, nil, &stdout, io.Discard); code != ExitOK || stdout.Len() != 0 {
		t.Errorf("discover on plain manifests: exit %d, %q", code, stdout.String())
	}
}

// TestDiscoverReadsNothingOutside: discovery neither lists nor reads a file
// that does not resolve to a regular file inside the app directory, and a
// FIFO does not block it.
func TestDiscoverReadsNothingOutside(t *testing.T) {
	outside := t.TempDir()
	corpus.WriteFile(t, filepath.Join(outside, "m.yaml"), "kind: ServedModel\n")
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "a.yaml"), "kind: ServedModel\n")
	for name, target := range map[string]string{
		"outside.yaml": filepath.Join(outside, "m.yaml"), "environ.yaml": "/proc/self/environ",
		"inner.yaml": "a.yaml", "absolute.yaml": filepath.Join(dir, "a.yaml"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	go func() {
		var stdout bytes.Buffer
		if code := Discover(dir, nil, &stdout, io.Discard); code != ExitOK {
			t.Errorf("exit %d", code)
		}
		done <- stdout.String()
	}()
	select {
	case got := <-done:
		if want := "a.yaml\ninner.yaml\n"; got != want {
			t.Errorf("discover = %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("discover blocked on a FIFO")
	}
}

// TestPlatformParamNeverEchoesWhatItPointsTo: a platform parameter naming a
// symlink to /proc/self/environ, a FIFO or a file outside is refused
// without opening it, and the message holds neither the value nor the
// environment.
func TestPlatformParamNeverEchoesWhatItPointsTo(t *testing.T) {
	const secret = "hunter3-0d9e"
	t.Setenv("ARGOCD_ENV_TOKEN", secret)
	dir := t.TempDir()
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "p-"+secret+".yaml")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "f-"+secret+".yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"p-" + secret + ".yaml", "f-" + secret + ".yaml"} {
		var stdout, stderr bytes.Buffer
		code := Generate(dir, []string{paramsEnv(t, Param{Name: "platform", String: str(p)}), "ARGOCD_ENV_TOKEN=" + secret}, okRenderer("kind: ConfigMap\n"), &stdout, &stderr)
		if code == ExitOK || stdout.Len() != 0 || strings.Contains(stderr.String(), secret) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q: want a failure that echoes nothing", p, code, stdout.String(), stderr.String())
		}
	}
}
