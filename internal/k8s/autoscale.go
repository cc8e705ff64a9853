package k8s

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// KEDA's names: the pause annotation, and the API of a ScaledObject.
const (
	AnnotationKEDAPausedReplicas = "autoscaling.keda.sh/paused-replicas"
	KEDAAPIVersion               = "keda.sh/v1alpha1"
	KindScaledObject             = "ScaledObject"
)

// PrometheusQuery is the PromQL that sums metric over the pods of one
// model: those in namespace whose names match podPattern (a Deployment's
// pods are <deployment>-<hash>-<suffix>). KEDA's prometheus trigger
// divides the sum by the replica count (metricType AverageValue), so the
// target is per replica on every layer.
func PrometheusQuery(metric schema.ScalingMetric, namespace, deployment string) string {
	sel := fmt.Sprintf(`{namespace=%q,pod=~%q}`, namespace, deployment+"-[^-]+-[^-]+")
	switch metric {
	case schema.MetricRequestsWaiting:
		return "sum(vllm:num_requests_waiting" + sel + ")"
	case schema.MetricRequestsRunning:
		return "sum(vllm:num_requests_running" + sel + ")"
	case schema.MetricKVCacheUsage:
		// vLLM 0.11.0's name; vllm:gpu_cache_usage_perc is hidden there.
		return "sum(vllm:kv_cache_usage_perc" + sel + ")"
	case schema.MetricTokensPerSecond:
		return "sum(rate(vllm:generation_tokens_total" + sel + "[1m]))"
	case schema.MetricConcurrency:
		return "sum(vllm:num_requests_running" + sel + " + vllm:num_requests_waiting" + sel + ")"
	case schema.MetricRPS:
		return "sum(rate(vllm:request_success_total" + sel + "[1m]))"
	}
	panic("servelayer: unknown scaling metric " + string(metric)) // validation refuses it
}

// ScaledObjectFor is a KEDA ScaledObject that scales Deployment
// deployment of m on its spec.scaling metric, querying Prometheus at url.
// With minReplicas 0 the initial cooldown is the startup budget: KEDA
// scales a new target with no active trigger to zero once it has passed,
// and a loading vLLM exports no metric yet.
func ScaledObjectFor(m *schema.ServedModel, deployment, url string) Object {
	sc := m.Spec.Scaling
	so := &ScaledObject{
		TypeMeta: TypeMeta{APIVersion: KEDAAPIVersion, Kind: KindScaledObject},
		Metadata: Meta(m, m.Name, ComponentModelServer),
		Spec: ScaledObjectSpec{
			ScaleTargetRef:  ScaleTargetRef{APIVersion: "apps/v1", Kind: "Deployment", Name: deployment},
			MinReplicaCount: Ptr(*sc.MinReplicas),
			MaxReplicaCount: Ptr(sc.MaxReplicas),
			Triggers: []ScaleTrigger{{
				Type:       "prometheus",
				MetricType: "AverageValue",
				Metadata: map[string]string{
					"serverAddress": url,
					"query":         PrometheusQuery(sc.Metric, m.Namespace, deployment),
					"threshold":     sc.Target,
				},
			}},
		},
	}
	if *sc.MinReplicas == 0 {
		so.Spec.InitialCooldownPeriod = Ptr(m.Spec.StartupSeconds())
	}
	if m.Spec.Paused {
		// KEDA holds the Deployment at 0 and stops scaling while paused.
		so.Metadata.Annotations = map[string]string{AnnotationKEDAPausedReplicas: "0"}
	}
	return NewObject(KEDAAPIVersion, KindScaledObject, m, m.Name, so)
}

// WholeTarget is spec.scaling.target as a whole number, for autoscalers
// that take an integer (Knative's scaleTarget); ok is false otherwise.
func WholeTarget(target string) (int32, bool) {
	if strings.Contains(target, ".") {
		whole, frac, _ := strings.Cut(target, ".")
		if strings.Trim(frac, "0") != "" {
			return 0, false
		}
		target = whole
	}
	n, err := strconv.ParseInt(target, 10, 32)
	return int32(n), err == nil && n >= 1
}

// AdaptersDir is where llm-d mounts the model's whole claim for the
// adapters on it (KServe mounts only the model's directory of it).
const AdaptersDir = "/mnt/claim"

// LoRAArgs are the vLLM arguments of spec.model.adapters: adapters on the
// model's claim under claimDir (where the layer mounts the whole claim),
// hf adapters by repo id (vLLM downloads them at start).
func LoRAArgs(s *schema.ServedModelSpec, claimDir string) []string {
	as := s.Model.Adapters
	if len(as) == 0 {
		return nil
	}
	loaded := int32(len(as))
	args := []string{"--enable-lora"}
	if l := s.Model.AdapterLimits; l != nil {
		if l.MaxLoaded != nil {
			loaded = *l.MaxLoaded
		}
		if l.MaxRank != nil {
			args = append(args, "--max-lora-rank", strconv.Itoa(int(*l.MaxRank)))
		}
	}
	args = append(args, "--max-loras", strconv.Itoa(int(loaded)), "--lora-modules")
	for _, a := range as {
		src := strings.TrimPrefix(a.HF, "hf://")
		if a.Path != "" {
			src = claimDir + "/" + a.Path
		}
		args = append(args, a.Name+"="+src)
	}
	return args
}
