package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
