package conformance

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Versions of the pinned control-plane binaries. They must match
// conformance/tools/kube/go.mod (a test checks that).
const (
	KubeVersion = "v1.34.3"
	EtcdVersion = "v3.6.4"
)

// Field managers: the rendered objects are applied as servelayer; the
// test's own setup (CRDs, namespaces) as the harness.
const (
	FieldManager        = "servelayer"
	harnessFieldManager = "servelayer-conformance"
)

// KubeBinaries returns the kube-apiserver and etcd binaries: KUBE_APISERVER
// and ETCD if set, otherwise the ones hack/build-kube.sh builds into the
// repository's bin/.
func KubeBinaries(root string) (apiserver, etcd string) {
	apiserver = os.Getenv("KUBE_APISERVER")
	if apiserver == "" {
		apiserver = filepath.Join(root, "bin", "kube-apiserver-"+KubeVersion)
	}
	etcd = os.Getenv("ETCD")
	if etcd == "" {
		etcd = filepath.Join(root, "bin", "etcd-"+EtcdVersion)
	}
	return apiserver, etcd
}

// APIServer is an etcd and a kube-apiserver running on 127.0.0.1 for the
// duration of a test binary.
type APIServer struct {
	// Config reaches the apiserver as a member of system:masters.
	Config *rest.Config
	dir    string
	procs  []*process
	mapper meta.ResettableRESTMapper
}

type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error
}

func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// StartAPIServer starts etcd and kube-apiserver on free loopback ports in a
// temporary directory and waits until the apiserver is ready. Stop it with
// Stop.
func StartAPIServer(ctx context.Context, apiserverBin, etcdBin string) (_ *APIServer, err error) {
	for _, b := range []string{apiserverBin, etcdBin} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("%w: build it with conformance/hack/build-kube.sh (make conformance does)", err)
		}
	}
	dir, err := os.MkdirTemp("", "servelayer-conformance-")
	if err != nil {
		return nil, err
	}
	s := &APIServer{dir: dir}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	etcdPeer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	etcd, err := s.start(etcdBin, "etcd",
		"--name=conformance",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdClient,
		"--advertise-client-urls="+etcdClient,
		"--listen-peer-urls="+etcdPeer,
		"--initial-advertise-peer-urls="+etcdPeer,
		"--initial-cluster=conformance="+etcdPeer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, etcd, 30*time.Second, func() bool {
		resp, err := http.Get(etcdClient + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`)
	}); err != nil {
		return nil, err
	}

	pki, err := writePKI(dir)
	if err != nil {
		return nil, err
	}
	host := fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	apiserver, err := s.start(apiserverBin, "kube-apiserver",
		"--etcd-servers="+etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--tls-cert-file="+pki.servingCert,
		"--tls-private-key-file="+pki.servingKey,
		"--token-auth-file="+pki.tokenFile,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pki.saPublic,
		"--service-account-signing-key-file="+pki.saPrivate,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--allow-privileged=true",
		"--enable-priority-and-fairness=false",
		"--profiling=false",
	)
	if err != nil {
		return nil, err
	}
	s.Config = &rest.Config{
		Host:            host,
		BearerToken:     pki.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: pki.caPEM},
		QPS:             200,
		Burst:           400,
		Timeout:         60 * time.Second,
		// Warnings are collected per request by DryRunApply; elsewhere they
		// are not expected and not printed.
		WarningHandler: rest.NoWarnings{},
	}
	rc, err := rest.UnversionedRESTClientFor(withDefaults(s.Config))
	if err != nil {
		return nil, err
	}
	if err := waitFor(ctx, apiserver, 90*time.Second, func() bool {
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && strings.TrimSpace(string(body)) == "ok"
	}); err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(s.Config)
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
	s.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memoryCache(dc))
	return s, nil
}

func withDefaults(c *rest.Config) *rest.Config {
	c = rest.CopyConfig(c)
	c.GroupVersion = &schema.GroupVersion{}
	c.NegotiatedSerializer = unstructuredScheme
	return c
}

func (s *APIServer) start(bin, name string, args ...string) (*process, error) {
	logPath := filepath.Join(s.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the test binary dies, so do the servers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	s.procs = append(s.procs, p)
	return p, nil
}

// waitFor polls ready until it holds, the process exits, or timeout.
func waitFor(ctx context.Context, p *process, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if p.exited() {
			return fmt.Errorf("%s exited: %v; log tail:\n%s", p.name, p.err, p.tail(30))
		}
		if ready() {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s; log tail:\n%s", p.name, timeout, p.tail(30))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Logs returns the tail of each server's log, for a failing test.
func (s *APIServer) Logs(n int) string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", p.name, p.logPath, p.tail(n))
	}
	return b.String()
}

// Stop terminates the servers (apiserver first) and removes the directory.
func (s *APIServer) Stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		if p.exited() {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if os.Getenv("CONFORMANCE_KEEP_DIR") == "" {
		_ = os.RemoveAll(s.dir)
	}
}

func (s *APIServer) dynamic(warnings rest.WarningHandler) (*dynamic.DynamicClient, error) {
	c := rest.CopyConfig(s.Config)
	if warnings != nil {
		c.WarningHandler = warnings
	}
	return dynamic.NewForConfig(c)
}

var crdGVR = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// InstallCRDs applies the CRDs with server-side apply (client-side apply's
// last-applied annotation is too large for them) and waits until every one
// is Established.
func (s *APIServer) InstallCRDs(ctx context.Context, crds []CRD) error {
	dc, err := s.dynamic(nil)
	if err != nil {
		return err
	}
	for _, c := range crds {
		_, err := dc.Resource(crdGVR).Patch(ctx, c.CRD.Name, types.ApplyPatchType, c.JSON, metav1.PatchOptions{
			FieldManager: harnessFieldManager, Force: ptrTo(true), FieldValidation: "Strict",
		})
		if err != nil {
			return fmt.Errorf("apply CRD %s (%s): %w", c.CRD.Name, c.File, err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range crds {
		for {
			u, err := dc.Resource(crdGVR).Get(ctx, c.CRD.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := fromUnstructured(u, crd); err != nil {
				return err
			}
			if established(crd) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("CRD %s not Established: %+v", c.CRD.Name, crd.Status.Conditions)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	s.mapper.Reset()
	return nil
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	var est, names bool
	for _, c := range crd.Status.Conditions {
		switch c.Type {
		case apiextensionsv1.Established:
			est = c.Status == apiextensionsv1.ConditionTrue
		case apiextensionsv1.NamesAccepted:
			names = c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return est && names
}

// EnsureNamespace creates (really, not dry-run) a namespace with labels.
func (s *APIServer) EnsureNamespace(ctx context.Context, name string, labels map[string]string) error {
	dc, err := s.dynamic(nil)
	if err != nil {
		return err
	}
	ns := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]interface{}{"name": name},
	}}
	ns.SetLabels(labels)
	data, err := ns.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = dc.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).
		Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: harnessFieldManager, Force: ptrTo(true)})
	return err
}

// warningCollector keeps the warnings of one request.
type warningCollector struct {
	mu       sync.Mutex
	warnings []string
}

func (w *warningCollector) HandleWarningHeader(code int, agent string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.warnings = append(w.warnings, text)
}

// DryRunApply server-side applies the object with dryRun=All, field manager
// servelayer and strict field validation (an unknown or duplicate field is
// an error, not a warning). The object goes through the apiserver's whole
// create path (defaulting, validation, admission) and is not persisted. It returns the server's warnings; the error is
// the server's rejection.
func (s *APIServer) DryRunApply(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string, data []byte) ([]string, error) {
	mapping, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		s.mapper.Reset()
		mapping, err = s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("the apiserver does not serve %s: %w", gvk, err)
	}
	wc := &warningCollector{}
	dc, err := s.dynamic(wc)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = dc.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if namespace == "" {
			return nil, fmt.Errorf("%s %s has no namespace", gvk.Kind, name)
		}
		ri = dc.Resource(mapping.Resource).Namespace(namespace)
	}
	_, err = ri.Patch(ctx, name, types.ApplyPatchType, data, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    FieldManager,
		FieldValidation: "Strict",
		// Nothing the harness made exists but the namespaces; forcing only
		// keeps a rendered Namespace from conflicting with their labels.
		Force: ptrTo(true),
	})
	if err != nil {
		var status apierrors.APIStatus
		if errors.As(err, &status) {
			return wc.warnings, fmt.Errorf("apiserver rejected it (%s): %w", status.Status().Reason, err)
		}
		return wc.warnings, err
	}
	return wc.warnings, nil
}

// pki is what the apiserver needs for TLS, authentication and service
// account tokens.
type pki struct {
	caPEM                   []byte
	servingCert, servingKey string
	saPublic, saPrivate     string
	tokenFile, token        string
}

func writePKI(dir string) (*pki, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "servelayer-conformance-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	p := &pki{
		caPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		servingCert: filepath.Join(dir, "serving.crt"),
		servingKey:  filepath.Join(dir, "serving.key"),
		saPublic:    filepath.Join(dir, "sa.pub"),
		saPrivate:   filepath.Join(dir, "sa.key"),
		tokenFile:   filepath.Join(dir, "tokens.csv"),
		token:       hex.EncodeToString(tok),
	}
	srvKeyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return nil, err
	}
	saKeyDER, err := x509.MarshalECPrivateKey(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		p.servingCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		p.servingKey:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: srvKeyDER}),
		p.saPrivate:   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: saKeyDER}),
		p.saPublic:    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPubDER}),
		// token,user,uid,"group": the harness is a cluster admin.
		p.tokenFile: []byte(p.token + `,servelayer-conformance,servelayer-conformance,"system:masters"` + "\n"),
	}
	for f, data := range files {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func ptrTo[T any](v T) *T { return &v }
