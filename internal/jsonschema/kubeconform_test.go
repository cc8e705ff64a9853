package jsonschema_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/kubeconform.txt")

// kubeconformVersion is the Makefile's KUBECONFORM_VERSION.
const kubeconformVersion = "v0.8.0"

// schemaLocation is where kubeconform finds the checked-in schemas, and
// the only place it looks: no network.
const schemaLocation = "../../schema/jsonschema/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

// kubeconform returns the pinned kubeconform (make tools), checking its
// version in its build info (a `go install` build prints "development"
// for -v).
func kubeconform(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KUBECONFORM")
	if p == "" {
		p, _ = filepath.Abs("../../bin/kubeconform")
	}
	out, err := exec.Command("go", "version", "-m", p).CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^\s+mod\s+github.com/yannh/kubeconform\s+`+regexp.QuoteMeta(kubeconformVersion)+`\s`).Match(out) {
		t.Fatalf("kubeconform %s not found at %s (run `make tools`): %v\n%s", kubeconformVersion, p, err, out)
	}
	return p
}

type kubeconformResult struct {
	Filename, Kind, Name, Status, Msg string
	ValidationErrors                  []struct{ Path, Msg string }
}

// runKubeconform validates files with the checked-in schemas only, strict.
func runKubeconform(t *testing.T, files []string) []kubeconformResult {
	t.Helper()
	cmd := exec.Command(kubeconform(t), append([]string{"-strict", "-verbose", "-output", "json", "-schema-location", schemaLocation}, files...)...)
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	var report struct{ Resources []kubeconformResult }
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("kubeconform output: %v\n%s", err, out)
	}
	return report.Resources
}

// specFiles are the files holding a ServedModel or a Platform.
var ourKind = regexp.MustCompile(`(?m)^kind: (ServedModel|Platform)\s*$`)

// TestKubeconformAcceptsValidSpecs: the real kubeconform, with the
// checked-in JSON Schemas, accepts every example's spec and every input of
// a render case that renders (testdata/render/*/expected.yaml), each
// ServedModel and Platform of them: the schema is not stricter than
// servelayer.
func TestKubeconformAcceptsValidSpecs(t *testing.T) {
	var files []string
	examples, _ := filepath.Glob("../../examples/*/*.yaml")
	for _, p := range examples {
		if b, _ := os.ReadFile(p); ourKind.Match(b) {
			files = append(files, p)
		}
	}
	cases, _ := filepath.Glob("../../testdata/render/*/expected.yaml")
	for _, c := range cases {
		for _, f := range []string{"model.yaml", "platform.yaml"} {
			if p := filepath.Join(filepath.Dir(c), f); exists(p) {
				files = append(files, p)
			}
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d files", len(files))
	}
	want := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		want += len(ourKind.FindAll(b, -1))
	}
	results := runKubeconform(t, files)
	valid := 0
	for _, r := range results {
		if r.Status == "statusValid" && (r.Kind == "ServedModel" || r.Kind == "Platform") {
			valid++
		} else {
			t.Errorf("%s: %s %s: %s %s", r.Filename, r.Kind, r.Name, r.Status, r.Msg)
		}
	}
	if valid != want {
		t.Errorf("%d valid resources, want %d (every ServedModel and Platform of %d files)", valid, want, len(files))
	}
}

// TestKubeconformRejectsBadSpecs runs kubeconform over the bad-input
// corpus. The cases it finds invalid, and the field of each, are held in
// testdata/bad/kubeconform.txt (-update rewrites it: review the diff); the
// field is one servelayer's own report names (the case's want file), so
// the schema sees the error where servelayer does. Cases kubeconform
// cannot see (cross-field and layer rules, YAML-level problems) are not
// listed.
func TestKubeconformRejectsBadSpecs(t *testing.T) {
	inputs, _ := filepath.Glob("../../testdata/bad/*/input.yaml")
	results := runKubeconform(t, inputs)
	var lines []string
	for _, r := range results {
		if r.Status != "statusInvalid" {
			continue
		}
		name := filepath.Base(filepath.Dir(r.Filename))
		for _, e := range r.ValidationErrors {
			lines = append(lines, fmt.Sprintf("%s %s: %s", name, e.Path, e.Msg))
		}
	}
	slices.Sort(lines)
	got := strings.Join(lines, "\n") + "\n"
	const golden = "../../testdata/bad/kubeconform.txt"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("kubeconform's rejections differ from %s (-want +got):\n%s", golden, diff)
	}
	if len(lines) < 30 {
		t.Errorf("kubeconform rejects only %d bad inputs", len(lines))
	}
	// kubeconform reads YAML 1.1, servelayer YAML 1.2: an unquoted y, n,
	// yes, no, on or off is a boolean to kubeconform and a string to
	// servelayer (the README says to quote them). The one case where that,
	// and not the case's own error, is what kubeconform sees:
	yaml11 := map[string]string{"duplicate-env": "/spec/engine/env/1/value"} // value: y
	for _, l := range lines {
		name, rest, _ := strings.Cut(l, " ")
		path, _, _ := strings.Cut(rest, ": ")
		if yaml11[name] == path {
			continue
		}
		wantFile, _ := os.ReadFile(filepath.Join("../../testdata/bad", name, "want"))
		if field := dotted(path); !strings.Contains(string(wantFile), field) {
			t.Errorf("%s: kubeconform rejects %s, which servelayer's report (want) does not name", name, field)
		}
	}
}

// dotted turns a JSON pointer into a field path: /spec/env/1/value is
// spec.env[1].value.
func dotted(pointer string) string {
	var b strings.Builder
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if seg != "" && strings.Trim(seg, "0123456789") == "" {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(seg)
	}
	return b.String()
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// modeline is yaml-language-server's schema comment.
var modeline = regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=(\S+)$`)

// TestExamplesHaveModeline: every example file holding a ServedModel or a
// Platform starts with a yaml-language-server modeline naming, by relative
// path, the checked-in schema of its kind, so an editor validates it.
func TestExamplesHaveModeline(t *testing.T) {
	examples, _ := filepath.Glob("../../examples/*/*.yaml")
	n := 0
	for _, p := range examples {
		b, _ := os.ReadFile(p)
		kinds := ourKind.FindAllSubmatch(b, -1)
		if len(kinds) == 0 {
			continue
		}
		n++
		m := modeline.FindSubmatchIndex(b)
		if m == nil || m[0] != 0 {
			t.Errorf("%s: no yaml-language-server modeline on its first line", p)
			continue
		}
		target := filepath.Join(filepath.Dir(p), string(b[m[2]:m[3]]))
		want := strings.ToLower(string(kinds[0][1])) + "_v1alpha1.json"
		for _, k := range kinds {
			if string(k[1]) != string(kinds[0][1]) {
				t.Errorf("%s holds both kinds: one schema cannot validate it", p)
			}
		}
		if filepath.Base(target) != want || !exists(target) {
			t.Errorf("%s: the modeline names %s, want the existing ../../schema/jsonschema/%s", p, target, want)
		}
	}
	if n < 8 {
		t.Errorf("only %d example spec files", n)
	}
}
