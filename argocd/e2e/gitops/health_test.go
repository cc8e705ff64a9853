package gitops

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/argoproj/gitops-engine/pkg/health"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
)

const healthKey = "resource.customizations.health.serving.kserve.io_LLMInferenceService"

// installedOverrides reads argocd/health/argocd-cm.yaml the way Argo CD
// does: the ConfigMap in a cluster (a fake clientset), through Argo CD's
// SettingsManager, as the application controller loads its resource
// overrides. With install false, argocd-cm has no customization.
func installedOverrides(t *testing.T, install bool) lua.ResourceHealthOverrides {
	t.Helper()
	cm := &corev1.ConfigMap{}
	b, err := os.ReadFile(filepath.Join(repoRoot, "argocd", "health", "argocd-cm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, cm); err != nil {
		t.Fatal(err)
	}
	if !install {
		cm.Data = nil
	}
	cm.Labels = map[string]string{"app.kubernetes.io/part-of": "argocd"}
	secret := &corev1.Secret{}
	secret.Name, secret.Namespace = "argocd-secret", cm.Namespace
	secret.Labels = cm.Labels
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mgr := settings.NewSettingsManager(ctx, fake.NewClientset(cm, secret), cm.Namespace)
	overrides, err := mgr.GetResourceOverrides()
	if err != nil {
		t.Fatal(err)
	}
	return lua.ResourceHealthOverrides(overrides)
}

// TestHealthCheckInstalled: the argocd-cm snippet holds every shipped Lua
// script (<group>_<Kind>.lua) verbatim, under the key Argo CD reads for the
// kind, and nothing else.
func TestHealthCheckInstalled(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "argocd", "health", "*.lua"))
	if err != nil {
		t.Fatal(err)
	}
	overrides := installedOverrides(t, true)
	checks := 0
	for _, o := range overrides {
		if o.HealthLua != "" {
			checks++
		}
	}
	if len(files) < 2 || checks != len(files) {
		t.Fatalf("%d scripts under argocd/health, %d health checks in argocd-cm.yaml", len(files), checks)
	}
	for _, f := range files {
		script, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		group, kind, _ := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".lua"), "_")
		if got := overrides[group+"/"+kind].HealthLua; got != string(script) {
			t.Errorf("argocd-cm's health check of %s/%s is not %s:\n%s", group, kind, filepath.Base(f), got)
		}
	}
}

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// llmisvc is an LLMInferenceService as KServe v0.17's controller leaves
// it: generation, annotations and the status conditions, with the types,
// reasons and severities of pkg/apis/serving/v1alpha2/
// llm_inference_service_lifecycle.go and pkg/controller/v1alpha2/llmisvc
// (knative's condition set: Ready from WorkloadsReady and RouterReady,
// the others with severity Info; observedGeneration bumped every reconcile).
func llmisvc(generation, observed int, annotations, conditions string) string {
	s := `apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceService
metadata:
  name: qwen
  namespace: llm-d
  generation: ` + itoa(generation) + "\n"
	if annotations != "" {
		s += "  annotations:\n" + annotations
	}
	s += "spec:\n  model: {uri: hf://Qwen/Qwen2.5-0.5B-Instruct}\n"
	if conditions != "" {
		s += "status:\n  observedGeneration: " + itoa(observed) + "\n  url: http://llm-d-gateway.llm-d/llm-d/qwen\n  conditions:\n" + conditions
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

func cond(typ, status, reason, message string, info bool) string {
	s := "  - type: " + typ + "\n    status: \"" + status + "\"\n    lastTransitionTime: \"2026-11-29T16:00:00Z\"\n"
	if reason != "" {
		s += "    reason: " + reason + "\n"
	}
	if message != "" {
		s += "    message: \"" + message + "\"\n"
	}
	if info {
		s += "    severity: Info\n"
	}
	return s
}

// ready is every condition of a single-pool model with its scheduler, Ready.
var ready = cond("HTTPRoutesReady", "True", "", "", true) + cond("InferencePoolReady", "True", "", "", true) +
	cond("MainWorkloadReady", "True", "", "", true) + cond("PresetsCombined", "True", "", "", true) +
	cond("Ready", "True", "", "", false) + cond("RouterReady", "True", "", "", false) +
	cond("SchedulerWorkloadReady", "True", "", "", true) + cond("WorkloadsReady", "True", "", "", false)

// TestLLMInferenceServiceHealth runs the shipped check in Argo CD's own
// health path (gitops-engine's GetResourceHealth with Argo CD's Lua
// overrides, what a sync wave waits on) over the states KServe reports.
func TestLLMInferenceServiceHealth(t *testing.T) {
	overrides := installedOverrides(t, true)
	loading := "Deployment does not have minimum availability."
	for _, c := range []struct {
		name    string
		obj     string
		status  health.HealthStatusCode
		message string
	}{
		{"created, no status yet", llmisvc(1, 0, "", ""), health.HealthStatusProgressing, "Waiting for KServe"},
		{"pods loading or Pending (GPUs short)", llmisvc(1, 1, "",
			cond("MainWorkloadReady", "False", "MinimumReplicasUnavailable", loading, true)+cond("PresetsCombined", "True", "", "", true)+
				cond("Ready", "False", "MinimumReplicasUnavailable", loading, false)+cond("RouterReady", "True", "", "", false)+
				cond("WorkloadsReady", "False", "MinimumReplicasUnavailable", loading, false)),
			health.HealthStatusProgressing, "Ready False (MinimumReplicasUnavailable): " + loading},
		{"new generation not reconciled yet", llmisvc(1, 1, "",
			cond("Ready", "Unknown", "NewObservedGenFailure", "unsuccessfully observed a new generation", false)+cond("WorkloadsReady", "Unknown", "", "", false)),
			health.HealthStatusProgressing, "Ready Unknown (NewObservedGenFailure)"},
		{"Ready", llmisvc(1, 1, "", ready), health.HealthStatusHealthy, "Ready"},
		{"Ready for an older generation", llmisvc(2, 1, "", ready), health.HealthStatusProgressing, "reconcile generation 2"},
		{"stopped", llmisvc(2, 2, "    serving.kserve.io/stop: \"true\"\n",
			cond("MainWorkloadReady", "False", "Stopped", "Service is stopped", true)+cond("Ready", "False", "Stopped", "Service is stopped", false)+
				cond("RouterReady", "False", "Stopped", "Service is stopped", false)+cond("WorkloadsReady", "False", "Stopped", "Service is stopped", false)),
			health.HealthStatusSuspended, "serving.kserve.io/stop"},
		{"stop annotation false", llmisvc(1, 1, "    serving.kserve.io/stop: \"false\"\n", ready), health.HealthStatusHealthy, "Ready"},
		{"presets do not merge", llmisvc(1, 1, "",
			cond("PresetsCombined", "False", "CombineBaseError", "failed to get LLMInferenceServiceConfig llm-d/kserve-config-llm-template", true)+
				cond("Ready", "Unknown", "", "", false)),
			health.HealthStatusDegraded, "PresetsCombined False (CombineBaseError)"},
		{"invalid route refs", llmisvc(1, 1, "",
			cond("HTTPRoutesReady", "False", "RefsInvalid", "HTTPRoute llm-d/missing not found", true)+cond("Ready", "False", "RefsInvalid", "HTTPRoute llm-d/missing not found", false)+
				cond("RouterReady", "False", "RefsInvalid", "HTTPRoute llm-d/missing not found", false)),
			health.HealthStatusDegraded, "RefsInvalid"},
		{"scheduler rollout gave up", llmisvc(1, 1, "",
			cond("SchedulerWorkloadReady", "False", "ProgressDeadlineExceeded", `ReplicaSet \"qwen-kserve-router-scheduler-5d9\" has timed out progressing.`, true)+
				cond("Ready", "False", "ProgressDeadlineExceeded", "", false)+cond("RouterReady", "False", "ProgressDeadlineExceeded", "", false)),
			health.HealthStatusDegraded, "SchedulerWorkloadReady False (ProgressDeadlineExceeded)"},
		{"transient reconcile error", llmisvc(1, 1, "",
			cond("MainWorkloadReady", "False", "ReconcileSingleNodeWorkloadError", "the object has been modified; please apply your changes to the latest version", true)+
				cond("Ready", "False", "ReconcileSingleNodeWorkloadError", "", false)),
			health.HealthStatusProgressing, "ReconcileSingleNodeWorkloadError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			obj := object(t, c.obj)
			hs, err := health.GetResourceHealth(obj, overrides)
			if err != nil {
				t.Fatal(err)
			}
			if hs == nil || hs.Status != c.status || !strings.Contains(hs.Message, c.message) {
				t.Errorf("health %+v, want %s with %q in the message", hs, c.status, c.message)
			}
		})
	}

	// Without the customization Argo CD has no health for the kind: a sync
	// wave would not wait for the model.
	hs, err := health.GetResourceHealth(object(t, llmisvc(1, 1, "", ready)), installedOverrides(t, false))
	if err != nil || hs != nil {
		t.Errorf("without the check: health %+v, %v; want none (why servelayer ships one)", hs, err)
	}
}

// TestInferenceServiceHealth: servelayer's InferenceService check
// (installed from argocd-cm.yaml) against Argo CD v3.2's built-in one
// (resource_customizations/serving.kserve.io/InferenceService/health.lua),
// on statuses as KServe v0.17 writes them. The built-in check calls the
// predictor's pods loading or Pending Degraded (KServe leaves
// modelStatus.transitionStatus empty then; seen on the cluster in a box,
// TestArgoCD/gpus_short), which fails a sync waiting between waves.
func TestInferenceServiceHealth(t *testing.T) {
	ours := installedOverrides(t, true)
	builtIn := installedOverrides(t, false)
	isvc := func(annotations, conditions string) string {
		s := "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: qwen\n  namespace: kserve\n  generation: 1\n"
		if annotations != "" {
			s += "  annotations:\n" + annotations
		}
		return s + "spec:\n  predictor: {}\nstatus:\n  observedGeneration: 1\n  conditions:\n" + conditions
	}
	pending := cond("IngressReady", "False", "Predictor ingress not created", "", false) +
		cond("PredictorReady", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", true) +
		cond("Ready", "False", "Predictor ingress not created", "", false) + cond("Stopped", "False", "", "", true)
	ready := cond("IngressReady", "True", "", "", false) + cond("LatestDeploymentReady", "True", "", "", true) +
		cond("PredictorReady", "True", "", "", true) + cond("Ready", "True", "", "", false) + cond("Stopped", "False", "", "", true)
	for _, c := range []struct {
		name          string
		obj           string
		ours, builtIn health.HealthStatusCode
	}{
		{"Ready", isvc("", ready) + "  modelStatus: {transitionStatus: UpToDate}\n", health.HealthStatusHealthy, health.HealthStatusHealthy},
		// As KServe v0.17 wrote it on the cluster in a box, the pod
		// Pending for a GPU; a pod loading the weights looks the same.
		{"predictor Pending, transitionStatus empty", isvc("", pending) + "  modelStatus: {copies: {failedCopies: 0}, transitionStatus: \"\"}\n",
			health.HealthStatusProgressing, health.HealthStatusDegraded},
		{"predictor Pending, no modelStatus yet", isvc("", pending), health.HealthStatusProgressing, health.HealthStatusProgressing},
		{"no pod yet", isvc("", cond("PredictorReady", "Unknown", "", "", true)+cond("Ready", "Unknown", "", "", false)) +
			"  modelStatus: {transitionStatus: InProgress}\n", health.HealthStatusProgressing, health.HealthStatusProgressing},
		{"Ready for an older generation", strings.Replace(isvc("", ready), "generation: 1", "generation: 2", 1) + "  modelStatus: {transitionStatus: UpToDate}\n",
			health.HealthStatusProgressing, health.HealthStatusHealthy},
		{"failed load", isvc("", cond("PredictorReady", "False", "", "", true)+cond("Ready", "False", "", "", false)) +
			"  modelStatus: {transitionStatus: BlockedByFailedLoad, lastFailureInfo: {reason: ModelLoadFailed, message: out of memory}}\n",
			health.HealthStatusDegraded, health.HealthStatusDegraded},
		{"stopped", isvc("    serving.kserve.io/stop: \"true\"\n", cond("PredictorReady", "False", "Stopped", "", true)+
			cond("Ready", "False", "Stopped", "", false)+cond("Stopped", "True", "Stopped", "The inference service is stopped", true)),
			health.HealthStatusSuspended, health.HealthStatusSuspended},
	} {
		t.Run(c.name, func(t *testing.T) {
			hs, err := health.GetResourceHealth(object(t, c.obj), ours)
			if err != nil || hs == nil || hs.Status != c.ours {
				t.Errorf("servelayer's check: %+v, %v; want %s", hs, err, c.ours)
			}
			b, err := health.GetResourceHealth(object(t, c.obj), builtIn)
			if err != nil || b == nil || b.Status != c.builtIn {
				t.Errorf("Argo CD's built-in check: %+v, %v; want %s (has it changed?)", b, err, c.builtIn)
			}
		})
	}
}
