package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/servelayer/servelayer/internal/corpus"
)

var update = flag.Bool("update", false, "rewrite the help goldens under testdata/help")

// commandPaths lists every command of the tree, the root first, as the
// arguments that name it.
func commandPaths() [][]string {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				walk(sub, append(slices.Clone(path), sub.Name()))
			}
		}
	}
	walk(newRoot(nil, nil, nil), nil)
	return paths
}

// TestHelpGolden holds every help text in testdata/help (go test
// ./cmd/servelayer -update rewrites them: review the diff). `X --help`,
// `X -h` and `help X` print it on stdout and exit 0, with stdin holding a
// ResourceList the function would otherwise read.
func TestHelpGolden(t *testing.T) {
	paths := commandPaths()
	if len(paths) < 12 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	files := map[string]bool{}
	for _, path := range paths {
		name := strings.Join(append([]string{"servelayer"}, path...), "_") + ".txt"
		files[name] = true
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("testdata/help", name)
			var first string
			for _, args := range [][]string{append(slices.Clone(path), "--help"), append(slices.Clone(path), "-h"), append([]string{"help"}, path...)} {
				code, stdout, stderr := runCLI(t, string(fleetResourceList(t, mustRead(t, fleetModels))), args...)
				if code != exitOK || stderr != "" {
					t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
				}
				if strings.Contains(stdout, "kind: ResourceList") {
					t.Fatalf("%v read stdin as a function instead of printing help", args)
				}
				if first == "" {
					first = stdout
				} else if stdout != first {
					t.Errorf("%v prints another help:\n%s", args, corpus.FirstDiff(first, stdout))
				}
			}
			if *update {
				if err := os.WriteFile(golden, []byte(first), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/servelayer -update writes it)", err)
			}
			if diff := cmp.Diff(string(want), first); diff != "" {
				t.Errorf("help differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
	if *update {
		return
	}
	old, _ := filepath.Glob("testdata/help/*.txt")
	for _, p := range old {
		if !files[filepath.Base(p)] {
			t.Errorf("%s is the help of no command: remove it", p)
		}
	}
}

// TestUnknownCommandListsEvery: the message names every command, help and
// completion included, and exits 2 printing nothing on stdout.
func TestUnknownCommandListsEvery(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "deploy")
	if code != exitUsage || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, path := range commandPaths() {
		if len(path) == 1 && !strings.Contains(stderr, path[0]) {
			t.Errorf("the message omits %s: %s", path[0], stderr)
		}
	}
	if code, _, stderr := runCLI(t, "", "rendr"); code != exitUsage || !strings.Contains(stderr, "did you mean render?") {
		t.Errorf("rendr: exit %d, %s", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "-f"}, "flag needs an argument"},
		{[]string{"render", "-f", "x.yaml", "-o", "wide"}, `-o "wide" is not one of yaml, json`},
		{[]string{"render", "-f", "-", "--platform", "-"}, "stdin can be read only once"},
		{[]string{"render", "-f", "-", "-f", "-"}, "stdin can be read only once"},
		{[]string{"schema", "bogus"}, `kind "bogus" is not one of servedmodel, platform`},
		{[]string{"schema", "-o", "jsonschema"}, "name it"},
		{[]string{"schema", "-o", "json"}, `-o "json" is not one of yaml, jsonschema`},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"fn", "x"}, `unexpected argument "x"`},
		{[]string{"help", "bogus"}, `unknown help topic "bogus"`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
	} {
		code, stdout, stderr := runCLI(t, "", tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

func TestVersion(t *testing.T) {
	_, a, _ := runCLI(t, "", "version")
	_, b, _ := runCLI(t, "", "--version")
	if a != "servelayer version dev\n" || b != a {
		t.Errorf("version %q, --version %q", a, b)
	}
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	if _, got, _ := runCLI(t, "", "--version"); got != "servelayer version v1.2.3\n" {
		t.Errorf("with -X main.version=v1.2.3: %q", got)
	}
}

// TestStdinDash: -f - (and --platform -) read stdin and render exactly
// what the file renders; messages name it STDIN, as kubectl does.
func TestStdinDash(t *testing.T) {
	models, platform := mustRead(t, fleetModels), mustRead(t, fleetPlatform)
	_, want, _ := runCLI(t, "", "render", "-f", fleetModels, "--platform", fleetPlatform)
	for _, args := range [][]string{
		{"render", "-f", "-", "--platform", fleetPlatform},
		{"render", "--filename=-", "--platform", fleetPlatform},
	} {
		code, got, stderr := runCLI(t, string(models), args...)
		if code != exitOK || got != want {
			t.Errorf("%v: exit %d, %s\n%s", args, code, stderr, corpus.FirstDiff(want, got))
		}
	}
	if code, got, stderr := runCLI(t, string(platform), "render", "-f", fleetModels, "--platform", "-"); code != exitOK || got != want {
		t.Errorf("--platform -: exit %d, %s", code, stderr)
	}
	code, _, stderr := runCLI(t, badSpec, "render", "-f", "-")
	if code != exitInvalid || !strings.Contains(stderr, "error: STDIN: ServedModel qwen: spec.model.source.oci: Invalid value") {
		t.Errorf("bad spec on stdin: exit %d\n%s", code, stderr)
	}
	code, out, stderr := runCLI(t, string(mustRead(t, "../../examples/raw-vllm/qwen.yaml")), "plan", "-f", "-", "--to", "kserve")
	if code != exitOK || !strings.Contains(out, "servelayer render -f - --layer kserve") {
		t.Errorf("plan -f -: exit %d, %s\n%s", code, stderr, out)
	}
}

// TestOutputJSON: -o json is a v1 List, indented as kubectl -o json does,
// whose items are the objects of the YAML output, in order, for every
// render case that renders.
func TestOutputJSON(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/render/*")
	n := 0
	for _, dir := range dirs {
		args := []string{"render", "-f", dir}
		if b, err := os.ReadFile(filepath.Join(dir, "layer")); err == nil {
			args = append(args, "--layer", strings.TrimSpace(string(b)))
		}
		code, y, _ := runCLI(t, "", args...)
		if code != exitOK {
			continue
		}
		n++
		code, j, stderr := runCLI(t, "", append(args, "-o", "json")...)
		if code != exitOK {
			t.Fatalf("%s -o json: exit %d: %s", dir, code, stderr)
		}
		var list struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
			Metadata   map[string]string `json:"metadata"`
		}
		dec := json.NewDecoder(strings.NewReader(j))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&list); err != nil || list.APIVersion != "v1" || list.Kind != "List" || list.Metadata["resourceVersion"] != "" {
			t.Fatalf("%s: not a v1 List (%v):\n%.300s", dir, err, j)
		}
		var indented bytes.Buffer
		json.Indent(&indented, []byte(j), "", "    ")
		if indented.String() != j {
			t.Errorf("%s: not indented as kubectl -o json", dir)
		}
		docs := strings.Split(strings.TrimSuffix(y, "\n"), "\n---\n")
		if len(docs) != len(list.Items) {
			t.Fatalf("%s: %d items, %d YAML documents", dir, len(list.Items), len(docs))
		}
		for i, doc := range docs {
			var fromYAML, fromJSON any
			if err := sigsyaml.Unmarshal([]byte(doc+"\n"), &fromYAML); err != nil {
				t.Fatal(err)
			}
			json.Unmarshal(list.Items[i], &fromJSON)
			if diff := cmp.Diff(fromYAML, fromJSON); diff != "" {
				t.Errorf("%s: item %d differs from its YAML (-yaml +json):\n%s", dir, i, diff)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d render cases rendered", n)
	}
}

// TestCompletion: the library's completion scripts, and flag values
// completed from the same lists the flags check.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		if code, out, stderr := runCLI(t, "", "completion", shell); code != exitOK || !strings.Contains(out, "servelayer") {
			t.Errorf("completion %s: exit %d, %s", shell, code, stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "render", "--layer", ""}, layerValues},
		{[]string{"__complete", "plan", "--to", ""}, layerValues},
		{[]string{"__complete", "render", "-o", ""}, []string{"yaml", "json"}},
		{[]string{"__complete", "schema", ""}, []string{"servedmodel", "platform"}},
		{[]string{"__complete", "re"}, []string{"render"}},
	} {
		_, out, _ := runCLI(t, "", tc.args...)
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if l != "" && !strings.HasPrefix(l, ":") {
				got = append(got, strings.SplitN(l, "\t", 2)[0])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestNoArgumentsOnATerminal runs the binary with a real pseudo-terminal
// as stdin: it prints the help and exits 0 instead of waiting for a
// ResourceList nobody types. (With stdin not a terminal it is the
// function: TestFunctionExitCode, the kustomize tests.)
func TestNoArgumentsOnATerminal(t *testing.T) {
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer ptm.Close()
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(filepath.Join("/dev/pts", itoa(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pts.Close()
	cmd := exec.Command(builtBinary(t))
	cmd.Stdin = pts
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatal("the binary waits on the terminal instead of printing its help")
	}
	want := mustRead(t, "testdata/help/servelayer.txt")
	if err != nil || out.String() != string(want) || errOut.Len() != 0 {
		t.Errorf("exit %v, stderr %q\n%s", err, errOut.String(), corpus.FirstDiff(string(want), out.String()))
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// readmeBlocks returns the fenced blocks of the given language in the
// README section that starts with heading.
func readmeBlocks(t *testing.T, heading, lang string) []string {
	t.Helper()
	readme := string(mustRead(t, "../../README.md"))
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	section := readme[i+len(heading)+2:]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	var blocks []string
	for {
		k := strings.Index(section, "```"+lang+"\n")
		if k < 0 {
			return blocks
		}
		section = section[k+len(lang)+4:]
		end := strings.Index(section, "\n```")
		blocks = append(blocks, section[:end+1])
		section = section[end+4:]
	}
}

// TestReadmeOneSpec: the README's "One spec" ServedModel, copied as
// written, renders on every layer, without a Platform and with the
// Platform printed after it, with no error and no warning.
func TestReadmeOneSpec(t *testing.T) {
	blocks := readmeBlocks(t, "## One spec", "yaml")
	if len(blocks) < 2 || !strings.Contains(blocks[0], "kind: ServedModel") || !strings.Contains(blocks[1], "kind: Platform") {
		t.Fatalf("want the ServedModel and the Platform blocks, got %d blocks", len(blocks))
	}
	model := writeFile(t, "model.yaml", blocks[0])
	platform := writeFile(t, "platform.yaml", blocks[1])
	for _, layer := range []string{"raw-vllm", "kserve", "llm-d", "auto"} {
		for _, extra := range [][]string{nil, {"--platform", platform}} {
			args := append([]string{"render", "-f", model, "--layer", layer}, extra...)
			code, out, stderr := runCLI(t, "", args...)
			if code != exitOK || out == "" || strings.Contains(stderr, "warning:") || strings.Contains(stderr, "error:") {
				t.Errorf("%v: exit %d\n%s", args[3:], code, stderr)
			}
		}
	}
}

// TestReadmeShowsHelp: the README's CLI section shows `servelayer --help`
// as it is (testdata/help/servelayer.txt).
func TestReadmeShowsHelp(t *testing.T) {
	want := string(mustRead(t, "testdata/help/servelayer.txt"))
	for _, b := range readmeBlocks(t, "## Use it", "text") {
		if b == want {
			return
		}
	}
	t.Errorf("README's \"Use it\" section lacks a ```text block with the output of servelayer --help:\n%s", want)
}

// TestNoCustomTemplates: no command sets a help, usage or version
// template. cobra's defaults are Go functions; a template runs
// text/template, whose reflective method calls stop the linker's dead-code
// elimination and grow the binary by about 6 MB (13 MB now).
func TestNoCustomTemplates(t *testing.T) {
	fresh := &cobra.Command{}
	for _, path := range commandPaths() {
		cmd, _, err := newRoot(nil, nil, nil).Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if cmd.UsageTemplate() != fresh.UsageTemplate() || cmd.HelpTemplate() != fresh.HelpTemplate() || cmd.VersionTemplate() != fresh.VersionTemplate() {
			t.Errorf("%v sets a template", path)
		}
	}
}
