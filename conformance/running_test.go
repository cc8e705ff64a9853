package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	corev1 "k8s.io/api/core/v1"
)

const (
	reasonRunISVCRoot = "vLLM's image runs as root, so servelayer cannot set runAsNonRoot (see the rendered table); for an oci:// model KServe's " +
		"modelcar also replaces kserve-container's whole securityContext with {runAsUser: 1010} (the shipped uidModelcar) and adds " +
		"modelcar and modelcar-init without one"
	reasonRunISVCModelcar = "oci:// only: KServe's modelcar replaces kserve-container's securityContext with {runAsUser: 1010}, dropping " +
		"servelayer's allowPrivilegeEscalation: false and capabilities.drop: [ALL], and adds modelcar and modelcar-init without a " +
		"securityContext (pkg/utils/storage.go ConfigureModelcarToContainer, CreateModelcarContainer)"
	reasonRunISVCKnativeSeccomp = "Knative mode with oci:// only: servelayer's seccompProfile sits on kserve-container (Knative drops a pod " +
		"securityContext unless kubernetes.podspec-securitycontext is enabled), and the modelcar replaces that container's securityContext"
	reasonRunLLMDRoot = "KServe's llm-d presets run main, and with a prefill pool the llm-d-routing-sidecar, with runAsNonRoot: false; " +
		"for oci:// the modelcar replaces main's securityContext with {runAsUser: 1010} and adds modelcar and modelcar-init without one"
	reasonRunLLMDWorkerCaps = "KServe's data parallel worker presets (config-llm-worker-data-parallel, config-llm-decode-worker-data-parallel) " +
		"add IPC_LOCK, SYS_RAWIO and NET_RAW to main on the leader and every worker (for RDMA), which baseline refuses: a replica spanning " +
		"pods on llm-d needs its namespace at Pod Security privileged (rule llm-d-multi-node-capabilities says so)"
	reasonRunRDMACaps = "spec.network.rdma: servelayer adds the RDMA capabilities (default IPC_LOCK) to main in a pool that does not span " +
		"pods, which baseline refuses: the model's namespace must be Pod Security privileged (rule rdma-capabilities warns)"
	reasonRunLLMDStorage = "hf:// adds KServe's storage-initializer init container without a securityContext (workload_storage.go, " +
		"utils.CreateInitContainerWithConfig); oci:// replaces main's securityContext and adds the modelcar containers without one"
)

// runningExceptions allow restricted checks to fail on the pods KServe
// runs (RunningPods). Each is listed, with the same reason, in README.md
// ("Restricted exceptions of the pods KServe runs").
var runningExceptions = []pssException{
	{Kind: "InferenceService", Path: "spec.predictor", Check: "runAsNonRoot", Reason: reasonRunISVCRoot},
	{Kind: "InferenceService", Path: "spec.predictor", Check: "allowPrivilegeEscalation", Reason: reasonRunISVCModelcar},
	{Kind: "InferenceService", Path: "spec.predictor", Check: "capabilities_restricted", Reason: reasonRunISVCModelcar},
	{Kind: "InferenceService", Path: "spec.predictor", Check: "seccompProfile_restricted", Reason: reasonRunISVCKnativeSeccomp},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "runAsNonRoot", Reason: reasonRunLLMDRoot},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "allowPrivilegeEscalation", Reason: reasonRunLLMDStorage},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "capabilities_restricted", Reason: reasonRunLLMDStorage + "; RDMA's added capabilities"},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "capabilities_baseline", Reason: reasonRunLLMDWorkerCaps + "; " + reasonRunRDMACaps},
	{Kind: "LLMInferenceService", Path: "spec.worker", Check: "capabilities_baseline", Reason: reasonRunLLMDWorkerCaps},
	{Kind: "LLMInferenceService", Path: "spec.worker", Check: "runAsNonRoot", Reason: reasonRunLLMDRoot},
	{Kind: "LLMInferenceService", Path: "spec.worker", Check: "allowPrivilegeEscalation", Reason: reasonRunLLMDStorage},
	{Kind: "LLMInferenceService", Path: "spec.worker", Check: "capabilities_restricted", Reason: reasonRunLLMDStorage + "; the worker presets' added capabilities"},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "runAsNonRoot", Reason: reasonRunLLMDRoot},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "allowPrivilegeEscalation", Reason: reasonRunLLMDStorage},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "capabilities_restricted", Reason: reasonRunLLMDStorage + "; RDMA's added capabilities"},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "capabilities_baseline", Reason: reasonRunRDMACaps},
}

// runningInputs are every input's running pods, once per test binary.
func runningInputs(t *testing.T) []struct {
	Doc
	Pods []RunningPod
} {
	t.Helper()
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	var out []struct {
		Doc
		Pods []RunningPod
	}
	for _, d := range inputs(t) {
		obj, err := DecodeStrict(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		pods, err := RunningPods(context.Background(), obj, cfg)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		out = append(out, struct {
			Doc
			Pods []RunningPod
		}{d, pods})
	}
	return out
}

// TestPodSecurityAsRun evaluates the pods KServe actually runs (presets
// merged; modelcar, storage initializer, routing sidecar and scheduler
// added) with k8s.io/pod-security-admission. Baseline must pass;
// restricted may fail only what runningExceptions allows, and an exception
// no pod needs any more fails too, so the README cannot go stale.
func TestPodSecurityAsRun(t *testing.T) {
	allowed := map[string]pssException{}
	for _, e := range runningExceptions {
		allowed[e.Kind+" "+e.Path+" "+string(e.Check)] = e
	}
	used := map[string]bool{}
	var report []string
	n := 0
	for _, in := range runningInputs(t) {
		for _, p := range in.Pods {
			n++
			ids := checkPodSecurity(t, fmt.Sprintf("%s %s, as KServe runs it", in.Doc, p.Path), in.GVK.Kind+" "+p.Path, &p.Meta, p.Spec, allowed, used)
			report = append(report, fmt.Sprintf("%s %s: restricted fails [%s]", in.Doc, p.Path, strings.Join(ids, ", ")))
		}
	}
	if n == 0 {
		t.Fatal("no running pod among the inputs")
	}
	sort.Strings(report)
	t.Logf("restricted-level results, as run:\n%s", strings.Join(report, "\n"))
	for key := range allowed {
		if !used[key] {
			t.Errorf("running-pod exception %q is needed by no pod: remove it here and from README.md", key)
		}
	}
}

// TestPodSecurityAsRunDocumented: every running-pod exception is a row of
// README.md's section on the pods KServe runs.
func TestPodSecurityAsRunDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "conformance", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const heading = "## Restricted exceptions of the pods KServe runs"
	readme := string(data)
	i := strings.Index(readme, heading)
	if i < 0 {
		t.Fatalf("README.md lacks the section %q", heading)
	}
	section := readme[i+len(heading):]
	if j := strings.Index(section, "\n## "); j >= 0 {
		section = section[:j]
	}
	for _, e := range runningExceptions {
		row := fmt.Sprintf("| %s | `%s` | `%s` |", e.Kind, e.Path, e.Check)
		if !strings.Contains(section, row) {
			t.Errorf("README.md's section %q lacks the row %q", heading, row)
		}
	}
}

// TestModelcarUID: the uid KServe's modelcar runs kserve-container as is
// the shipped uidModelcar, 1010 (not the _example block's 10).
func TestModelcarUID(t *testing.T) {
	seen := false
	for _, in := range runningInputs(t) {
		for _, p := range in.Pods {
			if !hasContainer(p.Spec, "modelcar") {
				continue
			}
			seen = true
			for _, c := range p.Spec.Containers {
				if c.Name != "kserve-container" && c.Name != "main" {
					continue
				}
				if sc := c.SecurityContext; sc == nil || sc.RunAsUser == nil || *sc.RunAsUser != 1010 || sc.AllowPrivilegeEscalation != nil {
					t.Errorf("%s %s: %s securityContext %+v, want KServe's {runAsUser: 1010} replacing servelayer's", in.Doc, p.Path, c.Name, sc)
				}
			}
		}
	}
	if !seen {
		t.Fatal("no input runs a modelcar")
	}
}

func hasContainer(spec *corev1.PodSpec, name string) bool {
	for _, c := range spec.Containers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// mergedLLMD is one rendered LLMInferenceService and its spec after
// KServe's merge into its presets.
type mergedLLMD struct {
	input  Doc
	svc    *kservev1alpha2.LLMInferenceService
	merged *kservev1alpha2.LLMInferenceServiceSpec
}

// mergedLLMDs merges every rendered LLMInferenceService as KServe does.
func mergedLLMDs(t *testing.T) []mergedLLMD {
	t.Helper()
	var out []mergedLLMD
	for _, d := range inputs(t) {
		if d.GVK != LLMInferenceServiceGVK {
			continue
		}
		obj, err := DecodeStrict(d)
		if err != nil {
			t.Fatal(err)
		}
		svc := obj.(*kservev1alpha2.LLMInferenceService)
		_, merged, err := MergedLLMD(context.Background(), svc)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		out = append(out, mergedLLMD{d, svc, merged})
	}
	return out
}

// TestLLMDMergeKeepsServelayer: what servelayer puts in an llm-d template
// survives KServe's merge into its presets (llmisvc.MergeSpecs): the
// startup budget replaces the presets' 60 x 10 s while the presets' probe
// handler stays, and a sized /dev/shm replaces the presets' 1Gi.
func TestLLMDMergeKeepsServelayer(t *testing.T) {
	n := 0
	for _, m := range mergedLLMDs(t) {
		d, svc, merged := m.input, m.svc, m.merged
		pools := []struct {
			path            string
			rendered, after *corev1.PodSpec
		}{{"spec.template", svc.Spec.Template, merged.Template}}
		if svc.Spec.Prefill != nil {
			pools = append(pools, struct {
				path            string
				rendered, after *corev1.PodSpec
			}{"spec.prefill.template", svc.Spec.Prefill.Template, merged.Prefill.Template})
		}
		for _, pool := range pools {
			if pool.rendered == nil {
				continue
			}
			n++
			main := container(pool.rendered, "main")
			got := container(pool.after, "main")
			if main == nil || got == nil {
				t.Errorf("%s %s: no container main before or after the merge", d, pool.path)
				continue
			}
			// What a pod template adds survives too: containers, volumes,
			// and a preset probe's threshold it overrides.
			for _, c := range pool.rendered.Containers {
				if container(pool.after, c.Name) == nil {
					t.Errorf("%s %s: container %s is lost in KServe's merge", d, pool.path, c.Name)
				}
			}
			for _, v := range pool.rendered.Volumes {
				if volume(pool.after, v.Name) == nil {
					t.Errorf("%s %s: volume %s is lost in KServe's merge", d, pool.path, v.Name)
				}
			}
			if want := main.ReadinessProbe; want != nil {
				if p := got.ReadinessProbe; p == nil || p.HTTPGet == nil || p.FailureThreshold != want.FailureThreshold {
					t.Errorf("%s %s: merged readinessProbe %+v, want the preset's handler with failureThreshold %d", d, pool.path, p, want.FailureThreshold)
				}
			}
			if want := main.StartupProbe; want != nil {
				p := got.StartupProbe
				if p == nil || p.HTTPGet == nil || p.FailureThreshold != want.FailureThreshold || p.PeriodSeconds != want.PeriodSeconds {
					t.Errorf("%s %s: merged startupProbe %+v, want the preset's handler with failureThreshold %d, periodSeconds %d",
						d, pool.path, p, want.FailureThreshold, want.PeriodSeconds)
				}
			}
			if want := volume(pool.rendered, "dshm"); want != nil && want.EmptyDir != nil && want.EmptyDir.SizeLimit != nil {
				v := volume(pool.after, "dshm")
				if v == nil || v.EmptyDir == nil || v.EmptyDir.SizeLimit == nil || v.EmptyDir.SizeLimit.Cmp(*want.EmptyDir.SizeLimit) != 0 ||
					v.EmptyDir.Medium != corev1.StorageMediumMemory {
					t.Errorf("%s %s: merged dshm %+v, want a memory-backed %s", d, pool.path, v, want.EmptyDir.SizeLimit)
				}
				if !mounts(got, "dshm", "/dev/shm") {
					t.Errorf("%s %s: main does not mount dshm at /dev/shm after the merge", d, pool.path)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no llm-d pod template among the inputs")
	}
}

func container(spec *corev1.PodSpec, name string) *corev1.Container {
	if spec == nil {
		return nil
	}
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return nil
}

func volume(spec *corev1.PodSpec, name string) *corev1.Volume {
	if spec == nil {
		return nil
	}
	for i := range spec.Volumes {
		if spec.Volumes[i].Name == name {
			return &spec.Volumes[i]
		}
	}
	return nil
}

func mounts(c *corev1.Container, name, path string) bool {
	for _, m := range c.VolumeMounts {
		if m.Name == name && m.MountPath == path {
			return true
		}
	}
	return false
}

// TestMetricsPortIsVLLMs: wherever a pod KServe runs carries
// prometheus.io/scrape: "true", prometheus.io/port is a port the model
// container declares (vLLM's serving port in that pod: 8000, kserve's
// 8080, 8001 behind llm-d's decode routing sidecar), after KServe's pod
// webhook and preset merge.
func TestMetricsPortIsVLLMs(t *testing.T) {
	n := 0
	for _, in := range runningInputs(t) {
		for _, p := range in.Pods {
			if p.Meta.Annotations["prometheus.io/scrape"] != "true" {
				continue
			}
			n++
			port := p.Meta.Annotations["prometheus.io/port"]
			var c *corev1.Container
			for _, name := range []string{"vllm", "kserve-container", "main"} {
				if c = container(p.Spec, name); c != nil {
					break
				}
			}
			if c == nil {
				t.Errorf("%s %s: scraped, but no model container", in.Doc, p.Path)
				continue
			}
			ok := false
			for _, cp := range c.Ports {
				ok = ok || fmt.Sprint(cp.ContainerPort) == port
			}
			if !ok || p.Meta.Annotations["prometheus.io/path"] != "/metrics" {
				t.Errorf("%s %s: prometheus.io/port %q, path %q; container %s listens on %v", in.Doc, p.Path, port, p.Meta.Annotations["prometheus.io/path"], c.Name, c.Ports)
			}
		}
	}
	if n == 0 {
		t.Fatal("no scraped pod among the inputs")
	}
}

// TestMetricsSurviveKServeScraping: on a cluster whose metricsAggregator
// config enables KServe's own Prometheus annotations, KServe's pod webhook
// would point prometheus.io/port at its aggregation port; servelayer's
// predictors that scrape vLLM opt out, so the port stays vLLM's.
func TestMetricsSurviveKServeScraping(t *testing.T) {
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	cm, err := modelcarConfigMap(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["metricsAggregator"] = `{"enableMetricAggregation": "false", "enablePrometheusScraping": "true"}`
	n := 0
	for _, d := range inputs(t) {
		if d.GVK != InferenceServiceGVK {
			continue
		}
		obj, err := DecodeStrict(d)
		if err != nil {
			t.Fatal(err)
		}
		isvc := obj.(*kservev1beta1.InferenceService)
		if isvc.Spec.Predictor.Annotations["prometheus.io/scrape"] != "true" {
			continue
		}
		n++
		p, err := RunningPredictor(context.Background(), isvc, cfg, cm)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Meta.Annotations["prometheus.io/port"], isvc.Spec.Predictor.Annotations["prometheus.io/port"]; got != want {
			t.Errorf("%s: KServe's pod webhook set prometheus.io/port %q, want vLLM's %q", d, got, want)
		}
	}
	if n == 0 {
		t.Fatal("no InferenceService scrapes vLLM among the inputs")
	}
}

// TestGatedModelCredentials: an hf:// model whose LLMInferenceService
// names a Secret in serving.kserve.io/storageSecretName gets HF_TOKEN from
// it in the storage-initializer KServe adds (KServe's own credential
// builder), not only in main.
func TestGatedModelCredentials(t *testing.T) {
	n := 0
	for _, in := range runningInputs(t) {
		if in.GVK != LLMInferenceServiceGVK {
			continue
		}
		obj, err := DecodeStrict(in.Doc)
		if err != nil {
			t.Fatal(err)
		}
		secret := obj.(*kservev1alpha2.LLMInferenceService).Annotations["serving.kserve.io/storageSecretName"]
		if secret == "" {
			continue
		}
		for _, p := range in.Pods {
			if p.Path == "spec.router.scheduler.template" {
				continue
			}
			n++
			var init *corev1.Container
			for i := range p.Spec.InitContainers {
				if p.Spec.InitContainers[i].Name == "storage-initializer" {
					init = &p.Spec.InitContainers[i]
				}
			}
			found := false
			if init != nil {
				for _, e := range init.Env {
					found = found || (e.Name == "HF_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
						e.ValueFrom.SecretKeyRef.Name == secret && e.ValueFrom.SecretKeyRef.Key == "HF_TOKEN")
				}
			}
			if !found {
				t.Errorf("%s %s: the storage-initializer does not get HF_TOKEN from Secret %s", in.Doc, p.Path, secret)
			}
		}
	}
	if n == 0 {
		t.Fatal("no hf:// model with credentials among the inputs")
	}
}

// TestLLMDMergeKeepsRDMA: spec.network.rdma survives KServe's merge into
// its presets. Every pool's RDMA devices stay requested and limited as
// rendered; a pool on one pod keeps servelayer's capabilities; a pool
// spanning pods (no capabilities rendered) keeps the worker presets' own,
// which a list of servelayer's would have replaced.
func TestLLMDMergeKeepsRDMA(t *testing.T) {
	presetCaps := []corev1.Capability{"IPC_LOCK", "SYS_RAWIO", "NET_RAW"}
	n := 0
	for _, m := range mergedLLMDs(t) {
		d, svc, merged := m.input, m.svc, m.merged
		type pool struct {
			path            string
			rendered, after *corev1.PodSpec
			spans           bool // the workload has a worker: KServe's worker presets
		}
		spans := svc.Spec.Worker != nil
		pools := []pool{{"spec.template", svc.Spec.Template, merged.Template, spans}, {"spec.worker", svc.Spec.Worker, merged.Worker, spans}}
		if pre := svc.Spec.Prefill; pre != nil {
			spans := pre.Worker != nil
			pools = append(pools, pool{"spec.prefill.template", pre.Template, merged.Prefill.Template, spans},
				pool{"spec.prefill.worker", pre.Worker, merged.Prefill.Worker, spans})
		}
		for _, p := range pools {
			if p.rendered == nil {
				continue
			}
			main, got := container(p.rendered, "main"), container(p.after, "main")
			if main == nil || got == nil {
				continue
			}
			var rdma []corev1.ResourceName
			for name := range main.Resources.Limits {
				if strings.HasPrefix(string(name), "rdma/") {
					rdma = append(rdma, name)
				}
			}
			if len(rdma) == 0 {
				continue
			}
			n++
			for _, name := range rdma {
				want := main.Resources.Limits[name]
				if q := got.Resources.Limits[name]; q.Cmp(want) != 0 {
					t.Errorf("%s %s: merged limits[%s] = %s, want %s", d, p.path, name, q.String(), want.String())
				}
				if q := got.Resources.Requests[name]; q.Cmp(want) != 0 {
					t.Errorf("%s %s: merged requests[%s] = %s, want %s", d, p.path, name, q.String(), want.String())
				}
			}
			var wantCaps []corev1.Capability
			if sc := main.SecurityContext; sc != nil && sc.Capabilities != nil {
				wantCaps = sc.Capabilities.Add
			}
			if p.spans {
				wantCaps = presetCaps // the worker presets' own, whatever was rendered
			}
			var gotCaps []corev1.Capability
			if sc := got.SecurityContext; sc != nil && sc.Capabilities != nil {
				gotCaps = sc.Capabilities.Add
			}
			if !slices.Equal(gotCaps, wantCaps) {
				t.Errorf("%s %s: merged main adds capabilities %v, want %v", d, p.path, gotCaps, wantCaps)
			}
		}
	}
	if n == 0 {
		t.Fatal("no input has RDMA")
	}
	t.Logf("%d pools with RDMA checked", n)
}
