// Package e2e runs servelayer's Config Management Plugin in the real
// argocd-cmp-server (built from Argo CD's Go module by
// argocd/hack/build-cmp-server.sh) and drives it with Argo CD's own cmp client,
// the way the repo-server does: MatchRepository, repo-server discovery,
// GetParametersAnnouncement and GenerateManifest over a unix socket.
//
// The oracle for GenerateManifest is `bin/servelayer render -f DIR` on the
// same directory: the plugin must return exactly its objects, in order, and
// where render fails the plugin must fail with no manifests.
//
// Inputs (all made by `make cmp-test`):
//
//	SERVELAYER        the servelayer binary (default: <repo>/bin/servelayer)
//	ARGOCD_CMP_SERVER the cmp-server (default: <repo>/bin/argocd-<v>/argocd-cmp-server,
//	                  <v> being this module's argo-cd version)
//	CMP_E2E_IMAGE     if set, the cmp-server runs inside this servelayer image
//	                  under podman, as the repo-server sidecar does (`make
//	                  cmp-image-test`); the oracle is still bin/servelayer.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	grpc_retry "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/protobuf/types/known/emptypb"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	pluginclient "github.com/argoproj/argo-cd/v3/cmpserver/apiclient"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/app/discovery"
	"github.com/argoproj/argo-cd/v3/util/cmp"
)

const argoModule = "github.com/argoproj/argo-cd/v3"

var (
	repoRoot   string // the servelayer checkout
	servelayer string // bin/servelayer
	sockDir    string // the cmp-server's plugin socket directory
	client     pluginclient.ConfigManagementPluginServiceClient
	serverLog  *bytes.Buffer
)

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cmp e2e:", err)
		if serverLog != nil {
			fmt.Fprintf(os.Stderr, "---- argocd-cmp-server log\n%s", serverLog)
		}
		os.Exit(1)
	}
	if code != 0 && serverLog != nil {
		fmt.Fprintf(os.Stderr, "---- argocd-cmp-server log\n%s", serverLog)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	wd, err := os.Getwd()
	if err != nil {
		return 0, err
	}
	repoRoot = filepath.Clean(filepath.Join(wd, "..", ".."))
	servelayer = envOr("SERVELAYER", filepath.Join(repoRoot, "bin", "servelayer"))
	version, err := argoVersion()
	if err != nil {
		return 0, err
	}
	server := envOr("ARGOCD_CMP_SERVER", filepath.Join(repoRoot, "bin", "argocd-"+version, "argocd-cmp-server"))
	for _, f := range []string{servelayer, server} {
		if _, err := os.Stat(f); err != nil {
			return 0, fmt.Errorf("%v (run `make cmp-test`, which builds bin/servelayer and runs argocd/hack/build-cmp-server.sh)", err)
		}
	}
	if filepath.Base(server) != "argocd-cmp-server" {
		return 0, fmt.Errorf("%s: Argo CD's binary picks its component from argv[0]; it must be named argocd-cmp-server", server)
	}

	// Unix socket paths are limited to 108 bytes: keep the temp dir short.
	tmp, err := os.MkdirTemp("", "slcmp")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	configDir := filepath.Join(tmp, "config")
	sockDir = filepath.Join(tmp, "plugins")
	workDir := filepath.Join(tmp, "work")
	for _, d := range []string{configDir, sockDir, workDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return 0, err
		}
	}
	plugin, err := os.ReadFile(filepath.Join(repoRoot, "argocd", "plugin.yaml"))
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(configDir, "plugin.yaml"), plugin, 0o600); err != nil {
		return 0, err
	}
	slDir, err := filepath.Abs(filepath.Dir(servelayer))
	if err != nil {
		return 0, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cmd *exec.Cmd
	stop := func() {}
	if image := os.Getenv("CMP_E2E_IMAGE"); image != "" {
		cmd, stop, err = inImage(ctx, image, server, configDir, tmp)
		if err != nil {
			return 0, err
		}
	} else {
		cmd = exec.CommandContext(ctx, server, "--config-dir-path", configDir, "--logformat", "text", "--loglevel", "info")
		// A clean environment: plugin.yaml calls `servelayer` by name, as
		// the image's PATH does. The defaults (/home/argocd/...) are relocated.
		cmd.Env = []string{
			"PATH=" + slDir + string(os.PathListSeparator) + "/usr/bin:/bin",
			"HOME=" + tmp,
			"TMPDIR=" + tmp,
			common.EnvPluginSockFilePath + "=" + sockDir,
			common.EnvCMPWorkDir + "=" + workDir,
		}
	}
	serverLog = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = serverLog, serverLog
	// Stop with SIGTERM (podman forwards it to the container), then kill.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		stop()
		cancel()
		<-exited
	}()

	sock := filepath.Join(sockDir, "servelayer.sock")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if st, err := os.Stat(sock); err == nil && st.Mode().Type() == os.ModeSocket {
			break
		}
		select {
		case <-exited:
			return 0, fmt.Errorf("argocd-cmp-server exited before listening: %v", waitErr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("argocd-cmp-server did not create %s within 60s", sock)
		}
	}
	closer, c, err := pluginclient.NewConfigManagementPluginClientSet(sock).NewConfigManagementPluginClient()
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	client = c
	// The repo-server's discovery reads the socket dir from the environment.
	os.Setenv(common.EnvPluginSockFilePath, sockDir)
	return m.Run(), nil
}

// inImage runs the cmp-server as the repo-server sidecar does (argocd/README.md):
// in the servelayer image, as UID 999, read-only root, no network, with the
// server binary at /var/run/argocd/argocd-cmp-server, plugin.yaml and the
// socket dir at Argo CD's default paths and an empty /tmp. The image comes
// from `make image` (the store of argocd/hack/image-test.sh).
func inImage(ctx context.Context, image, server, configDir, tmp string) (*exec.Cmd, func(), error) {
	store := envOr("CONTAINERS_STORE", filepath.Join(repoRoot, "bin", "containers"))
	podman := []string{"--root", filepath.Join(store, "root"), "--runroot", filepath.Join(store, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	// The sidecar's UID must be able to create its socket in the shared dir
	// and to read plugin.yaml.
	for path, mode := range map[string]os.FileMode{
		tmp: 0o755, sockDir: 0o777, configDir: 0o755, filepath.Join(configDir, "plugin.yaml"): 0o644,
	} {
		if err := os.Chmod(path, mode); err != nil {
			return nil, nil, err
		}
	}
	name := fmt.Sprintf("servelayer-cmp-e2e-%d", os.Getpid())
	args := append(append([]string{}, podman...),
		"run", "--rm", "--name", name, "--pull", "never", "--runtime", "runc", "--network", "none",
		"--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,mode=1777",
		"--user", "999", "--cap-drop", "all", "--security-opt", "no-new-privileges",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
		"--volume", server+":/var/run/argocd/argocd-cmp-server:ro",
		"--volume", filepath.Join(configDir, "plugin.yaml")+":/home/argocd/cmp-server/config/plugin.yaml:ro",
		"--volume", sockDir+":/home/argocd/cmp-server/plugins",
		"--entrypoint", "/var/run/argocd/argocd-cmp-server",
		image, "--logformat", "text", "--loglevel", "info")
	// The server is PID 1 in the container, which ignores SIGTERM: stop it
	// the way the kubelet would, TERM then KILL, and remove the container.
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rm := exec.CommandContext(ctx, "podman", append(append([]string{}, podman...), "rm", "--force", "--ignore", "--time", "2", name)...)
		if out, err := rm.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "cmp e2e: podman rm %s: %v: %s\n", name, err, out)
		}
	}
	return exec.CommandContext(ctx, "podman", args...), stop, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// argoVersion is the argo-cd version this module requires (go.mod in the
// test's directory); the cmp-server is built from the same module (its tool
// line), so it is the server's version too.
func argoVersion() (string, error) {
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == argoModule && strings.HasPrefix(f[1], "v") {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("go.mod does not require %s", argoModule)
}

// --- Argo CD client calls, as the repo-server makes them.

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// appEnv is the environment the repo-server sends: the Application's
// plugin parameters (marshalled by Argo CD's own types) and plugin env.
func appEnv(t *testing.T, params map[string]string, env map[string]string) []string {
	t.Helper()
	var ps v1alpha1.ApplicationSourcePluginParameters
	for _, k := range sortedKeys(params) {
		v := params[k]
		ps = append(ps, v1alpha1.ApplicationSourcePluginParameter{Name: k, String_: &v})
	}
	out := []string{"ARGOCD_APP_NAME=e2e", "KUBE_VERSION=1.34.3"}
	if len(ps) > 0 {
		pe, err := ps.Environ()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pe...)
	}
	for _, k := range sortedKeys(env) {
		out = append(out, "ARGOCD_ENV_"+k+"="+env[k])
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func match(t *testing.T, repo, app string, env []string) (supported, discovery bool) {
	t.Helper()
	ctx := ctxT(t)
	stream, err := client.MatchRepository(ctx, grpc_retry.Disable())
	if err != nil {
		t.Fatal(err)
	}
	if err := cmp.SendRepoStream(ctx, app, repo, stream, env, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatalf("MatchRepository: %v", err)
	}
	return resp.GetIsSupported(), resp.GetIsDiscoveryEnabled()
}

func generate(t *testing.T, repo, app string, env []string) ([]string, error) {
	t.Helper()
	ctx := ctxT(t)
	stream, err := client.GenerateManifest(ctx, grpc_retry.Disable())
	if err != nil {
		t.Fatal(err)
	}
	if err := cmp.SendRepoStream(ctx, app, repo, stream, env, nil); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetManifests(), err
}

// --- the oracle

type rendered struct {
	objs   []string // canonical JSON, one per object
	code   int
	stderr string
}

func render(t *testing.T, args ...string) rendered {
	t.Helper()
	cmd := exec.Command(servelayer, append([]string{"render"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	r := rendered{stderr: stderr.String()}
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if stdout.Len() > 0 {
			t.Fatalf("servelayer render %v exited %d and printed to stdout", args, r.code)
		}
		return r
	default:
		t.Fatal(err)
	}
	d := utilyaml.NewYAMLOrJSONDecoder(&stdout, 4096)
	for {
		var obj map[string]any
		if err := d.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("servelayer render %v: output is not YAML: %v", args, err)
		}
		if obj == nil {
			continue
		}
		r.objs = append(r.objs, canonical(t, obj))
	}
	return r
}

func canonical(t *testing.T, obj any) string {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func canonicalManifests(t *testing.T, ms []string) []string {
	t.Helper()
	out := make([]string, len(ms))
	for i, m := range ms {
		var obj map[string]any
		if err := json.Unmarshal([]byte(m), &obj); err != nil {
			t.Fatalf("manifest %d is not JSON: %v", i, err)
		}
		out[i] = canonical(t, obj)
	}
	return out
}

// sameAsRender checks the plugin against `servelayer render` for one app.
func sameAsRender(t *testing.T, repo, app string, env []string, renderArgs ...string) rendered {
	t.Helper()
	want := render(t, append([]string{"-f", app}, renderArgs...)...)
	got, err := generate(t, repo, app, env)
	if want.code != 0 {
		if err == nil {
			t.Fatalf("render exited %d (%s) but GenerateManifest succeeded with %d manifests", want.code, want.stderr, len(got))
		}
		if len(got) != 0 {
			t.Fatalf("GenerateManifest failed but returned %d manifests", len(got))
		}
		return want
	}
	if err != nil {
		t.Fatalf("GenerateManifest: %v", err)
	}
	if len(want.objs) == 0 {
		t.Fatal("render succeeded with no objects")
	}
	gotObjs := canonicalManifests(t, got)
	if !slices.Equal(gotObjs, want.objs) {
		t.Fatalf("GenerateManifest returned %d objects, render %d; they differ:\n%s", len(gotObjs), len(want.objs), firstDiff(gotObjs, want.objs))
	}
	return want
}

func firstDiff(got, want []string) string {
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("object %d\n  cmp:    %s\n  render: %s", i, g, w)
		}
	}
	return "(no difference)"
}

func readLayer(t *testing.T, dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "layer"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// --- tests

// TestRenderCases runs every render golden case of the main module (and
// every example, once there are any) through the plugin, with the case's
// layer override as the `layer` parameter.
func TestRenderCases(t *testing.T) {
	var dirs []string
	for _, pattern := range []string{"testdata/render/*", "examples/*"} {
		ms, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if st, err := os.Stat(m); err == nil && st.IsDir() {
				dirs = append(dirs, m)
			}
		}
	}
	if len(dirs) < 5 {
		t.Fatalf("found only %d cases under testdata/render and examples", len(dirs))
	}
	var ok, failed int
	for _, dir := range dirs {
		name, _ := filepath.Rel(repoRoot, dir)
		t.Run(name, func(t *testing.T) {
			repo := filepath.Dir(dir)
			var params map[string]string
			var args []string
			if l := readLayer(t, dir); l != "" {
				params = map[string]string{"layer": l}
				args = []string{"--layer", l}
			}
			env := appEnv(t, params, nil)
			if sup, disc := match(t, repo, dir, env); !sup || !disc {
				t.Fatalf("MatchRepository: supported=%v discoveryEnabled=%v, want both true", sup, disc)
			}
			r := sameAsRender(t, repo, dir, env, args...)
			if r.code == 0 {
				ok++
			} else {
				failed++
			}
			if strings.HasPrefix(filepath.Base(dir), "err-") && r.code == 0 {
				t.Fatal("an err-* case rendered")
			}
		})
	}
	// Both branches must be exercised, or the test proves half of what it says.
	if ok == 0 || failed == 0 {
		t.Fatalf("%d cases rendered and %d failed: need some of each", ok, failed)
	}
}

// fixture returns a fresh copy of argocd/testdata/<name> as an app in its own repo.
func fixture(t *testing.T, name string) (repo, app string) {
	t.Helper()
	repo = t.TempDir()
	app = filepath.Join(repo, "apps", name)
	if err := os.CopyFS(app, os.DirFS(filepath.Join(repoRoot, "argocd", "testdata", name))); err != nil {
		t.Fatal(err)
	}
	return repo, app
}

func TestPlatformParameterAndEnv(t *testing.T) {
	repo, app := fixture(t, "platform-param")
	platform := filepath.Join(app, "platforms", "lab.yaml")
	env := appEnv(t, map[string]string{"platform": "platforms/lab.yaml", "layer": "llm-d"}, nil)
	if sup, _ := match(t, repo, app, env); !sup {
		t.Fatal("MatchRepository: not supported")
	}
	want := sameAsRender(t, repo, app, env, "--platform", platform, "--layer", "llm-d")
	if want.code != 0 || len(want.objs) == 0 {
		t.Fatalf("render failed: %s", want.stderr)
	}
	// The same through plugin env (spec.source.plugin.env).
	sameAsRender(t, repo, app, appEnv(t, nil, map[string]string{"PLATFORM": "platforms/lab.yaml", "LAYER": "llm-d"}),
		"--platform", platform, "--layer", "llm-d")
	// And the gate: this Platform turns KServe off, so a move to kserve fails.
	r := sameAsRender(t, repo, app, appEnv(t, map[string]string{"platform": "platforms/lab.yaml", "layer": "kserve"}, nil),
		"--platform", platform, "--layer", "kserve")
	if r.code == 0 {
		t.Fatal("kserve rendered although the Platform gates it off")
	}
	// layer auto, as the CLI's --layer auto: the rules pick within the
	// Platform's gates (this one turns KServe off).
	if r := sameAsRender(t, repo, app, appEnv(t, map[string]string{"platform": "platforms/lab.yaml", "layer": "auto"}, nil),
		"--platform", platform, "--layer", "auto"); r.code != 0 || len(r.objs) == 0 {
		t.Fatalf("layer auto: exit %d: %s", r.code, r.stderr)
	}
	// Without the Platform, no gate: kserve renders.
	if r := sameAsRender(t, repo, app, appEnv(t, map[string]string{"layer": "kserve"}, nil), "--layer", "kserve"); r.code != 0 {
		t.Fatalf("render without platform failed: %s", r.stderr)
	}
}

func TestInvalidSpecFails(t *testing.T) {
	repo, app := fixture(t, "invalid")
	env := appEnv(t, nil, nil)
	if sup, _ := match(t, repo, app, env); !sup {
		t.Fatal("MatchRepository: an app with an invalid ServedModel must still be ours (so it fails loudly)")
	}
	got, err := generate(t, repo, app, env)
	if err == nil {
		t.Fatalf("GenerateManifest succeeded with %d manifests", len(got))
	}
	if len(got) != 0 {
		t.Fatalf("GenerateManifest failed but returned %d manifests", len(got))
	}
	if !strings.Contains(err.Error(), "spec.resources") {
		t.Fatalf("error lacks the field path spec.resources: %v", err)
	}
	if r := render(t, "-f", app); r.code != 1 {
		t.Fatalf("render exited %d, want 1", r.code)
	}
}

func TestNotOurs(t *testing.T) {
	repo, app := fixture(t, "plain-manifests")
	env := appEnv(t, nil, nil)
	if sup, disc := match(t, repo, app, env); sup || !disc {
		t.Fatalf("MatchRepository: supported=%v discoveryEnabled=%v, want false, true", sup, disc)
	}
	// Named explicitly anyway, generate refuses an empty render.
	got, err := generate(t, repo, app, env)
	if err == nil || len(got) != 0 {
		t.Fatalf("GenerateManifest on an app without ServedModels: %d manifests, err %v; want an error and none", len(got), err)
	}
	// The repo-server's own discovery does not pick the plugin...
	if _, _, err := discovery.DetectConfigManagementPlugin(ctxT(t), app, repo, "", env, nil); err == nil {
		t.Fatal("repo-server discovery picked servelayer for plain manifests")
	}
	// ...but does for a ServedModel app, by discovery and by name.
	repo2, app2 := fixture(t, "platform-param")
	for _, name := range []string{"", "servelayer"} {
		closer, _, err := discovery.DetectConfigManagementPlugin(ctxT(t), app2, repo2, name, env, nil)
		if err != nil {
			t.Fatalf("repo-server discovery (plugin name %q): %v", name, err)
		}
		closer.Close()
	}
}

// TestBadInputNeverEchoesEnv: errors name parameters and variables, never
// the values the environment carried.
func TestBadInputNeverEchoesEnv(t *testing.T) {
	repo, app := fixture(t, "platform-param")
	secret := "s3cr3t-7f1c2a"
	cases := []struct {
		name   string
		params map[string]string
		env    map[string]string
		want   string
	}{
		{"bad layer", map[string]string{"layer": "layer-" + secret}, map[string]string{"TOKEN": secret}, `parameter "layer"`},
		{"escaping platform", map[string]string{"platform": "../../" + secret + "/platform.yaml"}, nil, `parameter "platform"`},
		{"absolute platform", map[string]string{"platform": "/etc/" + secret}, nil, `parameter "platform"`},
		{"unknown parameter", map[string]string{"lay" + secret: "kserve"}, nil, "unknown parameter"},
		{"conflict", map[string]string{"layer": "kserve"}, map[string]string{"LAYER": "llm-d"}, "ARGOCD_ENV_LAYER"},
		{"bad recurse", map[string]string{"recurse": secret}, nil, `parameter "recurse"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := generate(t, repo, app, appEnv(t, c.params, c.env))
			if err == nil || len(got) != 0 {
				t.Fatalf("GenerateManifest: %d manifests, err %v; want an error and none", len(got), err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error does not mention %s: %v", c.want, err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error echoes an environment value: %v", err)
			}
		})
	}
}

func TestParametersAnnounced(t *testing.T) {
	repo, app := fixture(t, "platform-param")
	ctx := ctxT(t)
	stream, err := client.GetParametersAnnouncement(ctx, grpc_retry.Disable())
	if err != nil {
		t.Fatal(err)
	}
	if err := cmp.SendRepoStream(ctx, app, repo, stream, appEnv(t, nil, nil), nil); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range resp.GetParameterAnnouncements() {
		names = append(names, a.Name)
	}
	for _, want := range []string{"layer", "platform"} {
		if !slices.Contains(names, want) {
			t.Errorf("parameter %q not announced (got %v)", want, names)
		}
	}
	cfg, err := client.CheckPluginConfiguration(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.IsDiscoveryConfigured || cfg.ProvideGitCreds {
		t.Fatalf("CheckPluginConfiguration: discovery=%v gitCreds=%v, want true, false", cfg.IsDiscoveryConfigured, cfg.ProvideGitCreds)
	}
}

// TestSymlinkOutsideTheAppIsRefused: Argo CD's own unpacking keeps
// symlinks that stay inside the repository, so a symlink in the app
// directory can name another app's model or Platform. The plugin reads
// nothing that does not resolve inside the app directory: generate fails,
// naming the file, with no manifests and nothing of the target in the
// error; a symlink that stays inside the app is read.
func TestSymlinkOutsideTheAppIsRefused(t *testing.T) {
	for _, c := range []struct{ name, target string }{
		{"stranger.yaml", "../../other/stranger.yaml"},
		{"lab.yaml", "../../other/platform.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo, app := fixture(t, "platform-param")
			other := filepath.Join(repo, "other")
			if err := os.MkdirAll(other, 0o755); err != nil {
				t.Fatal(err)
			}
			model, err := os.ReadFile(filepath.Join(app, "model.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			stranger := strings.Replace(string(model), "name: ", "name: stranger-7c0", 1)
			platform := "apiVersion: servelayer.dev/v1alpha1\nkind: Platform\nmetadata: {name: outside-7c0}\nspec: {features: {kserve: false}}\n"
			for name, content := range map[string]string{"stranger.yaml": stranger, "platform.yaml": platform} {
				if err := os.WriteFile(filepath.Join(other, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(c.target, filepath.Join(app, c.name)); err != nil {
				t.Fatal(err)
			}
			env := appEnv(t, nil, nil)
			got, err := generate(t, repo, app, env)
			if err == nil || len(got) != 0 {
				t.Fatalf("GenerateManifest: %d manifests, err %v; want an error and none", len(got), err)
			}
			if !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), "resolves outside the directory") {
				t.Fatalf("the error does not name %s and why: %v", c.name, err)
			}
			for _, leak := range []string{"stranger-7c0", "outside-7c0"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("the error quotes the target (%s): %v", leak, err)
				}
			}
		})
	}
	// A symlink inside the app directory is followed.
	repo, app := fixture(t, "platform-param")
	if err := os.Symlink("platforms/lab.yaml", filepath.Join(app, "platform-link.yaml")); err != nil {
		t.Fatal(err)
	}
	env := appEnv(t, map[string]string{"platform": "platform-link.yaml"}, nil)
	if got, err := generate(t, repo, app, env); err != nil || len(got) == 0 {
		t.Fatalf("a symlink inside the app: %d manifests, err %v", len(got), err)
	}
}
