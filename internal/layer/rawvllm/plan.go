package rawvllm

import (
	"fmt"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

type planner struct{}

func (planner) Describe(aspect string, m *schema.ServedModel, _ *schema.PlatformSpec) string {
	s := &m.Spec
	switch aspect {
	case layer.AspectWeights:
		switch src := s.Model.Source; {
		case src.PVC != nil:
			return fmt.Sprintf("claim %s/%s, path %s: pre-staged, read-only at %s/%s; HF offline; check-weights initContainer",
				m.Namespace, src.PVC.ClaimName, src.PVC.Path, k8s.ModelsDir, src.PVC.Path)
		case src.OCI != "":
			return "oci modelcar: not on raw-vllm (it serves pre-staged claims only)"
		}
		return "hf: not on raw-vllm (it runs offline)"
	case layer.AspectRouting:
		return fmt.Sprintf("LiteLLM -> Service %s.%s:%d; no gateway route (add your own)", m.Name, m.Namespace, k8s.VLLMPort)
	case layer.AspectScaling:
		switch {
		case s.Scaling != nil && s.Scaling.Metric != "":
			return fmt.Sprintf("autoscaled by KEDA: %d..%d replicas%s (ScaledObject %s)", *s.Scaling.MinReplicas, s.Scaling.MaxReplicas, layer.MetricText(s.Scaling), m.Name)
		case s.Scaling != nil:
			return "spec.scaling without a metric: not on raw-vllm (it scales only through KEDA on a metric)"
		case s.Replicas != nil:
			return fmt.Sprintf("fixed: %s replicas %d", kindOf(m), *s.Replicas)
		}
		return "spec.disaggregation: not on raw-vllm (one pool only)"
	case layer.AspectRollout:
		if r := s.Rollout; r != nil && r.CanaryTrafficPercent != nil {
			return "Recreate, no traffic split; spec.rollout: not on raw-vllm"
		}
		return "Recreate, no traffic split"
	case layer.AspectPause:
		if s.Scaling != nil {
			return "spec.paused sets Deployment replicas 0 and KEDA's paused-replicas annotation 0; now " + pauseState(s.Paused)
		}
		return "spec.paused sets " + kindOf(m) + " replicas 0; now " + pauseState(s.Paused)
	}
	return ""
}

func pauseState(paused bool) string {
	if paused {
		return "paused"
	}
	return "running"
}

// multiNode reports whether m renders a LeaderWorkerSet.
func multiNode(m *schema.ServedModel) bool {
	sh, why := m.Spec.Pools()[0].Shape()
	return why == "" && sh.MultiNode()
}

// kindOf is the kind of m's workload.
func kindOf(m *schema.ServedModel) string {
	if multiNode(m) {
		return "LeaderWorkerSet"
	}
	return "Deployment"
}

// resourceOf is kubectl's name of m's workload.
func resourceOf(m *schema.ServedModel) string {
	if multiNode(m) {
		return "leaderworkerset/" + m.Name
	}
	return "deployment/" + m.Name
}

func (planner) Prerequisites(m *schema.ServedModel, p *schema.PlatformSpec) []layer.Check {
	if m.Spec.Scaling != nil {
		return []layer.Check{layer.KEDACheck(p)}
	}
	if multiNode(m) {
		return []layer.Check{{ID: "prerequisites", Status: layer.CheckManual, Command: "kubectl get crd leaderworkersets.leaderworkerset.x-k8s.io",
			Message: "a replica spans pods: the LeaderWorkerSet controller (sigs.k8s.io/lws, v0.7.0 is what KServe v0.17 uses) is installed"}}
	}
	return []layer.Check{{ID: "prerequisites", Status: layer.CheckPass, Message: "raw-vllm needs no control plane"}}
}

func (planner) SourceCheck(*schema.ServedModel, *schema.PlatformSpec, bool) (layer.Check, bool) {
	return layer.Check{}, false // only claims, checked by plan
}

func (planner) Wait(m *schema.ServedModel) string {
	if multiNode(m) {
		return fmt.Sprintf("kubectl -n %s wait leaderworkerset/%s --for=condition=Available --timeout=30m", m.Namespace, m.Name)
	}
	return fmt.Sprintf("kubectl -n %s rollout status deployment/%s --timeout=30m", m.Namespace, m.Name)
}

func (planner) ArgoHealth(m *schema.ServedModel) layer.ArgoWave {
	if multiNode(m) {
		return layer.ArgoWave{Health: "Argo CD v3.2 has no health check for LeaderWorkerSet: wave 0 does not wait for the model to load, so the alias (wave 1) can move before it serves; move a multi-node model with the kubectl checklist"}
	}
	// A paused model is a Deployment at replicas 0: Healthy at once.
	return layer.ArgoWave{Waits: true, ShortFails: true, Health: fmt.Sprintf("Argo CD's Deployment check: Healthy once every replica is updated and available (vLLM's startup probe passed: the model loaded); Degraded after progressDeadlineSeconds %d (ProgressDeadlineExceeded), which fails the sync",
		m.Spec.StartupSeconds()+k8s.ProgressSlackSeconds)}
}

func (planner) Idle(m *schema.ServedModel) layer.Commands {
	if m.Spec.Scaling != nil {
		// KEDA would scale the Deployment back up.
		return layer.Commands{
			Commands: []string{fmt.Sprintf("kubectl -n %s annotate scaledobject/%s %s=0 --overwrite", m.Namespace, m.Name, k8s.AnnotationKEDAPausedReplicas)},
			Notes:    []string{"raw-vllm idles with KEDA's paused-replicas annotation at 0 (what spec.paused: true renders); roll back by removing it and re-pointing the alias"},
		}
	}
	return layer.Commands{
		Commands: []string{fmt.Sprintf("kubectl -n %s scale %s --replicas=0", m.Namespace, resourceOf(m))},
		Notes:    []string{"raw-vllm idles with replicas 0 (what spec.paused: true renders); roll back by scaling up and re-pointing the alias"},
	}
}

func (planner) Teardown(m *schema.ServedModel, _ *schema.PlatformSpec) (layer.Commands, string) {
	return layer.Commands{
		Commands: append(append(append([]string{
			fmt.Sprintf("kubectl -n %s delete service/%s", m.Namespace, m.Name),
		}, deleteScaler(m)...),
			fmt.Sprintf("kubectl -n %s delete %s", m.Namespace, resourceOf(m)),
		), layer.DeleteDisruptionBudgets(m, pools(m))...),
		Notes: []string{"the Service (the way in) goes before the " + kindOf(m)},
	}, ""
}

func (planner) RoutingLoss() string { return "" }
func (planner) ManagesRoute() bool  { return false }

// deleteScaler deletes the ScaledObject before its Deployment, or KEDA
// keeps scaling what is being deleted.
func deleteScaler(m *schema.ServedModel) []string {
	if m.Spec.Scaling == nil {
		return nil
	}
	return []string{fmt.Sprintf("kubectl -n %s delete scaledobject/%s", m.Namespace, m.Name)}
}
