// Package e2e is servelayer's cluster in a box: kube-apiserver, etcd,
// kube-controller-manager and kube-scheduler (k8s.io/kubernetes v1.34.3),
// KServe v0.17.0's InferenceService and LLMInferenceService controller
// managers, and kwok v0.8.0 keeping fake GPU nodes Ready and their pods
// Running, all on 127.0.0.1 in a temporary directory. The scenarios in the
// tests apply servelayer's output and assert on what the real controllers
// build from it.
package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Versions of the pinned binaries; they match the tool modules (a test
// checks that).
const (
	KubeVersion   = "v1.34.3"
	EtcdVersion   = "v3.6.4"
	KwokVersion   = "v0.8.0"
	KServeVersion = "v0.17.0"
)

// KServeNamespace is where the KServe managers, their configmap and the
// LLMInferenceService presets live (KServe's default POD_NAMESPACE).
const KServeNamespace = "kserve"

// Binaries are the executables the cluster runs.
type Binaries struct {
	APIServer, Etcd, ControllerManager, Scheduler, Kwok, KServeManager, KServeLLMISVC string
}

// BinariesIn returns the binaries e2e/hack/build.sh builds into root/bin.
func BinariesIn(root string) Binaries {
	bin := func(name, version string) string { return filepath.Join(root, "bin", name+"-"+version) }
	return Binaries{
		APIServer:         bin("kube-apiserver", KubeVersion),
		Etcd:              bin("etcd", EtcdVersion),
		ControllerManager: bin("kube-controller-manager", KubeVersion),
		Scheduler:         bin("kube-scheduler", KubeVersion),
		Kwok:              bin("kwok", KwokVersion),
		KServeManager:     bin("kserve-manager", KServeVersion),
		KServeLLMISVC:     bin("kserve-llmisvc", KServeVersion),
	}
}

// Cluster is a running cluster in a box.
type Cluster struct {
	// Dir holds the cluster's data, certificates and one log per process.
	Dir string
	// Config reaches the apiserver as a cluster admin.
	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper

	procs      *procs
	pki        *pki
	kubeconfig string
	// Webhook URLs of the two KServe managers (https://127.0.0.1:<port>).
	isvcHooks, llmisvcHooks string
	// The LLMInferenceService manager, stopped and restarted by the
	// conversion scenario.
	llmisvc     *process
	llmisvcArgs []string
	bins        Binaries
	sources     *Sources
}

// Start brings the whole cluster up and installs what the KServe managers
// need. On error everything started is stopped. Stop it with Stop.
func Start(ctx context.Context, bins Binaries, src *Sources) (_ *Cluster, err error) {
	dir, err := os.MkdirTemp("", "servelayer-e2e-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, procs: &procs{dir: dir}, bins: bins, sources: src}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, c.procs.logs(20))
			c.Stop()
		}
	}()
	ports, err := freePorts(11)
	if err != nil {
		return nil, err
	}
	// controller-runtime's webhook server reads tls.crt/tls.key from
	// $TMPDIR/k8s-webhook-server/serving-certs by default; each KServe
	// manager gets TMPDIR=<dir>/tmp.
	tmp := filepath.Join(dir, "tmp")
	c.pki, err = writePKI(dir, filepath.Join(tmp, "k8s-webhook-server", "serving-certs"))
	if err != nil {
		return nil, err
	}

	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	etcd, err := c.procs.start("etcd", bins.Etcd, nil,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=e2e="+etcdPeer,
		"--listen-metrics-urls=http://127.0.0.1:"+fmt.Sprint(ports[10]),
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, etcd, 30*time.Second, func() bool { return httpOK(etcdClient+"/health", `"health":"true"`) }); err != nil {
		return nil, err
	}

	host := fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	apiserver, err := c.procs.start("kube-apiserver", bins.APIServer, nil,
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir="+filepath.Join(dir, "apiserver-certs"),
		"--tls-cert-file="+c.pki.servingCert,
		"--tls-private-key-file="+c.pki.servingKey,
		"--client-ca-file="+c.pki.caFile,
		"--token-auth-file="+c.pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+c.pki.saPublic,
		"--service-account-signing-key-file="+c.pki.saPrivate,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	)
	if err != nil {
		return nil, err
	}
	c.Config = &rest.Config{
		Host:            host,
		BearerToken:     c.pki.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.pki.caPEM},
		QPS:             200,
		Burst:           400,
		Timeout:         60 * time.Second,
		WarningHandler:  rest.NoWarnings{},
	}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if c.Dynamic, err = dynamic.NewForConfig(c.Config); err != nil {
		return nil, err
	}
	if err := waitProc(ctx, apiserver, 90*time.Second, func() bool {
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && strings.TrimSpace(string(body)) == "ok"
	}); err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	v, err := dc.ServerVersion()
	if err != nil {
		return nil, err
	}
	if v.GitVersion != KubeVersion {
		return nil, fmt.Errorf("apiserver reports version %s, want %s", v.GitVersion, KubeVersion)
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	if c.kubeconfig, err = c.writeKubeconfig(); err != nil {
		return nil, err
	}

	// The flags both control-plane components take: this cluster's
	// kubeconfig for everything, serving on 127.0.0.1, no leader election.
	common := func(port int, certs string) []string {
		return []string{"--kubeconfig=" + c.kubeconfig, "--authentication-kubeconfig=" + c.kubeconfig,
			"--authorization-kubeconfig=" + c.kubeconfig, "--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", port), "--cert-dir=" + filepath.Join(dir, certs), "--leader-elect=false"}
	}
	kcm, err := c.procs.start("kube-controller-manager", bins.ControllerManager, nil, append(common(ports[3], "kcm-certs"),
		"--service-account-private-key-file="+c.pki.saPrivate,
		"--root-ca-file="+c.pki.caFile,
		"--use-service-account-credentials=false",
		// No cloud, no node IPAM (kwok assigns pod IPs itself).
		"--controllers=*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller",
	)...)
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, kcm, 60*time.Second, func() bool { return httpsOK(fmt.Sprintf("https://127.0.0.1:%d/healthz", ports[3])) }); err != nil {
		return nil, err
	}
	sched, err := c.procs.start("kube-scheduler", bins.Scheduler, nil, common(ports[4], "scheduler-certs")...)
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, sched, 60*time.Second, func() bool { return httpsOK(fmt.Sprintf("https://127.0.0.1:%d/healthz", ports[4])) }); err != nil {
		return nil, err
	}

	stages, err := src.kwokStages(filepath.Join(dir, "kwok.yaml"))
	if err != nil {
		return nil, err
	}
	kwok, err := c.procs.start("kwok", bins.Kwok, []string{"HOME=" + dir},
		"--kubeconfig="+c.kubeconfig,
		"--config="+stages,
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--server-address=127.0.0.1:"+fmt.Sprint(ports[5]),
		"--node-ip=127.0.0.1",
		"--cidr=10.244.0.1/16",
		"--node-lease-duration-seconds=40",
	)
	if err != nil {
		return nil, err
	}
	if err := waitProc(ctx, kwok, 60*time.Second, func() bool { return httpOK(fmt.Sprintf("http://127.0.0.1:%d/healthz", ports[5]), "") }); err != nil {
		return nil, err
	}

	c.isvcHooks = fmt.Sprintf("https://127.0.0.1:%d", ports[6])
	c.llmisvcHooks = fmt.Sprintf("https://127.0.0.1:%d", ports[8])
	if err := c.installPrerequisites(ctx); err != nil {
		return nil, err
	}
	env := []string{"TMPDIR=" + tmp, "KUBECONFIG=" + c.kubeconfig, "POD_NAMESPACE=" + KServeNamespace, "HOME=" + dir}
	isvc, err := c.procs.start("kserve-manager", bins.KServeManager, env,
		"--metrics-addr=0",
		fmt.Sprintf("--health-probe-addr=127.0.0.1:%d", ports[7]),
		fmt.Sprintf("--webhook-port=%d", ports[6]),
	)
	if err != nil {
		return nil, err
	}
	// Its readyz is the webhook server's started check.
	if err := waitProc(ctx, isvc, 120*time.Second, func() bool {
		return httpOK(fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[7]), "") && tlsUp(c.isvcHooks)
	}); err != nil {
		return nil, err
	}
	c.llmisvcArgs = []string{
		"--metrics-addr=0",
		fmt.Sprintf("--health-probe-addr=127.0.0.1:%d", ports[9]),
		fmt.Sprintf("--webhook-port=%d", ports[8]),
	}
	if err := c.StartLLMISVC(ctx); err != nil {
		return nil, err
	}
	if err := c.installWebhooks(ctx); err != nil {
		return nil, err
	}
	if err := c.installPresets(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// StartLLMISVC starts the LLMInferenceService manager and waits until its
// webhooks (validation and the CRD conversion) answer.
func (c *Cluster) StartLLMISVC(ctx context.Context) error {
	env := []string{"TMPDIR=" + filepath.Join(c.Dir, "tmp"), "KUBECONFIG=" + c.kubeconfig, "POD_NAMESPACE=" + KServeNamespace, "HOME=" + c.Dir}
	p, err := c.procs.start("kserve-llmisvc", c.bins.KServeLLMISVC, env, c.llmisvcArgs...)
	if err != nil {
		return err
	}
	c.llmisvc = p
	return waitProc(ctx, p, 120*time.Second, func() bool { return tlsUp(c.llmisvcHooks) })
}

// StopLLMISVC stops the LLMInferenceService manager, and with it the
// conversion webhook of LLMInferenceService.
func (c *Cluster) StopLLMISVC() {
	if c.llmisvc != nil {
		c.llmisvc.stop(10 * time.Second)
		c.llmisvc = nil
	}
}

// Stop stops every process (the last started first) and removes Dir unless
// E2E_KEEP_DIR is set. Safe to call more than once.
func (c *Cluster) Stop() {
	c.procs.stopAll()
	if os.Getenv("E2E_KEEP_DIR") == "" {
		_ = os.RemoveAll(c.Dir)
	}
}

// Logs returns the tail of every process's log.
func (c *Cluster) Logs(n int) string { return c.procs.logs(n) }

// LogOf returns the whole log of one process ("kserve-llmisvc", ...).
func (c *Cluster) LogOf(name string) string {
	data, err := os.ReadFile(filepath.Join(c.Dir, name+".log"))
	if err != nil {
		return err.Error()
	}
	return string(data)
}

func (c *Cluster) writeKubeconfig() (string, error) {
	path := filepath.Join(c.Dir, "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
`, c.Config.Host, c.pki.caFile, c.pki.token)
	return path, os.WriteFile(path, []byte(data), 0o600)
}

// Kubeconfig is the path of an admin kubeconfig for the cluster.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

func (c *Cluster) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		c.mapper.Reset()
		m, err = c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("the apiserver does not serve %s: %w", gvk, err)
	}
	if m.Scope.Name() == "namespace" {
		return c.Dynamic.Resource(m.Resource).Namespace(namespace), nil
	}
	return c.Dynamic.Resource(m.Resource), nil
}

func httpOK(url, want string) bool {
	cl := &http.Client{Timeout: 2 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	return resp.StatusCode == http.StatusOK && strings.Contains(string(buf[:n]), want)
}

// httpsOK is httpOK for a component's self-signed secure port.
func httpsOK(url string) bool {
	cl := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // its own self-signed cert
	}}
	resp, err := cl.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tlsUp reports whether a TLS server answers a handshake at url.
func tlsUp(url string) bool {
	addr := strings.TrimPrefix(url, "https://")
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) // only "is it up"
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
