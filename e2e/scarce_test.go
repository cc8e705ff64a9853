package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// servelayerRender runs bin/servelayer render on files and returns stdout
// and stderr; a non-zero exit fails the test.
func servelayerRender(t *testing.T, args ...string) (stdout []byte, stderr string) {
	t.Helper()
	bin := envOr("SERVELAYER", filepath.Join(repo, "bin", "servelayer"))
	cmd := exec.Command(bin, append([]string{"render"}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("servelayer render %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes(), errb.String()
}

// scarcePool is one node with one GPU that only the scarce scenario's pods
// tolerate, so the rest of the cluster's GPUs are out of their reach.
var scarcePool = NodePool{
	Name: "scarce", Nodes: 1, GPUs: 1,
	Labels: map[string]string{"e2e.servelayer.dev/pool": "scarce"},
	Taints: []corev1.Taint{{Key: "e2e.servelayer.dev/pool", Value: "scarce", Effect: corev1.TaintEffectNoSchedule}},
}

const scarcePlatform = `apiVersion: servelayer.dev/v1alpha1
kind: Platform
metadata:
  name: scarce
spec:
  features: {llmd: true}
  gpus: 1
  gpuNodes:
    nodeSelector: {e2e.servelayer.dev/pool: scarce}
    tolerations:
    - {key: e2e.servelayer.dev/pool, operator: Equal, value: scarce, effect: NoSchedule}
`

// TestDisaggregationTooFewGPUs renders the llm-d-pd-1gpu golden's model (a
// prefill and a decode pool of one GPU each) against a Platform with one
// GPU, applies it where exactly one GPU exists, and observes what KServe's
// LLMInferenceService controller does. servelayer's warning must say what
// is observed.
func TestDisaggregationTooFewGPUs(t *testing.T) {
	ctx := t.Context()
	setUp(ctx, t, scarcePool, [2]string{"llm-d", "llm-d-gateway"})

	platform := filepath.Join(t.TempDir(), "platform.yaml")
	if err := os.WriteFile(platform, []byte(scarcePlatform), 0o600); err != nil {
		t.Fatal(err)
	}
	out, warnings := servelayerRender(t, "-f", filepath.Join(repo, "testdata/render/llm-d-pd-1gpu/model.yaml"), "--platform", platform)
	objs, err := ReadObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	cs := &Case{Name: "scarce", Objects: objs}
	cs.Prepare("pd-")
	if err := cluster.Prerequisites(ctx, cs); err != nil {
		t.Fatal(err)
	}
	for _, o := range cs.Objects {
		if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
			t.Fatal(err)
		}
	}
	ws := cs.Workloads()
	if len(ws) != 1 || ws[0].GroupVersionKind() != LLMISVCGVK {
		t.Fatalf("want one LLMInferenceService, got %d workloads", len(ws))
	}
	w := ws[0]
	ns, name := w.GetNamespace(), w.GetName()
	t.Cleanup(func() { _ = cluster.Delete(context.Background(), LLMISVCGVK, ns, name) })

	// 1. One pool runs on the GPU; the other's pod is Pending, unschedulable
	// for want of a GPU, with no IP.
	var pending corev1.Pod
	if err := poll(ctx, readyTimeout, "one pool Running, the other Pending for a GPU", func() (bool, string, error) {
		var running, waiting []corev1.Pod
		for _, role := range []string{"prefill", "decode"} {
			pods, err := cluster.LivePods(ctx, w, role)
			if err != nil {
				return false, "", err
			}
			for _, p := range pods {
				switch {
				case p.Status.Phase == corev1.PodRunning:
					running = append(running, p)
				case unschedulableFor(&p, "Insufficient nvidia.com/gpu"):
					waiting = append(waiting, p)
				}
			}
		}
		if len(running) == 1 && len(waiting) == 1 {
			pending = waiting[0]
			return true, "", nil
		}
		return false, fmt.Sprintf("%d running, %d pending for a GPU", len(running), len(waiting)), nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, cluster.Events(ctx, ns))
	}
	if pending.Status.PodIP != "" {
		t.Errorf("pending pod %s has IP %q", pending.Name, pending.Status.PodIP)
	}
	t.Logf("pending: %s (%s)", pending.Name, pending.Labels["llm-d.ai/role"])

	// 2. While it waits, the controller re-issues the self-signed
	// certificate and rolls the router-scheduler Deployment over and over:
	// observed as several new certificates and new Deployment generations.
	// The timeout only guards against a controller that settles.
	secret := name + "-kserve-self-signed-certs"
	scheduler := name + "-kserve-router-scheduler"
	certs, gens := map[string]bool{}, map[int64]bool{}
	const rolls = 3
	if err := poll(ctx, 3*time.Minute, fmt.Sprintf("%d certificates and %d router-scheduler generations", rolls+1, rolls+1), func() (bool, string, error) {
		s, err := cluster.Client.CoreV1().Secrets(ns).Get(ctx, secret, metav1.GetOptions{})
		if err == nil {
			certs[string(s.Data["tls.crt"])] = true
		}
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(ctx, scheduler, metav1.GetOptions{})
		if err == nil {
			gens[d.Generation] = true
		}
		return len(certs) > rolls && len(gens) > rolls, fmt.Sprintf("%d certificates, %d generations", len(certs), len(gens)), nil
	}); err != nil {
		t.Fatal(err)
	}
	live, err := cluster.Get(ctx, LLMISVCGVK, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	if conds, _, _ := nestedSlice(live.Object, "status", "conditions"); conditionTrue(conds, "Ready") {
		t.Errorf("%s Ready with a pool Pending", name)
	}
	t.Logf("observed: %d certificates, %d router-scheduler generations while %s waits", len(certs), len(gens), pending.Name)

	// 3. servelayer said so: a warning at spec.disaggregation naming the
	// GPUs, the Pending pool, the certificate and the Deployment that rolls.
	for _, want := range []string{
		"ServedModel qwen-pd: spec.disaggregation:",
		"prefill needs 1 GPU(s) and decode 1, but the Platform has 1",
		"pods of one pool stay Pending",
		"re-issues the model's self-signed certificate on every reconcile",
		"rolls the qwen-pd-kserve-router-scheduler Deployment again and again",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("servelayer's warning lacks %q:\n%s", want, warnings)
		}
	}

	// 4. The mitigation the warning gives: one pool. Without
	// spec.disaggregation the model fits the one GPU and becomes Ready.
	if err := cluster.Delete(ctx, LLMISVCGVK, ns, name); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, readyTimeout, "the two-pool model and its pods gone", func() (bool, string, error) {
		pods, err := cluster.LivePods(ctx, w, "")
		if err != nil {
			return false, "", err
		}
		_, err = cluster.Get(ctx, LLMISVCGVK, ns, name)
		if apierrors.IsNotFound(err) {
			return len(pods) == 0, fmt.Sprintf("%d pods", len(pods)), nil
		}
		return false, fmt.Sprintf("%d pods, object %v", len(pods), err), nil
	}); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(t.TempDir(), "model.yaml")
	model, err := os.ReadFile(filepath.Join(repo, "testdata/render/llm-d-pd-1gpu/model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := string(model)
	i := strings.Index(m, "  disaggregation:")
	j := strings.Index(m, "  routing:")
	if i < 0 || j < i {
		t.Fatal("model.yaml: no disaggregation block before routing")
	}
	if err := os.WriteFile(one, []byte(m[:i]+m[j:]), 0o600); err != nil {
		t.Fatal(err)
	}
	out, warnings = servelayerRender(t, "-f", one, "--platform", platform)
	if strings.Contains(warnings, "spec.disaggregation") {
		t.Errorf("one pool still warns: %s", warnings)
	}
	objs, err = ReadObjects(out)
	if err != nil {
		t.Fatal(err)
	}
	cs = &Case{Name: "scarce-one-pool", Objects: objs}
	cs.Prepare("pd-")
	for _, o := range cs.Objects {
		if _, err := cluster.Apply(ctx, FieldManager, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := cluster.WaitReady(ctx, cs.Workloads()[0], readyTimeout); err != nil {
		t.Fatalf("%v\n%s", err, cluster.Events(ctx, ns))
	}
}

func unschedulableFor(p *corev1.Pod, why string) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return strings.Contains(c.Message, why)
		}
	}
	return false
}
