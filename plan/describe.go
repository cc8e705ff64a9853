package plan

import (
	"fmt"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// semanticChanges describes each aspect on both layers.
func semanticChanges(old, new *schema.ServedModel, p *schema.PlatformSpec) []Change {
	aspects := []string{AspectNamespace, AspectWeights, AspectURL, AspectRouting, AspectScaling, AspectRollout, AspectPause, AspectGPUs}
	if len(old.Spec.Model.Adapters) > 0 || len(new.Spec.Model.Adapters) > 0 {
		aspects = append(aspects, AspectAdapters)
	}
	var out []Change
	for _, a := range aspects {
		c := Change{Aspect: a, From: describe(a, old, p), To: describe(a, new, p)}
		c.Changed = c.From != c.To
		c.Note = changeNote(a, old, new)
		out = append(out, c)
	}
	return out
}

// describe says how m's layer serves one aspect: the layer's own words,
// except for what every layer shares.
func describe(aspect string, m *schema.ServedModel, p *schema.PlatformSpec) string {
	switch aspect {
	case AspectNamespace:
		return m.Namespace
	case AspectURL:
		return apiBase(m, p)
	case AspectGPUs:
		_, d := gpuNeed(m)
		return d
	case AspectAdapters:
		return adapters(m)
	}
	return home(m).Plan().Describe(aspect, m, p)
}

// changeNote says what an operator must know about an aspect's change.
func changeNote(aspect string, old, new *schema.ServedModel) string {
	ol, nl := old.Spec.Layer, new.Spec.Layer
	if ol == nl {
		return ""
	}
	switch aspect {
	case AspectWeights:
		if src := new.Spec.Model.Source.PVC; src != nil && old.Namespace != new.Namespace {
			return fmt.Sprintf("claims are namespaced: %s must exist in %s with the weights at %s (see preflight)", src.ClaimName, new.Namespace, src.Path)
		}
	case AspectRouting:
		var notes []string
		if loss := home(old).Plan().RoutingLoss(); loss != "" {
			notes = append(notes, loss)
		}
		if home(old).Plan().ManagesRoute() && !home(new).Plan().ManagesRoute() {
			notes = append(notes, "the HTTPRoute "+string(ol)+" managed is gone: traffic reaches the model only through LiteLLM or a route of your own")
		}
		return strings.Join(notes, "; ")
	case AspectPause:
		return "idle the old layer its own way in step 5"
	}
	return ""
}

// gpuNeed is the GPUs a defaulted model holds on its layer when running:
// per replica x replicas (the floor, at least 1, when autoscaled), or the
// sum of the prefill and decode pools. A paused model holds none.
func gpuNeed(m *schema.ServedModel) (need int32, desc string) {
	s := &m.Spec
	plural := func(n int32, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	if d := s.Disaggregation; d != nil && !refused(m, "spec.disaggregation") {
		pv, dv := s.PoolView("prefill", &d.Prefill), s.PoolView("decode", &d.Decode)
		need = pv.ReplicaGPUs()**d.Prefill.Replicas + dv.ReplicaGPUs()**d.Decode.Replicas
		desc = fmt.Sprintf("prefill %s x %d + decode %s x %d = %d %s",
			pv.GPUsText(), *d.Prefill.Replicas, dv.GPUsText(), *d.Decode.Replicas, need, plural(need, "GPU", "GPUs"))
	} else {
		v := schema.PoolView{Resources: &s.Resources, Parallelism: s.Parallelism, Args: s.Engine.Args}
		per, text := v.ReplicaGPUs(), v.GPUsText()
		switch {
		case s.Scaling != nil:
			lo := max(*s.Scaling.MinReplicas, 1)
			need = per * lo
			desc = fmt.Sprintf("%s x %d..%d replicas = %d..%d GPUs", text, *s.Scaling.MinReplicas, s.Scaling.MaxReplicas,
				per**s.Scaling.MinReplicas, per*s.Scaling.MaxReplicas)
		case s.Replicas != nil:
			need = per * *s.Replicas
			desc = fmt.Sprintf("%s x %d %s = %d %s", text, *s.Replicas, plural(*s.Replicas, "replica", "replicas"), need, plural(need, "GPU", "GPUs"))
		default: // disaggregation on a layer that cannot serve it: blocked
			need = per
			desc = fmt.Sprintf("%s x 1 replica (spec.disaggregation: not on %s)", text, s.Layer)
		}
	}
	if s.Paused {
		return 0, desc + " (paused: none held)"
	}
	return need, desc
}

// refused reports whether an error row about path refuses m's layer,
// whatever the Platform.
func refused(m *schema.ServedModel, path string) bool {
	for _, r := range schema.Rules() {
		if !r.Warning && r.Field == path && r.Mode == "" && r.FiresOn(m.Spec.Layer, m, nil, false) {
			return true
		}
	}
	return false
}

// adapters lists m's LoRA adapters as every layer serves them: by name,
// from its source, under its LiteLLM alias.
func adapters(m *schema.ServedModel) string {
	as := m.Spec.Model.Adapters
	if len(as) == 0 {
		return "none"
	}
	var parts []string
	for _, a := range as {
		src := "claim path " + a.Path
		switch {
		case a.HF != "":
			src = "hf " + a.HF
		case a.OCI != "":
			src = "oci " + a.OCI
		}
		alias := ""
		if m.Spec.Routing != nil {
			alias = ", alias " + a.AliasOrName()
		}
		parts = append(parts, fmt.Sprintf("%s (%s%s)", a.Name, src, alias))
	}
	return fmt.Sprintf("%d LoRA adapter(s), vLLM --lora-modules: %s", len(as), strings.Join(parts, "; "))
}
