package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ArgoCDVersion is the Argo CD the GitOps scenarios run: the argo-cd module
// argocd/e2e pins, built by argocd/hack/build-cmp-server.sh (a test checks
// they agree).
const ArgoCDVersion = "v3.2.6"

// ArgoNamespace is Argo CD's namespace: its settings, project and
// Applications.
const ArgoNamespace = "argocd"

var (
	ApplicationGVK = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "Application"}
	AppProjectGVK  = schema.GroupVersionKind{Group: "argoproj.io", Version: "v1alpha1", Kind: "AppProject"}
	configMapGVK   = schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	serviceGVK     = schema.GroupVersionKind{Version: "v1", Kind: "Service"}
)

// ArgoCD is Argo CD's application controller and repo-server, with Redis and
// servelayer's Config Management Plugin sidecar (argocd-cmp-server running
// argocd/plugin.yaml), on 127.0.0.1 beside the cluster; and the Git
// repository its Applications read. Not run: the API server, Dex, the
// ApplicationSet and notification controllers (nothing here needs them;
// the test does what `argocd app sync` asks the API server to do).
type ArgoCD struct {
	Git   *GitServer
	dir   string
	procs []*process
}

// ArgoBinaries are what the GitOps scenarios run.
type ArgoBinaries struct {
	// Argo is Argo CD's multi-call binary, as built: named
	// argocd-cmp-server (argv[0] picks the component).
	Argo string
	// Servelayer is the plugin's binary (on the sidecar's PATH).
	Servelayer string
	// Redis is Debian's redis-server.
	Redis string
}

// ArgoBinariesIn returns the binaries under root/bin and redis-server from
// PATH.
func ArgoBinariesIn(root string) (ArgoBinaries, error) {
	b := ArgoBinaries{
		Argo:       filepath.Join(root, "bin", "argocd-"+ArgoCDVersion, "argocd-cmp-server"),
		Servelayer: envOr("SERVELAYER", filepath.Join(root, "bin", "servelayer")),
	}
	for _, f := range []string{b.Argo, b.Servelayer} {
		if _, err := os.Stat(f); err != nil {
			return b, fmt.Errorf("%w: `make e2e` builds it (make cmp-server, make build)", err)
		}
	}
	redis, err := exec.LookPath("redis-server")
	if err != nil {
		return b, fmt.Errorf("redis-server (Debian's redis-server package) is not on PATH: `make e2e-tools` installs it: %w", err)
	}
	b.Redis = redis
	return b, nil
}

// StartArgoCD installs Argo CD's CRDs, settings and default project into
// the cluster and starts Redis, the servelayer plugin sidecar, the
// repo-server and the application controller (in that order), each on
// 127.0.0.1 with random free ports, logging into the cluster's directory.
// Stop stops them; Cluster.Stop does too.
func (c *Cluster) StartArgoCD(ctx context.Context, root string, bins ArgoBinaries) (_ *ArgoCD, err error) {
	// Inside the cluster's directory, so that Cluster.Stop removes it too;
	// the plugin's socket path stays far below the 108 bytes allowed.
	dir := filepath.Join(c.Dir, "argocd")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	a := &ArgoCD{dir: dir}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, a.logs(30))
			a.Stop()
		}
	}()
	argoModule, err := moduleDir(filepath.Join(root, "argocd", "e2e"), "github.com/argoproj/argo-cd/v3")
	if err != nil {
		return nil, err
	}
	if err := c.installArgoCD(ctx, root, argoModule); err != nil {
		return nil, err
	}
	if a.Git, err = StartGitServer(dir); err != nil {
		return nil, err
	}

	// argv[0] picks the component of Argo CD's one binary.
	binDir := filepath.Join(dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return nil, err
	}
	for _, name := range []string{"argocd-repo-server", "argocd-application-controller"} {
		if err := os.Symlink(bins.Argo, filepath.Join(binDir, name)); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	redisAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	repoAddr := fmt.Sprintf("127.0.0.1:%d", ports[1])
	sockDir := filepath.Join(dir, "plugins")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{sockDir, tmp, filepath.Join(dir, "cmp-config"), filepath.Join(dir, "cmp-work"), filepath.Join(dir, "redis"), filepath.Join(dir, "tls"), filepath.Join(dir, "ssh")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Paths Argo CD defaults to under /app/config, /tmp and /home/argocd,
	// moved into the directory.
	common := []string{
		"HOME=" + dir, "TMPDIR=" + tmp,
		"ARGOCD_TLS_DATA_PATH=" + filepath.Join(dir, "tls"),
		"ARGOCD_SSH_DATA_PATH=" + filepath.Join(dir, "ssh"),
		"ARGOCD_PLUGINSOCKFILEPATH=" + sockDir,
	}

	// Redis: no persistence, loopback only.
	redis, err := a.start(c, "redis", bins.Redis, nil,
		"--bind", "127.0.0.1", "--port", fmt.Sprint(ports[0]), "--dir", filepath.Join(dir, "redis"),
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no")
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, redis, 30*time.Second, func() bool { return tcpUp(redisAddr) }); err != nil {
		return nil, err
	}

	// The plugin sidecar: argocd-cmp-server with argocd/plugin.yaml and
	// servelayer on its PATH, listening in the shared socket directory.
	plugin, err := os.ReadFile(filepath.Join(root, "argocd", "plugin.yaml"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "cmp-config", "plugin.yaml"), plugin, 0o600); err != nil {
		return nil, err
	}
	slDir, err := filepath.Abs(filepath.Dir(bins.Servelayer))
	if err != nil {
		return nil, err
	}
	cmp, err := a.start(c, "argocd-cmp-server", bins.Argo,
		append(append([]string{}, common...), "PATH="+slDir+":/usr/bin:/bin", "ARGOCD_CMP_WORKDIR="+filepath.Join(dir, "cmp-work")),
		"--config-dir-path", filepath.Join(dir, "cmp-config"), "--logformat", "text", "--loglevel", "info")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(sockDir, "servelayer.sock")
	if err := waitProc(ctx, cmp, 60*time.Second, func() bool {
		st, err := os.Stat(sock)
		return err == nil && st.Mode().Type() == os.ModeSocket
	}); err != nil {
		return nil, err
	}

	// The repo-server: git over HTTP, the plugin through its socket, no GPG.
	repo, err := a.start(c, "argocd-repo-server", filepath.Join(binDir, "argocd-repo-server"),
		append(append([]string{}, common...),
			"ARGOCD_GPG_ENABLED=false",
			"ARGOCD_GNUPGHOME="+filepath.Join(dir, "gnupg"),
			"ARGOCD_ASK_PASS_SOCK="+filepath.Join(dir, "askpass.sock")),
		"--address", "127.0.0.1", "--port", fmt.Sprint(ports[1]),
		"--metrics-address", "127.0.0.1", "--metrics-port", fmt.Sprint(ports[2]),
		"--redis", redisAddr, "--disable-tls", "--logformat", "text", "--loglevel", "info")
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, repo, 60*time.Second, func() bool {
		return httpOK(fmt.Sprintf("http://127.0.0.1:%d/healthz?full=true", ports[2]), "")
	}); err != nil {
		return nil, err
	}

	// The application controller. ARGOCD_FAKE_IN_CLUSTER (Argo CD's own
	// local-run switch) makes the in-cluster destination,
	// https://kubernetes.default.svc, use $KUBECONFIG instead of a pod's
	// service account: this cluster, as the controller's own client.
	// Its metrics listener has no address flag: Argo CD binds it to
	// 0.0.0.0 (controller/appcontroller.go); the port is random and free.
	ctrl, err := a.start(c, "argocd-application-controller", filepath.Join(binDir, "argocd-application-controller"),
		append(append([]string{}, common...), "ARGOCD_FAKE_IN_CLUSTER=true", "KUBECONFIG="+c.kubeconfig),
		"--kubeconfig", c.kubeconfig, "--namespace", ArgoNamespace,
		"--redis", redisAddr, "--repo-server", repoAddr, "--repo-server-plaintext",
		"--metrics-port", fmt.Sprint(ports[3]),
		"--status-processors", "4", "--operation-processors", "4",
		"--logformat", "text", "--loglevel", "info")
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, ctrl, 90*time.Second, func() bool {
		return httpOK(fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[3]), "")
	}); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *ArgoCD) start(c *Cluster, name, bin string, env []string, args ...string) (*process, error) {
	p, err := c.procs.start(name, bin, env, args...)
	if err != nil {
		return nil, err
	}
	a.procs = append(a.procs, p)
	return p, nil
}

// Stop stops Argo CD's processes (the last started first) and the Git
// server, and reports a process group left behind.
func (a *ArgoCD) Stop() error {
	for i := len(a.procs) - 1; i >= 0; i-- {
		a.procs[i].stop(10 * time.Second)
	}
	if a.Git != nil {
		a.Git.Stop()
	}
	var left []string
	for _, p := range a.procs {
		if err := syscall.Kill(-p.cmd.Process.Pid, 0); err != syscall.ESRCH {
			left = append(left, fmt.Sprintf("%s (%d)", p.name, p.cmd.Process.Pid))
		}
	}
	if os.Getenv("E2E_KEEP_DIR") == "" {
		_ = os.RemoveAll(a.dir)
	}
	if len(left) > 0 {
		return fmt.Errorf("process groups left after Stop: %s", strings.Join(left, ", "))
	}
	return nil
}

func (a *ArgoCD) logs(n int) string {
	var b strings.Builder
	for _, p := range a.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.logPath, p.tail(n))
	}
	return b.String()
}

// installArgoCD installs what Argo CD's install manifests would and the
// controller reads: the Application and AppProject CRDs (from the argo-cd
// module), the argocd namespace, argocd-cm with the health checks servelayer
// ships (argocd/health), argocd-secret, and the default AppProject (which
// Argo CD's API server creates; it does not run here).
func (c *Cluster) installArgoCD(ctx context.Context, root, argoModule string) error {
	var names []string
	for _, f := range []string{"application-crd.yaml", "appproject-crd.yaml"} {
		objs, err := ReadObjectsFile(filepath.Join(argoModule, "manifests", "crds", f))
		if err != nil {
			return err
		}
		for _, o := range objs {
			if _, err := c.Apply(ctx, HarnessManager, o); err != nil {
				return err
			}
			names = append(names, o.GetName())
		}
	}
	if err := c.waitCRDs(ctx, names); err != nil {
		return err
	}
	// An Established CRD can still be missing from discovery for a moment;
	// resource() resets the mapper when it misses.
	for _, gvk := range []schema.GroupVersionKind{ApplicationGVK, AppProjectGVK} {
		if err := poll(ctx, 60*time.Second, gvk.Kind+" served", func() (bool, string, error) {
			_, err := c.resource(gvk, ArgoNamespace)
			return err == nil, fmt.Sprint(err), nil
		}); err != nil {
			return err
		}
	}
	if err := c.EnsureNamespace(ctx, ArgoNamespace, nil); err != nil {
		return err
	}
	cm, err := healthChecks(root)
	if err != nil {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	partOf := map[string]interface{}{"app.kubernetes.io/part-of": "argocd"}
	for _, o := range []map[string]interface{}{
		{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]interface{}{"name": "argocd-cm", "namespace": ArgoNamespace, "labels": partOf},
			"data":     cm,
		},
		{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]interface{}{"name": "argocd-secret", "namespace": ArgoNamespace, "labels": partOf},
			"stringData": map[string]interface{}{"server.secretkey": hex.EncodeToString(key)},
		},
		{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
			"metadata": map[string]interface{}{"name": "default", "namespace": ArgoNamespace},
			"spec": map[string]interface{}{
				"sourceRepos":              []interface{}{"*"},
				"destinations":             []interface{}{map[string]interface{}{"server": "*", "namespace": "*"}},
				"clusterResourceWhitelist": []interface{}{map[string]interface{}{"group": "*", "kind": "*"}},
			},
		},
	} {
		if _, err := c.Apply(ctx, HarnessManager, &unstructured.Unstructured{Object: o}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) waitCRDs(ctx context.Context, names []string) error {
	for _, n := range names {
		if err := poll(ctx, 60*time.Second, "CRD "+n+" Established", func() (bool, string, error) {
			u, err := c.Get(ctx, crdGVK, "", n)
			if err != nil {
				return false, "", err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			return conditionTrue(conds, "Established"), fmt.Sprint(conds), nil
		}); err != nil {
			return err
		}
	}
	c.mapper.Reset()
	return nil
}

// healthChecks returns the data of argocd/health/argocd-cm.yaml, the
// health checks servelayer ships, as the README tells users to merge them
// into argocd-cm.
func healthChecks(root string) (map[string]interface{}, error) {
	f := filepath.Join(root, "argocd", "health", "argocd-cm.yaml")
	objs, err := ReadObjectsFile(f)
	if err != nil {
		return nil, err
	}
	if len(objs) != 1 || objs[0].GetKind() != "ConfigMap" || objs[0].GetName() != "argocd-cm" {
		return nil, fmt.Errorf("%s: want the one ConfigMap argocd-cm", f)
	}
	data, _, err := unstructured.NestedMap(objs[0].Object, "data")
	if err != nil || len(data) == 0 {
		return nil, fmt.Errorf("%s: no data (%v)", f, err)
	}
	for _, kind := range []string{"InferenceService", "LLMInferenceService"} {
		if _, ok := data["resource.customizations.health.serving.kserve.io_"+kind]; !ok {
			return nil, fmt.Errorf("%s: no health check for %s", f, kind)
		}
	}
	return data, nil
}

// tcpUp reports whether something accepts TCP connections at addr.
func tcpUp(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
