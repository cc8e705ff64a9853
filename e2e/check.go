package e2e

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// PodSecurityLabels are the labels of every namespace the scenarios use:
// enforce baseline, as the README tells users to run the kserve and llm-d
// namespaces, and warn/audit restricted.
var PodSecurityLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "baseline",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
}

// PrivilegedLabels are those of a case whose pods add capabilities
// (spec.network.rdma), whose namespace the README says to run at
// privileged.
var PrivilegedLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "privileged",
	"pod-security.kubernetes.io/warn":    "restricted",
	"pod-security.kubernetes.io/audit":   "restricted",
}

// Paused reports whether servelayer paused the workload.
func Paused(w *unstructured.Unstructured) bool {
	if w.GetAnnotations()["serving.kserve.io/stop"] == "true" {
		return true
	}
	if w.GroupVersionKind() == DeploymentGVK {
		r, ok, _ := unstructured.NestedInt64(w.Object, "spec", "replicas")
		return ok && r == 0
	}
	return false
}

// WaitReady waits until the controller reports the workload Ready (a
// Deployment: Available with every replica ready; a paused workload:
// stopped, with no pod left).
func (c *Cluster) WaitReady(ctx context.Context, w *unstructured.Unstructured, timeout time.Duration) error {
	what := fmt.Sprintf("%s %s/%s Ready", w.GetKind(), w.GetNamespace(), w.GetName())
	return poll(ctx, timeout, what, func() (bool, string, error) {
		live, err := c.Get(ctx, w.GroupVersionKind(), w.GetNamespace(), w.GetName())
		if err != nil {
			return false, "", err
		}
		conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
		if Paused(w) {
			pods, err := c.LivePods(ctx, w, "")
			if err != nil {
				return false, "", err
			}
			if len(pods) > 0 {
				return false, fmt.Sprintf("%d pods left; conditions %s", len(pods), condSummary(conds)), nil
			}
			switch w.GroupVersionKind() {
			case DeploymentGVK:
				return true, "", nil
			default:
				return conditionTrue(conds, "Stopped") || conditionReason(conds, "Ready") == "Stopped", condSummary(conds), nil
			}
		}
		if w.GroupVersionKind() == DeploymentGVK {
			// No spec.replicas (owned outside Git): Kubernetes' default, 1.
			want, ok, _ := unstructured.NestedInt64(w.Object, "spec", "replicas")
			if !ok {
				want = 1
			}
			ready, _, _ := unstructured.NestedInt64(live.Object, "status", "readyReplicas")
			return conditionTrue(conds, "Available") && ready == want, fmt.Sprintf("ready %d/%d %s", ready, want, condSummary(conds)), nil
		}
		return conditionTrue(conds, "Ready"), condSummary(conds), nil
	})
}

func conditionReason(conds []interface{}, typ string) string {
	for _, c := range conds {
		m, _ := c.(map[string]interface{})
		if m["type"] == typ {
			s, _ := m["reason"].(string)
			return s
		}
	}
	return ""
}

func condSummary(conds []interface{}) string {
	var out []string
	for _, c := range conds {
		m, _ := c.(map[string]interface{})
		s := fmt.Sprintf("%v=%v", m["type"], m["status"])
		if r, _ := m["reason"].(string); r != "" && m["status"] != "True" {
			s += "(" + r
			if msg, _ := m["message"].(string); msg != "" {
				if len(msg) > 160 {
					msg = msg[:160] + "..."
				}
				s += ": " + msg
			}
			s += ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// LivePods lists the pods a controller made for the workload in a role
// ("" = every pod; "prefill" or "decode" for an LLMInferenceService).
func (c *Cluster) LivePods(ctx context.Context, w *unstructured.Unstructured, role string) ([]corev1.Pod, error) {
	var sel labels.Selector
	switch w.GroupVersionKind() {
	case DeploymentGVK:
		m, _, _ := unstructured.NestedStringMap(w.Object, "spec", "selector", "matchLabels")
		sel = labels.SelectorFromSet(m)
	case ISVCGVK:
		sel = labels.SelectorFromSet(map[string]string{"serving.kserve.io/inferenceservice": w.GetName()})
	default:
		set := map[string]string{
			"app.kubernetes.io/name":    w.GetName(),
			"app.kubernetes.io/part-of": "llminferenceservice",
			"kserve.io/component":       "workload",
		}
		if role != "" {
			// KServe labels the one pool of a model without prefill "both".
			if _, ok, _ := unstructured.NestedMap(w.Object, "spec", "prefill"); role == "decode" && !ok {
				role = "both"
			}
			set["llm-d.ai/role"] = role
		}
		sel = labels.SelectorFromSet(set)
	}
	l, err := c.Client.CoreV1().Pods(w.GetNamespace()).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range l.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ModelContainer is the name of the model's container on each kind.
func ModelContainer(w *unstructured.Unstructured) string {
	switch w.GroupVersionKind() {
	case ISVCGVK:
		return "kserve-container"
	case LLMISVCGVK, LLMISVC1GVK:
		return "main"
	}
	cs, _, _ := unstructured.NestedSlice(w.Object, "spec", "template", "spec", "containers")
	if len(cs) > 0 {
		n, _ := cs[0].(map[string]interface{})["name"].(string)
		return n
	}
	return ""
}

// CheckPods compares the running pods of a workload with what servelayer
// rendered for them: the model container's image, command line, env,
// resources (requests and explicit limits, exactly), probes and volume
// mounts, and the pod's volumes, node selector, tolerations and
// scheduling on a GPU node. It returns one line per difference.
func (c *Cluster) CheckPods(ctx context.Context, w *unstructured.Unstructured) ([]string, error) {
	var problems []string
	for role, spec := range podSpecs(w) {
		pods, err := c.LivePods(ctx, w, role)
		if err != nil {
			return nil, err
		}
		if len(pods) == 0 {
			problems = append(problems, fmt.Sprintf("role %q: no pods", role))
			continue
		}
		rendered := findContainer(spec, ModelContainer(w))
		if rendered == nil {
			problems = append(problems, fmt.Sprintf("role %q: servelayer rendered no container %q", role, ModelContainer(w)))
			continue
		}
		for _, p := range pods {
			pu, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&p)
			if err != nil {
				return nil, err
			}
			at := fmt.Sprintf("pod %s", p.Name)
			if role != "" {
				at = fmt.Sprintf("%s pod %s", role, p.Name)
			}
			if p.Status.Phase != corev1.PodRunning {
				problems = append(problems, fmt.Sprintf("%s: phase %s", at, p.Status.Phase))
			}
			live := findContainer(pu["spec"].(map[string]interface{}), ModelContainer(w))
			if live == nil {
				problems = append(problems, fmt.Sprintf("%s: no container %q", at, ModelContainer(w)))
				continue
			}
			problems = append(problems, prefixAll(at, compareContainer(rendered, live, w.GroupVersionKind() != LLMISVCGVK))...)
			problems = append(problems, prefixAll(at, comparePod(spec, pu["spec"].(map[string]interface{})))...)
			lim, _, _ := unstructured.NestedMap(rendered, "resources", "limits")
			for name := range lim {
				gpus, ok := nestedQuantity(rendered, "resources", "limits", name)
				if !strings.Contains(name, "/") || !ok || gpus.IsZero() {
					continue
				}
				node, err := c.Client.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: node %q: %v", at, p.Spec.NodeName, err))
				} else if q, ok := node.Status.Capacity[corev1.ResourceName(name)]; !ok || q.Cmp(gpus) < 0 {
					problems = append(problems, fmt.Sprintf("%s: on node %s with %v %s, wants %v", at, node.Name, q.String(), name, gpus.String()))
				}
			}
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func prefixAll(p string, in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = p + ": " + s
	}
	return out
}

func findContainer(spec map[string]interface{}, name string) map[string]interface{} {
	v, _, _ := unstructured.NestedFieldNoCopy(spec, "containers")
	cs, _ := v.([]interface{})
	for _, c := range cs {
		m := c.(map[string]interface{})
		if m["name"] == name {
			return m
		}
	}
	return nil
}

// compareContainer: exactArgs means the live args must equal ours (raw
// Deployment, KServe predictor); otherwise (llm-d, whose presets run
// `vllm serve` first) ours must appear in order at the end.
func compareContainer(rendered, live map[string]interface{}, exactArgs bool) []string {
	var problems []string
	if img, ok := rendered["image"]; ok && img != live["image"] {
		problems = append(problems, fmt.Sprintf("image %v, rendered %v", live["image"], img))
	}
	rArgs, _, _ := unstructured.NestedStringSlice(rendered, "args")
	lArgs, _, _ := unstructured.NestedStringSlice(live, "args")
	if exactArgs {
		if !reflect.DeepEqual(rArgs, lArgs) && len(rArgs)+len(lArgs) > 0 {
			problems = append(problems, fmt.Sprintf("args %q, rendered %q", lArgs, rArgs))
		}
	} else if len(rArgs) > 0 && (len(lArgs) < len(rArgs) || !reflect.DeepEqual(lArgs[len(lArgs)-len(rArgs):], rArgs)) {
		problems = append(problems, fmt.Sprintf("args %q do not end with the rendered %q", lArgs, rArgs))
	}
	if cmd, ok := rendered["command"]; ok && !reflect.DeepEqual(cmd, live["command"]) {
		problems = append(problems, fmt.Sprintf("command %v, rendered %v", live["command"], cmd))
	}
	rEnv, _, _ := unstructured.NestedSlice(rendered, "env")
	lEnv, _, _ := unstructured.NestedSlice(live, "env")
	for _, e := range rEnv {
		em := e.(map[string]interface{})
		found := false
		for _, l := range lEnv {
			if l.(map[string]interface{})["name"] == em["name"] {
				found = true
				if !subset(em, l) {
					problems = append(problems, fmt.Sprintf("env %v = %v, rendered %v", em["name"], l, em))
				}
			}
		}
		if !found {
			problems = append(problems, fmt.Sprintf("env %v missing", em["name"]))
		}
	}
	for _, kind := range []string{"requests", "limits"} {
		r, _, _ := unstructured.NestedMap(rendered, "resources", kind)
		l, _, _ := unstructured.NestedMap(live, "resources", kind)
		if !sameQuantities(r, l) {
			problems = append(problems, fmt.Sprintf("resources.%s %v, rendered %v", kind, l, r))
		}
	}
	req, _, _ := unstructured.NestedMap(live, "resources", "requests")
	lim, _, _ := unstructured.NestedMap(live, "resources", "limits")
	for k := range req {
		if _, ok := lim[k]; !ok {
			problems = append(problems, fmt.Sprintf("resources: request %s has no explicit limit", k))
		}
	}
	for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		r, ok := rendered[probe]
		if !ok {
			continue
		}
		if !subset(r, live[probe]) {
			problems = append(problems, fmt.Sprintf("%s %v, rendered %v", probe, live[probe], r))
		}
	}
	rm, _, _ := unstructured.NestedSlice(rendered, "volumeMounts")
	lm, _, _ := unstructured.NestedSlice(live, "volumeMounts")
	for _, m := range rm {
		if !containsSubset(lm, m) {
			problems = append(problems, fmt.Sprintf("volumeMount %v missing", m))
		}
	}
	return problems
}

// comparePod compares pod-level fields servelayer rendered.
func comparePod(rendered, live map[string]interface{}) []string {
	var problems []string
	rv, _, _ := unstructured.NestedSlice(rendered, "volumes")
	lv, _, _ := unstructured.NestedSlice(live, "volumes")
	for _, v := range rv {
		if !containsSubset(lv, v) {
			problems = append(problems, fmt.Sprintf("volume %v missing (live: %v)", v, lv))
		}
	}
	for _, f := range []string{"nodeSelector", "serviceAccountName", "priorityClassName", "runtimeClassName", "terminationGracePeriodSeconds"} {
		if r, ok := rendered[f]; ok && !subset(r, live[f]) {
			problems = append(problems, fmt.Sprintf("%s %v, rendered %v", f, live[f], r))
		}
	}
	rt, _, _ := unstructured.NestedSlice(rendered, "tolerations")
	lt, _, _ := unstructured.NestedSlice(live, "tolerations")
	for _, t := range rt {
		if !containsSubset(lt, t) {
			problems = append(problems, fmt.Sprintf("toleration %v missing", t))
		}
	}
	return problems
}

func containsSubset(list []interface{}, want interface{}) bool {
	for _, x := range list {
		if subset(want, x) {
			return true
		}
	}
	return false
}

// subset reports whether every field of want is in got with the same
// value (quantities compared as quantities, numbers as numbers).
func subset(want, got interface{}) bool {
	switch w := want.(type) {
	case map[string]interface{}:
		g, ok := got.(map[string]interface{})
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, g[k]) {
				return false
			}
		}
		return true
	case []interface{}:
		g, ok := got.([]interface{})
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if w == g {
			return true
		}
		qw, err1 := resource.ParseQuantity(w)
		qg, err2 := resource.ParseQuantity(g)
		return err1 == nil && err2 == nil && qw.Cmp(qg) == 0
	default:
		return fmt.Sprint(want) == fmt.Sprint(got)
	}
}

func sameQuantities(r, l map[string]interface{}) bool {
	if len(r) != len(l) {
		return false
	}
	for k, v := range r {
		if !subset(fmt.Sprint(v), fmt.Sprint(l[k])) {
			return false
		}
	}
	return true
}

func nestedQuantity(m map[string]interface{}, path ...string) (resource.Quantity, bool) {
	v, ok, _ := unstructured.NestedFieldNoCopy(m, path...)
	if !ok {
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(fmt.Sprint(v))
	return q, err == nil
}

func fromUnstructured(u *unstructured.Unstructured, into interface{}) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into)
}

func nestedSlice(m map[string]interface{}, path ...string) ([]interface{}, bool, error) {
	return unstructured.NestedSlice(m, path...)
}
