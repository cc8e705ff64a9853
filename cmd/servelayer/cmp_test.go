package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCmpGenerateMatchesRender: `servelayer cmp generate` in a directory
// prints byte for byte what `servelayer render -f DIR` prints, and fails
// (printing nothing) where it fails. The real cmp-server test is argocd/e2e.
func TestCmpGenerateMatchesRender(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/render/*")
	if err != nil || len(dirs) < 5 {
		t.Fatalf("render cases: %v, %v", dirs, err)
	}
	var ok, failed int
	for _, dir := range dirs {
		dir, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			args := []string{"render", "-f", dir}
			params := "[]"
			if b, err := os.ReadFile(filepath.Join(dir, "layer")); err == nil {
				l := strings.TrimSpace(string(b))
				args = append(args, "--layer", l)
				p, _ := json.Marshal([]map[string]string{{"name": "layer", "string": l}})
				params = string(p)
			}
			var wantOut, wantErr bytes.Buffer
			wantCode := run(args, strings.NewReader(""), &wantOut, &wantErr)

			t.Chdir(dir)
			t.Setenv("ARGOCD_APP_PARAMETERS", params)
			var gotOut, gotErr bytes.Buffer
			gotCode := run([]string{"cmp", "generate"}, strings.NewReader(""), &gotOut, &gotErr)
			if gotCode != wantCode {
				t.Fatalf("cmp generate exited %d, render %d\ncmp stderr: %s\nrender stderr: %s", gotCode, wantCode, gotErr.String(), wantErr.String())
			}
			if !bytes.Equal(gotOut.Bytes(), wantOut.Bytes()) {
				t.Fatalf("cmp generate output differs from render:\n--- cmp\n%s\n--- render\n%s", gotOut.String(), wantOut.String())
			}
			if wantCode == exitOK {
				ok++
			} else {
				failed++
				if gotOut.Len() != 0 {
					t.Fatal("a failing cmp generate printed to stdout")
				}
			}
		})
	}
	if ok == 0 || failed == 0 {
		t.Fatalf("%d cases rendered, %d failed: need some of each", ok, failed)
	}
}

func TestCmpUsage(t *testing.T) {
	for _, args := range [][]string{{"cmp"}, {"cmp", "bogus"}, {"cmp", "generate", "extra"}} {
		if code, stdout, _ := runCLI(t, "", args...); code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want %d and nothing", args, code, stdout, exitUsage)
		}
	}
	if code, stdout, _ := runCLI(t, "", "cmp", "--help"); code != exitOK || !strings.Contains(stdout, "generate") {
		t.Errorf("cmp --help: exit %d, %q", code, stdout)
	}
}

func TestCmpDiscover(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/render/qwen-kserve")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, stdout, stderr := runCLI(t, "", "cmp", "discover")
	if code != exitOK || stdout != "model.yaml\n" {
		t.Fatalf("cmp discover: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// appWith makes an application directory holding one valid model and the
// hostile entry make adds, and returns it and the directory outside it
// whose files (a model, a Platform) symlinks may point to.
func appWith(t *testing.T, make func(dir, outside string)) (app, outside string) {
	t.Helper()
	outside = t.TempDir()
	app = t.TempDir()
	src, err := os.ReadFile("../../testdata/render/qwen-raw-vllm/model.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(app, "model.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	stranger := strings.ReplaceAll(string(src), "name: qwen\n", "name: stranger-model-7c\n")
	if err := os.WriteFile(filepath.Join(outside, "stranger.yaml"), []byte(stranger), 0o644); err != nil {
		t.Fatal(err)
	}
	platform := "apiVersion: servelayer.dev/v1alpha1\nkind: Platform\nmetadata: {name: outside-lab-7c}\nspec: {features: {kserve: false}}\n"
	if err := os.WriteFile(filepath.Join(outside, "platform.yaml"), []byte(platform), 0o644); err != nil {
		t.Fatal(err)
	}
	make(app, outside)
	return app, outside
}

// runIn runs the built binary in dir with env, killed if it has not ended
// after a generous while (a FIFO opened for reading blocks forever).
func runIn(t *testing.T, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, builtBinary(t), args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v blocked (killed after 60 s)", args)
	}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestCmpReadsNothingOutsideTheAppDir: the plugin (and render -f on the
// directory) never reads a file that does not resolve to a regular file
// inside the application directory: not a model or a Platform a symlink
// points to outside it, not /proc/self/environ (whose ARGOCD_ENV_* values
// an error would print), and never a FIFO or a socket, on which reading
// would block. It fails, naming the file, and prints no value.
func TestCmpReadsNothingOutsideTheAppDir(t *testing.T) {
	const secret = "s3cr3t-a9f4e1"
	env := []string{"ARGOCD_ENV_TOKEN=" + secret, "ARGOCD_APP_PARAMETERS=[]", "PATH=/usr/bin:/bin"}
	symlink := func(target, name string) func(app, outside string) {
		return func(app, outside string) {
			if !filepath.IsAbs(target) {
				target = filepath.Join(outside, target)
			}
			if err := os.Symlink(target, filepath.Join(app, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name, file string
		make       func(app, outside string)
	}{
		{"symlink to a model outside", "stranger.yaml", symlink("stranger.yaml", "stranger.yaml")},
		{"symlink to a Platform outside", "platform.yaml", symlink("platform.yaml", "platform.yaml")},
		{"symlink to /proc/self/environ", "environ.yaml", symlink("/proc/self/environ", "environ.yaml")},
		{"relative symlink leaving the directory", "up.yaml", func(app, outside string) {
			rel, err := filepath.Rel(app, filepath.Join(outside, "stranger.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(rel, filepath.Join(app, "up.yaml")); err != nil {
				t.Fatal(err)
			}
		}},
		{"FIFO", "fifo.yaml", func(app, _ string) {
			if err := syscall.Mkfifo(filepath.Join(app, "fifo.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"socket", "socket.yaml", func(app, _ string) {
			l, err := net.Listen("unix", filepath.Join(app, "socket.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app, outside := appWith(t, c.make)
			for _, args := range [][]string{{"cmp", "generate"}, {"render", "-f", "."}} {
				code, stdout, stderr := runIn(t, app, env, args...)
				if code != exitInvalid || stdout != "" {
					t.Errorf("%v: exit %d, stdout %d bytes; want %d and nothing\nstderr: %s", args, code, len(stdout), exitInvalid, stderr)
				}
				if !strings.Contains(stderr, c.file) {
					t.Errorf("%v: stderr does not name %s: %s", args, c.file, stderr)
				}
				for _, leak := range []string{secret, "stranger-model-7c", "outside-lab-7c", outside} {
					if strings.Contains(stdout+stderr, leak) {
						t.Errorf("%v: output quotes %q:\n%s", args, leak, stderr)
					}
				}
			}
			// Discovery lists the model, not the hostile file, and does
			// not block.
			code, stdout, stderr := runIn(t, app, env, "cmp", "discover")
			if code != exitOK || stdout != "model.yaml\n" {
				t.Errorf("cmp discover: exit %d, stdout %q, stderr %q; want model.yaml only", code, stdout, stderr)
			}
		})
	}
}
