package llmd

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// cr is the one KServe resource the layer is served by.
var cr = layer.StopAnnotated{Resource: "llminferenceservice", Layer: schema.LayerLLMD}

type planner struct{}

func (planner) Describe(aspect string, m *schema.ServedModel, p *schema.PlatformSpec) string {
	s := &m.Spec
	switch aspect {
	case layer.AspectWeights:
		uri := URI(s.Model.Source)
		switch src := s.Model.Source; {
		case src.PVC != nil:
			return fmt.Sprintf("%s (claim in namespace %s), mounted read-only at %s by KServe storage", uri, m.Namespace, ModelsDir)
		case src.OCI != "":
			return fmt.Sprintf("%s, mounted at %s by KServe storage", uri, ModelsDir)
		}
		return fmt.Sprintf("%s, downloaded by KServe storage at start (needs egress to the hub)", uri)
	case layer.AspectRouting:
		return fmt.Sprintf("llm-d router on Gateway %s/%s: HTTPRoute -> InferencePool + endpoint picker (KV/prefix-aware)", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name)
	case layer.AspectScaling:
		switch {
		case s.Disaggregation != nil:
			return fmt.Sprintf("fixed: prefill %d + decode %d replicas", *s.Disaggregation.Prefill.Replicas, *s.Disaggregation.Decode.Replicas)
		case s.Scaling != nil:
			return fmt.Sprintf("autoscaled: %d..%d replicas (Workload Variant Autoscaler, KEDA actuator; KServe v0.17 does not create it)", *s.Scaling.MinReplicas, s.Scaling.MaxReplicas)
		}
		return fmt.Sprintf("fixed: LLMInferenceService replicas %d", *s.Replicas)
	case layer.AspectRollout:
		if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
			return "router-managed; spec.rollout: not on llm-d"
		}
		return "router-managed"
	case layer.AspectPause:
		return cr.DescribePause(s.Paused)
	}
	return ""
}

func (planner) Prerequisites(m *schema.ServedModel, p *schema.PlatformSpec) []layer.Check {
	presets := "kserve-config-llm-template, kserve-config-llm-router-route, kserve-config-llm-scheduler"
	if m.Spec.Disaggregation != nil {
		presets += ", kserve-config-llm-decode-template, kserve-config-llm-prefill-template"
	}
	cs := []layer.Check{
		{ID: "llmisvc-crds", Status: layer.CheckManual,
			// servelayer renders v1alpha2, which KServe serves from v0.17.
			Command: "kubectl get crd llminferenceservices.serving.kserve.io llminferenceserviceconfigs.serving.kserve.io inferencepools.inference.networking.k8s.io && kubectl get llminferenceservices.v1alpha2.serving.kserve.io -A",
			Message: "the LLMInferenceService CRDs, serving serving.kserve.io/v1alpha2 (KServe v0.17 or later), and the Gateway API Inference Extension's InferencePool are installed"},
		{ID: "llmisvc-presets", Status: layer.CheckManual, Command: "kubectl get llminferenceserviceconfigs -A",
			Message: "the llm-d presets are installed: " + presets},
		{ID: "gateway", Status: layer.CheckManual, Command: fmt.Sprintf("kubectl -n %s get gateway %s", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name),
			Message: fmt.Sprintf("llm-d's own Gateway %s/%s exists, for the router's HTTPRoute", p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name)},
	}
	if m.Spec.Scaling != nil {
		cs = append(cs, layer.Check{ID: "wva", Status: layer.CheckManual, Command: "kubectl api-resources | grep -i -e VariantAutoscaling -e ServiceMonitor",
			Message: "the Workload Variant Autoscaler (its VariantAutoscaling CRD and controller), KEDA for its actuator, and the Prometheus Operator's ServiceMonitor CRD are installed, for spec.scaling"})
	}
	if sc := m.Spec.Scheduler; sc != nil && sc.Config != nil && sc.Config.ConfigMapRef != nil {
		// KServe v0.17 reports a missing one only as "ConfigMap / doesn't
		// have key" (config_merge.go), seen on the cluster in a box.
		ref := sc.Config.ConfigMapRef
		key := cmp.Or(ref.Key, "epp")
		cs = append(cs, layer.Check{ID: "scheduler-config", Status: layer.CheckManual,
			Command: fmt.Sprintf("kubectl -n %s get configmap %s -o jsonpath='{.data.%s}'", m.Namespace, ref.Name, key),
			Message: fmt.Sprintf("ConfigMap %s/%s holds the scheduler's EndpointPickerConfig under key %s (spec.scheduler.config.configMapRef)", m.Namespace, ref.Name, key)})
	}
	return cs
}

func (planner) SourceCheck(m *schema.ServedModel, _ *schema.PlatformSpec, _ bool) (layer.Check, bool) {
	switch src := m.Spec.Model.Source; {
	case src.OCI != "":
		return layer.Check{ID: "weights", Status: layer.CheckPass, Message: "the modelcar is pulled by the new layer"}, true
	case src.HF != "":
		repo := strings.TrimPrefix(src.HF, "hf://")
		return layer.Check{ID: "weights", Status: layer.CheckManual,
			Command: fmt.Sprintf("kubectl -n %s run %s-hf-check --rm -i --restart=Never --image=%s -- curl -fsSI https://huggingface.co/api/models/%s", m.Namespace, m.Name, layer.CheckImage, repo),
			Message: fmt.Sprintf("pods in %s reach huggingface.co (KServe storage downloads %s)", m.Namespace, repo)}, true
	}
	return layer.Check{}, false
}

func (planner) Wait(m *schema.ServedModel) string { return cr.Wait(m) }

func (planner) ArgoHealth(*schema.ServedModel) layer.ArgoWave {
	return layer.ArgoWave{Waits: true, StoppedWaits: true, Health: "servelayer's LLMInferenceService check (argocd/health, installed in argocd-cm; without it Argo CD has none and wave 0 does not wait): Healthy once Ready is True for the current generation; Progressing while pods load or stay Pending; Degraded on CombineBaseError, RefsInvalid or ProgressDeadlineExceeded, which fails the sync; " + layer.ArgoHealthStopped}
}

func (planner) Idle(m *schema.ServedModel) layer.Commands { return cr.Idle(m) }

func (planner) Teardown(m *schema.ServedModel, p *schema.PlatformSpec) (layer.Commands, string) {
	return layer.Commands{
			Commands: append([]string{cr.Delete(m)}, layer.DeleteDisruptionBudgets(m, pools(m))...),
			Notes:    []string{"KServe deletes the HTTPRoute, the InferencePool, the endpoint picker and the pools with it"},
		}, fmt.Sprintf("if no model uses llm-d any more: remove Gateway %s/%s before the LLMInferenceService controller and CRDs, then set Platform spec.features.llmd: false",
			p.LLMD.Gateway.Namespace, p.LLMD.Gateway.Name)
}

func (planner) RoutingLoss() string { return "KV/prefix-aware routing (the endpoint picker) is lost" }
func (planner) ManagesRoute() bool  { return true }
