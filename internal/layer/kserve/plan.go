package kserve

import (
	"fmt"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// cr is the one KServe resource the layer is served by.
var cr = layer.StopAnnotated{Resource: "inferenceservice", Layer: schema.LayerKServe}

type planner struct{}

func (planner) Describe(aspect string, m *schema.ServedModel, p *schema.PlatformSpec) string {
	s := &m.Spec
	mode := p.KServe.DeploymentMode
	switch aspect {
	case layer.AspectWeights:
		switch src := s.Model.Source; {
		case src.PVC != nil:
			return fmt.Sprintf("claim %s/%s, path %s: pre-staged, read-only at %s/%s (custom container, no storage initializer)",
				m.Namespace, src.PVC.ClaimName, src.PVC.Path, k8s.ModelsDir, src.PVC.Path)
		case src.OCI != "":
			repo, digest := schema.SplitOCI(src.OCI)
			return fmt.Sprintf("modelcar oci://%s@%s at %s", repo, digest, ModelsDir)
		}
		return "hf: not on kserve (its storage initializer breaks behind restricted egress)"
	case layer.AspectRouting:
		return fmt.Sprintf("KServe's HTTPRoute (gateway class %s) -> predictor Service %s%s.%s", p.KServe.Gateway.ClassName, m.Name, PredictorSuffix, m.Namespace)
	case layer.AspectScaling:
		switch {
		case s.Scaling != nil:
			by := "KServe's default autoscaler"
			switch {
			case s.Scaling.Metric != "" && mode == schema.DeploymentModeStandard:
				by = "KServe's KEDA autoscaler class"
			case s.Scaling.Metric != "":
				by = "Knative's autoscaler"
			}
			return fmt.Sprintf("autoscaled by %s: minReplicas %d, maxReplicas %d%s (%s mode)", by, *s.Scaling.MinReplicas, s.Scaling.MaxReplicas, layer.MetricText(s.Scaling), mode)
		case s.Replicas != nil:
			return fmt.Sprintf("fixed: minReplicas = maxReplicas = %d (%s mode)", *s.Replicas, mode)
		}
		return "spec.disaggregation: not on kserve (one pool only)"
	case layer.AspectRollout:
		if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
			return fmt.Sprintf("canary: %d%% of traffic to the latest revision (%s mode)", *r.CanaryTrafficPercent, mode)
		}
		if mode == schema.DeploymentModeStandard {
			return "Recreate, no traffic split (canary needs Knative mode)"
		}
		return "Knative revisions, all traffic to the latest (no canary set)"
	case layer.AspectPause:
		return cr.DescribePause(s.Paused)
	}
	return ""
}

func (planner) Prerequisites(m *schema.ServedModel, p *schema.PlatformSpec) []layer.Check {
	gw := "kubectl get gatewayclass " + p.KServe.Gateway.ClassName
	if g := p.KServe.Gateway; g.Name != "" && g.Namespace != "" {
		gw = fmt.Sprintf("kubectl -n %s get gateway %s", g.Namespace, g.Name)
	}
	checks := []layer.Check{
		{ID: "cert-manager", Status: layer.CheckManual, Command: "kubectl get crd certificates.cert-manager.io",
			Message: "cert-manager is installed (KServe's webhooks need its certificates)"},
		{ID: "kserve-controller", Status: layer.CheckManual, Command: "kubectl get deployment -A -l control-plane=kserve-controller-manager",
			Message: "the KServe controller is installed and available"},
		{ID: "gateway", Status: layer.CheckManual, Command: gw,
			Message: fmt.Sprintf("KServe's gateway (class %s) exists, for the HTTPRoute KServe creates", p.KServe.Gateway.ClassName)},
	}
	if sc := m.Spec.Scaling; sc != nil && sc.Metric != "" && p.KServe.DeploymentMode == schema.DeploymentModeStandard {
		checks = append(checks, layer.KEDACheck(p))
	}
	return checks
}

// SourceCheck: KServe pulls a modelcar (plan checks the rules about
// KServe's storage config first).
func (planner) SourceCheck(m *schema.ServedModel, _ *schema.PlatformSpec, _ bool) (layer.Check, bool) {
	if m.Spec.Model.Source.OCI == "" {
		return layer.Check{}, false
	}
	return layer.Check{ID: "weights", Status: layer.CheckPass, Message: "the modelcar is pulled by the new layer"}, true
}

func (planner) Wait(m *schema.ServedModel) string { return cr.Wait(m) }

func (planner) ArgoHealth(*schema.ServedModel) layer.ArgoWave {
	return layer.ArgoWave{Waits: true, StoppedWaits: true, Health: "servelayer's InferenceService check (argocd/health, installed in argocd-cm; it replaces Argo CD's built-in one, which calls KServe v0.17's InferenceService Degraded while pods load or stay Pending and so fails the sync): Healthy once every condition is True for the current generation; Progressing while pods load or stay Pending; Degraded on BlockedByFailedLoad or InvalidSpec, which fails the sync; " + layer.ArgoHealthStopped}
}

func (planner) Idle(m *schema.ServedModel) layer.Commands { return cr.Idle(m) }

func (planner) Teardown(m *schema.ServedModel, p *schema.PlatformSpec) (layer.Commands, string) {
	return layer.Commands{
			Commands: append([]string{cr.Delete(m)}, layer.DeleteDisruptionBudgets(m, pools(m))...),
			Notes:    []string{"KServe deletes the HTTPRoute and the predictor with it"},
		}, fmt.Sprintf("if no model uses kserve any more: remove its Gateway (class %s) before the KServe controller and cert-manager, then set Platform spec.features.kserve: false",
			p.KServe.Gateway.ClassName)
}

func (planner) RoutingLoss() string { return "" }
func (planner) ManagesRoute() bool  { return true }
