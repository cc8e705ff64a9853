package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/internal/corpus"
)

// hermeticRun is one way of running the binary the hermeticity tests
// check: arguments, stdin, and the input files it may open.
type hermeticRun struct {
	name   string
	args   []string
	stdin  []byte
	inputs []string
	code   int
}

// hermeticRuns are the two interfaces: the function on a ResourceList
// (the fleet example) and `render -f` on files. Inputs live outside the
// (empty) working directory and are named by absolute path.
func hermeticRuns(t *testing.T) []hermeticRun {
	t.Helper()
	in := t.TempDir()
	models, platform := filepath.Join(in, "models.yaml"), filepath.Join(in, "platform.yaml")
	for dst, src := range map[string]string{models: fleetModels, platform: fleetPlatform} {
		if err := os.WriteFile(dst, mustRead(t, src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bad := filepath.Join(in, "bad.yaml")
	if err := os.WriteFile(bad, mustRead(t, "../../testdata/bad/type-creation-timestamp/input.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return []hermeticRun{
		{name: "krm", stdin: fleetResourceList(t, mustRead(t, fleetModels))},
		{name: "render", args: []string{"render", "-f", models, "--platform", platform}, inputs: []string{models, platform}},
		// The error paths too: they must not, say, load a time zone
		// database or a message catalog to explain themselves.
		{name: "krm-invalid-yaml", stdin: mustRead(t, "../../testdata/bad/yaml-unclosed-flow-mapping/input.yaml"), code: exitInvalid},
		{name: "render-invalid", args: []string{"render", "-f", bad}, inputs: []string{bad}, code: exitInvalid},
	}
}

// emptyEnvCommand runs argv in an empty working directory with an empty
// environment (no HOME, no PATH, no KUBECONFIG, no proxy settings).
func emptyEnvCommand(t *testing.T, stdin []byte, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return cmd
}

// output runs cmd, requires exit code code, and returns stdout and stderr.
func output(t *testing.T, cmd *exec.Cmd, code int) (string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	if got != code {
		t.Fatalf("%s: exit %d, want %d\nstderr: %s", strings.Join(cmd.Args, " "), got, code, errOut.String())
	}
	return out.String(), errOut.String()
}

// netNamespace returns the unshare arguments that put a command in its own
// network namespace: a user namespace too (-r) when the kernel allows it,
// else a plain network namespace, which needs root.
func netNamespace(t *testing.T) []string {
	t.Helper()
	for _, args := range [][]string{{"unshare", "-rn"}, {"unshare", "-n"}} {
		if exec.Command(args[0], append(args[1:], "true")...).Run() == nil {
			return args
		}
	}
	t.Fatal("cannot create a network namespace with `unshare -rn` or `unshare -n` (util-linux; needs user namespaces or root)")
	return nil
}

// TestHermeticWithoutNetworkOrEnvironment runs the binary in a network
// namespace with no interface but a down loopback, an empty environment
// and an empty working directory: it must render exactly what it renders
// normally. A binary that needed the network, HOME, a kubeconfig or a
// file in its working directory would fail or differ here.
func TestHermeticWithoutNetworkOrEnvironment(t *testing.T) {
	bin := builtBinary(t)
	ns := netNamespace(t)
	for _, r := range hermeticRuns(t) {
		t.Run(r.name, func(t *testing.T) {
			normal := exec.Command(bin, r.args...)
			if r.stdin != nil {
				normal.Stdin = bytes.NewReader(r.stdin)
			}
			want, wantErr := output(t, normal, r.code)
			cmd := emptyEnvCommand(t, r.stdin, append(append(ns, bin), r.args...)...)
			got, stderr := output(t, cmd, r.code)
			if got != want || stderr != wantErr {
				t.Errorf("isolated run differs from a normal run:\n%s\nstderr: %s", corpus.FirstDiff(want+wantErr, got+stderr), stderr)
			}
			if r.code == 0 && got == "" {
				t.Error("no output")
			}
			if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
				t.Errorf("the binary wrote %d file(s) into its working directory", len(entries))
			}
		})
	}
}

// runtimeFiles are the files the Go runtime and the binary's dependencies
// open on their own, whatever the input. Each is allowed precisely, with
// the reason:
var runtimeFiles = []*regexp.Regexp{
	// The Go runtime reads the transparent huge page size at start-up
	// (runtime/os_linux.go, getHugePageSize).
	regexp.MustCompile(`^/sys/kernel/mm/transparent_hugepage/hpage_pmd_size$`),
	// Since Go 1.25 the runtime sizes GOMAXPROCS from the cgroup CPU limit:
	// it reads its cgroup and the mount table to find the cgroup
	// filesystem, then the limit files (v2: cpu.max; v1: cpu.cfs_*).
	regexp.MustCompile(`^/proc/self/cgroup$`),
	regexp.MustCompile(`^/proc/self/mountinfo$`),
	regexp.MustCompile(`^/sys/fs/cgroup(/.*)?/(cpu\.max|cpu\.cfs_quota_us|cpu\.cfs_period_us)$`),
}

var (
	straceLineRE = regexp.MustCompile(`^(?:\[pid +)?(\d+)\]? *(\w+)\((.*)$`)
	// openatPathRE and openPathRE take the path out of the arguments.
	openatPathRE = regexp.MustCompile(`^(?:AT_FDCWD|-?\d+), "((?:[^"\\]|\\.)*)"`)
	openPathRE   = regexp.MustCompile(`^"((?:[^"\\]|\\.)*)"`)
)

// TestHermeticSyscalls traces the binary with strace: it must make no
// network system call at all, execute nothing, and open no file but its
// input, itself (google.golang.org/protobuf, linked in through kyaml's
// OpenAPI support, hashes its own executable at init to seed its output
// randomization: internal/detrand) and the runtime files above.
func TestHermeticSyscalls(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatal("strace not found: run `make tools` (hack/fuzz.mk installs it) or apt-get install strace")
	}
	bin := builtBinary(t)
	for _, r := range hermeticRuns(t) {
		t.Run(r.name, func(t *testing.T) {
			trace := filepath.Join(t.TempDir(), "trace")
			argv := append([]string{strace, "-f", "-qq", "-e", "signal=none", "-o", trace,
				"-e", "trace=%network,open,openat,openat2,creat,execve,execveat,name_to_handle_at,open_by_handle_at",
				bin}, r.args...)
			out, stderr := output(t, emptyEnvCommand(t, r.stdin, argv...), r.code)
			// The function always answers with a ResourceList; render prints
			// only on success.
			if wantOut := r.args == nil || r.code == 0; (out != "") != wantOut {
				t.Fatalf("%d bytes of output under strace, want output: %v\nstderr: %s", len(out), wantOut, stderr)
			}
			b, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			allowed := map[string]bool{bin: true}
			for _, in := range r.inputs {
				allowed[in] = true
			}
			execs, opens := 0, 0
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				m := straceLineRE.FindStringSubmatch(line)
				if m == nil {
					if strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "---") || strings.Contains(line, "resumed>") {
						continue // exit and signal notices, resumed calls
					}
					t.Errorf("unparsed strace line: %s", line)
					continue
				}
				call, args := m[2], m[3]
				switch call {
				case "execve", "execveat":
					if execs++; execs > 1 || !strings.Contains(args, `"`+bin+`"`) {
						t.Errorf("the binary executed a program: %s", line)
					}
				case "open", "openat", "openat2", "creat":
					opens++
					pm := openatPathRE.FindStringSubmatch(args)
					if call == "open" || call == "creat" {
						pm = openPathRE.FindStringSubmatch(args)
					}
					if pm == nil {
						t.Errorf("cannot read the path of: %s", line)
						continue
					}
					if !allowed[pm[1]] && !isRuntimeFile(pm[1]) {
						t.Errorf("opened a file that is neither its input nor a runtime file: %s", line)
					}
				default:
					t.Errorf("made a network (or handle) system call: %s", line)
				}
			}
			if execs != 1 || opens == 0 {
				t.Errorf("the trace looks wrong (%d execve, %d opens):\n%s", execs, opens, b)
			}
			for _, in := range r.inputs {
				if !strings.Contains(string(b), `"`+in+`"`) {
					t.Errorf("the trace never opens the input %s: is strace tracing the right calls?\n%s", in, b)
				}
			}
		})
	}
}

func isRuntimeFile(p string) bool {
	for _, re := range runtimeFiles {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}
