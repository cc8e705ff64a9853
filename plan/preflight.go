package plan

import (
	"fmt"

	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/schema"
)

// preflight is step 1: what must be true before bringing up the new layer.
// What the spec itself cannot do on the new layer is a blocker (the rule
// table), not a check.
func preflight(old, new *schema.ServedModel, p *schema.PlatformSpec, gated bool) []Check {
	to := new.Spec.Layer
	h := home(new)
	ns := new.Namespace
	var cs []Check
	add := func(id string, st CheckStatus, cmd, format string, a ...any) {
		cs = append(cs, Check{ID: id, Status: st, Message: fmt.Sprintf(format, a...), Command: cmd})
	}

	// 1. The feature gate.
	gate := layers.GateField(to)
	switch {
	case gate == "":
		add("feature-gate", CheckPass, "", "%s is serving-core: always on", to)
	case !gated:
		add("feature-gate", CheckWarn, "", "no Platform given: %s is not checked; pass --platform", gate)
	case h.Enabled(p):
		add("feature-gate", CheckPass, "", "%s is true in the Platform", gate)
	default:
		add("feature-gate", CheckFail, "", "%s is false in the Platform: %s is disabled; enable it there (once its control plane is installed) or move to another layer", gate, to)
	}

	// 2. The layer's prerequisites. servelayer is offline: these are commands to run.
	cs = append(cs, h.Plan().Prerequisites(new, p)...)
	// A warning row about how the cluster must be set up for the new
	// layer (the namespace's Pod Security level, say): its command to run.
	for _, r := range schema.Rules() {
		if r.Warning && r.Check != "" && !isSource(r.Field) && r.FiresOn(to, new, p, gated) {
			add(r.ID, CheckManual, r.Check, "%s", r.Message(new, p))
		}
	}
	if old.Namespace != ns {
		add("namespace", CheckManual, "kubectl get namespace "+ns, "namespace %s exists", ns)
	}

	// 3. The weights, where the new layer reads them.
	switch src := new.Spec.Model.Source; {
	case src.PVC != nil && src.PVC.Stage != nil:
		job, source := stageOf(new)
		add("weights", CheckPass, "", "Job %s/%s stages %s into claim %s at %s in step 2 (step 3 waits for it)", ns, job, source, src.PVC.ClaimName, src.PVC.Path)
	case src.PVC != nil && src.PVC.Provision != nil:
		add("weights", CheckManual, fmt.Sprintf("kubectl -n %s get pvc %s", ns, src.PVC.ClaimName),
			"servelayer renders claim %s/%s empty: stage the weights at %s before step 2", ns, src.PVC.ClaimName, src.PVC.Path)
	case src.PVC != nil && old.Namespace == ns:
		add("weights", CheckPass, "", "the same claim %s/%s serves both layers", ns, src.PVC.ClaimName)
	case src.PVC != nil:
		add("weights", CheckManual, fmt.Sprintf("kubectl -n %s get pvc %s", ns, src.PVC.ClaimName),
			"claim %s exists in %s (claims are namespaced) with the weights at %s", src.PVC.ClaimName, ns, src.PVC.Path)
	default:
		if c, ok := sourceRuleCheck(new, p, gated); ok {
			cs = append(cs, c)
		} else if c, ok := h.Plan().SourceCheck(new, p, gated); ok {
			cs = append(cs, c)
		}
	}

	// 4. GPUs.
	need, desc := gpuNeed(new)
	disagg := new.Spec.Disaggregation != nil && !refused(new, "spec.disaggregation")
	const gpuCmd = "kubectl get nodes -o custom-columns=NAME:.metadata.name,GPUS:.status.allocatable.nvidia\\.com/gpu"
	switch {
	case p.GPUs == nil && disagg:
		add("gpus", CheckManual, gpuCmd, "prefill/decode disaggregation needs %s; no Platform spec.gpus to check against", desc)
	case p.GPUs == nil:
		add("gpus", CheckManual, gpuCmd, "%s needed; no Platform spec.gpus to check against", desc)
	case need > *p.GPUs && disagg:
		add("gpus", CheckFail, "", "prefill/decode disaggregation needs %s, but the Platform has %d (spec.gpus): one pool would stay Pending, and KServe would re-issue the model's certificate and roll its router-scheduler on every reconcile meanwhile; add GPUs or remove spec.disaggregation", desc, *p.GPUs)
	case need > *p.GPUs:
		add("gpus", CheckFail, "", "%s needed, but the Platform has %d (spec.gpus): pods would stay Pending", desc, *p.GPUs)
	default:
		add("gpus", CheckPass, "", "%s needed; the Platform has %d", desc, *p.GPUs)
		if held, _ := gpuNeed(old); need+held > *p.GPUs {
			add("gpu-headroom", CheckWarn, "", "%s still holds %d GPU(s) until step 5, so the new pods stay Pending until then (%d + %d > %d): idle the old layer first and accept downtime, or add GPUs",
				old.Spec.Layer, held, held, need, *p.GPUs)
		} else if held > 0 {
			add("gpu-headroom", CheckPass, "", "both layers fit while they overlap (steps 2-5): %d + %d <= %d", held, need, *p.GPUs)
		}
	}
	return cs
}

// sourceRuleCheck is the weights check when a warning row about the
// source fires on the new layer: the cluster must be set up for it. With a
// Platform, which declares the setting, it fails; without one, it is the
// row's command to run.
func sourceRuleCheck(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (Check, bool) {
	for _, r := range schema.Rules() {
		if !r.Warning || !isSource(r.Field) || !r.FiresOn(m.Spec.Layer, m, p, gated) {
			continue
		}
		c := Check{ID: "weights", Status: CheckFail, Message: r.Message(m, p)}
		if !gated {
			c.Status, c.Command = CheckManual, r.Check
		}
		return c, true
	}
	return Check{}, false
}
