package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"
)

// KubectlVersion is the kubectl the runbook scenarios run (e2e/tools/kubectl,
// k8s.io/kubectl v0.34.3; a test checks the tool module pins it).
const KubectlVersion = "v1.34.3"

// MovePlan is the part of `servelayer plan -o json` (render.MovePlan) the
// move scenarios read. The e2e module does not import servelayer: it runs
// the binary, as a user does.
type MovePlan struct {
	Model struct {
		Name string `json:"name"`
	} `json:"model"`
	Ready bool `json:"ready"`
	From  struct {
		Layer, Namespace string
	} `json:"from"`
	To struct {
		Layer, Namespace string
	} `json:"to"`
	Objects []struct {
		Action, APIVersion, Kind, Namespace, Name string
	} `json:"objects"`
	LiteLLM *struct {
		Alias       string `json:"alias"`
		ConfigMap   string `json:"configMap"`
		APIBaseFrom string `json:"apiBaseFrom"`
		APIBaseTo   string `json:"apiBaseTo"`
	} `json:"litellm"`
	Steps []struct {
		Number   int      `json:"number"`
		Title    string   `json:"title"`
		Commands []string `json:"commands"`
		Notes    []string `json:"notes"`
	} `json:"steps"`
}

// Shell runs a runbook's commands as a user would: bash, with the pinned
// kubectl and bin/servelayer first on PATH (as `kubectl` and `servelayer`)
// and KUBECONFIG pointing at the cluster.
type Shell struct {
	Env []string
	Dir string
}

// NewShell makes dir/bin with kubectl and servelayer links to the given
// binaries and returns a Shell that runs in dir.
func (c *Cluster) NewShell(dir, kubectl, servelayer string) (*Shell, error) {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	for name, target := range map[string]string{"kubectl": kubectl, "servelayer": servelayer} {
		if _, err := os.Stat(target); err != nil {
			return nil, fmt.Errorf("%s: %w (build it with `make build e2e-bin`)", name, err)
		}
		if err := os.Symlink(target, filepath.Join(bin, name)); err != nil {
			return nil, err
		}
	}
	env := []string{"PATH=" + bin + ":/usr/bin:/bin", "KUBECONFIG=" + c.kubeconfig, "HOME=" + dir}
	return &Shell{Env: env, Dir: dir}, nil
}

// Run runs one command line with bash -euo pipefail and returns its
// combined output; a failing command (any part of a pipe) is an error.
func (s *Shell) Run(ctx context.Context, line string) (string, error) {
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", line)
	cmd.Env, cmd.Dir = s.Env, s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("$ %s: %w\n%s", line, err, out.String())
	}
	return out.String(), nil
}

// APIBase reads the api_base of alias from a LiteLLM ConfigMap
// (namespace/name) of either form: model_list.yaml (one model) or
// config.yaml (the fleet's, under model_list). "" when the alias is not
// there.
func (c *Cluster) APIBase(ctx context.Context, configMap, alias string) (string, error) {
	ns, name, _ := strings.Cut(configMap, "/")
	cm, err := c.Client.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	for key, data := range cm.Data {
		var doc interface{}
		if err := yaml.Unmarshal([]byte(data), &doc); err != nil {
			return "", fmt.Errorf("ConfigMap %s key %s: %w", configMap, key, err)
		}
		list, _ := doc.([]interface{})
		if m, ok := doc.(map[string]interface{}); ok {
			list, _ = m["model_list"].([]interface{})
		}
		for _, e := range list {
			em, _ := e.(map[string]interface{})
			if em["model_name"] != alias {
				continue
			}
			params, _ := em["litellm_params"].(map[string]interface{})
			s, _ := params["api_base"].(string)
			return s, nil
		}
	}
	return "", nil
}

// notModelObjects are namespaced resources that are records about objects,
// not objects of a model: an event names the object it is about, and
// outlives it by design (the apiserver's event TTL).
var notModelObjects = map[schema.GroupResource]string{
	{Group: "", Resource: "events"}:              "events are records that outlive their object (event TTL)",
	{Group: "events.k8s.io", Resource: "events"}: "events are records that outlive their object (event TTL)",
}

// ObjectsOf lists every object in namespace ns that belongs to model: of
// every namespaced resource type the apiserver serves (not only the kinds
// servelayer renders or KServe creates), each object that carries the
// model's name as a label value (app.kubernetes.io/name,
// serving.kserve.io/inferenceservice, ...) or is named after it (the name,
// or the name followed by "-"). It returns "resource.group/name" sorted.
func (c *Cluster) ObjectsOf(ctx context.Context, ns, model string) ([]string, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	lists, err := dc.ServerPreferredNamespacedResources()
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	var out []string
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			if _, skip := notModelObjects[schema.GroupResource{Group: gv.Group, Resource: r.Name}]; skip {
				continue
			}
			items, err := c.Dynamic.Resource(gv.WithResource(r.Name)).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, fmt.Errorf("list %s.%s in %s: %w", r.Name, gv.Group, ns, err)
			}
			for _, it := range items.Items {
				mine := it.GetName() == model || strings.HasPrefix(it.GetName(), model+"-")
				for _, v := range it.GetLabels() {
					mine = mine || v == model
				}
				if mine {
					res := r.Name
					if gv.Group != "" {
						res += "." + gv.Group
					}
					out = append(out, res+"/"+it.GetName())
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// Reaches is what a runbook's `curl URL` checks, for a cluster whose pods
// serve nothing (kwok runs no container): that the URL's host leads to
// ready pods. The host is a Service (name.namespace[:port]) with that port
// and a ready endpoint, or a Gateway an accepted HTTPRoute hangs off whose
// longest matching path prefix leads to such a Service (or to an
// InferencePool that exists). It returns how the URL is reached.
func (c *Cluster) Reaches(ctx context.Context, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	name, ns, ok := strings.Cut(u.Hostname(), ".")
	if !ok {
		return "", fmt.Errorf("%s: host %q is not name.namespace", rawURL, u.Hostname())
	}
	port := int64(80)
	if p := u.Port(); p != "" {
		if port, err = strconv.ParseInt(p, 10, 32); err != nil {
			return "", err
		}
	}
	if _, err := c.Client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
		return c.serviceReady(ctx, ns, name, port)
	} else if !apierrors.IsNotFound(err) {
		return "", err
	}
	if _, err := c.Get(ctx, GatewayGVK, ns, name); err != nil {
		return "", fmt.Errorf("%s: neither a Service nor a Gateway %s/%s: %w", rawURL, ns, name, err)
	}
	routes, err := c.List(ctx, HTTPRouteGVK, "", metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	var best map[string]interface{}
	var bestRoute *unstructured.Unstructured
	bestLen := -1
	for i := range routes {
		r := &routes[i]
		if !routeAccepted(r, ns, name) {
			continue
		}
		rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
		for _, rule := range rules {
			rm, _ := rule.(map[string]interface{})
			matches, _, _ := unstructured.NestedSlice(rm, "matches")
			for _, m := range matches {
				typ, _, _ := unstructured.NestedString(m.(map[string]interface{}), "path", "type")
				v, _, _ := unstructured.NestedString(m.(map[string]interface{}), "path", "value")
				v = strings.TrimRight(v, "/")
				if typ != "PathPrefix" || (u.Path != v && !strings.HasPrefix(u.Path, v+"/")) || len(v) <= bestLen {
					continue
				}
				best, bestRoute, bestLen = rm, r, len(v)
			}
		}
	}
	if best == nil {
		return "", fmt.Errorf("%s: no accepted HTTPRoute on Gateway %s/%s matches path %s", rawURL, ns, name, u.Path)
	}
	refs, _, _ := unstructured.NestedSlice(best, "backendRefs")
	if len(refs) == 0 {
		return "", fmt.Errorf("%s: HTTPRoute %s/%s's rule has no backend", rawURL, bestRoute.GetNamespace(), bestRoute.GetName())
	}
	ref := refs[0].(map[string]interface{})
	kind, _ := ref["kind"].(string)
	bname, _ := ref["name"].(string)
	bport, _, _ := unstructured.NestedInt64(ref, "port")
	via := fmt.Sprintf("Gateway %s/%s -> HTTPRoute %s/%s (prefix of %s) -> ", ns, name, bestRoute.GetNamespace(), bestRoute.GetName(), u.Path)
	switch kind {
	case "", "Service":
		s, err := c.serviceReady(ctx, bestRoute.GetNamespace(), bname, bport)
		return via + s, err
	case "InferencePool":
		if _, err := c.Get(ctx, PoolV1GVK, bestRoute.GetNamespace(), bname); err != nil {
			return "", err
		}
		return via + "InferencePool " + bname, nil
	}
	return "", fmt.Errorf("%s: backend kind %s", rawURL, kind)
}

func routeAccepted(r *unstructured.Unstructured, gwNS, gwName string) bool {
	parents, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
	for _, p := range parents {
		pm := p.(map[string]interface{})
		ref, _, _ := unstructured.NestedStringMap(pm, "parentRef")
		ns := ref["namespace"]
		if ns == "" {
			ns = r.GetNamespace()
		}
		conds, _, _ := unstructured.NestedSlice(pm, "conditions")
		if ref["name"] == gwName && ns == gwNS && conditionTrue(conds, "Accepted") {
			return true
		}
	}
	return false
}

// serviceReady checks that Service ns/name has port and a ready endpoint.
func (c *Cluster) serviceReady(ctx context.Context, ns, name string, port int64) (string, error) {
	svc, err := c.Client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	found := false
	for _, p := range svc.Spec.Ports {
		found = found || int64(p.Port) == port
	}
	if !found {
		return "", fmt.Errorf("Service %s/%s has no port %d (%v)", ns, name, port, svc.Spec.Ports)
	}
	slices, err := c.Client.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + name})
	if err != nil {
		return "", err
	}
	var ready []string
	for _, s := range slices.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && *e.Conditions.Ready && e.TargetRef != nil {
				ready = append(ready, e.TargetRef.Name)
			}
		}
	}
	if len(ready) == 0 {
		return "", fmt.Errorf("Service %s/%s:%d has no ready endpoint", ns, name, port)
	}
	sort.Strings(ready)
	return fmt.Sprintf("Service %s/%s:%d, ready endpoints %v", ns, name, port, ready), nil
}

// WebhooksTrustCA checks what cert-manager's CA injector does in a real
// install: every webhook of KServe's configurations trusts the CA that
// signed the managers' serving certificates. It returns how many.
func (c *Cluster) WebhooksTrustCA(ctx context.Context) (int, error) {
	n := 0
	check := func(name string, bundle []byte) error {
		n++
		if !bytes.Equal(bundle, c.pki.caPEM) {
			return fmt.Errorf("webhook %s does not trust the serving certificates' CA", name)
		}
		return nil
	}
	m, err := c.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for _, cfg := range m.Items {
		for _, h := range cfg.Webhooks {
			if err := check(h.Name, h.ClientConfig.CABundle); err != nil {
				return n, err
			}
		}
	}
	v, err := c.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	for _, cfg := range v.Items {
		for _, h := range cfg.Webhooks {
			if err := check(h.Name, h.ClientConfig.CABundle); err != nil {
				return n, err
			}
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no webhook configured")
	}
	return n, nil
}

// ManagerUp reports whether KServe's InferenceService manager (the process
// a Deployment would run) is running and its webhook server answers.
func (c *Cluster) ManagerUp() error {
	c.procs.mu.Lock()
	defer c.procs.mu.Unlock()
	for _, p := range c.procs.list {
		if p.name == "kserve-manager" {
			if p.exited() {
				return fmt.Errorf("kserve-manager exited: %v", p.err)
			}
			if !tlsUp(c.isvcHooks) {
				return fmt.Errorf("kserve-manager's webhook server does not answer at %s", c.isvcHooks)
			}
			return nil
		}
	}
	return fmt.Errorf("no kserve-manager process")
}

// DeleteNamespaces deletes the namespaces (the keys), without waiting, so
// that a scenario's models leave no pod waiting for GPUs the next
// scenario's node pools offer.
func (c *Cluster) DeleteNamespaces(namespaces map[string]string) {
	for ns := range namespaces {
		_ = c.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	}
}
