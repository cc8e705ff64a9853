package render_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// autoModel is a plain model: one replica, pre-staged weights, 1 GPU.
func autoModel(mutate func(s *schema.ServedModelSpec)) *schema.ServedModel {
	m := &schema.ServedModel{Spec: schema.ServedModelSpec{
		Layer:     schema.LayerAuto,
		Model:     schema.Model{Name: "Qwen/Qwen2.5-0.5B-Instruct", Source: schema.ModelSource{PVC: &schema.PVCSource{ClaimName: "model-cache", Path: "qwen"}}},
		Resources: schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1},
	}}
	m.APIVersion, m.Kind, m.Name = schema.APIVersion, schema.KindModel, "qwen"
	if mutate != nil {
		mutate(&m.Spec)
	}
	return m
}

func platform(kserve, llmd bool, gpusPerNode *int32) *schema.Platform {
	p := &schema.Platform{Spec: schema.PlatformSpec{Features: schema.Features{KServe: kserve, LLMD: llmd}, GPUNodes: schema.GPUNodes{GPUsPerNode: gpusPerNode}}}
	p.APIVersion, p.Kind, p.Name = schema.APIVersion, schema.KindPlatform, "lab"
	return p
}

// TestChooseLayer is the auto rule table, rule by rule, with the gates.
func TestChooseLayer(t *testing.T) {
	all := platform(true, true, nil)
	noKServe := platform(false, true, nil)
	noLLMD := platform(true, false, nil)
	rawOnly := platform(false, false, nil)
	knative := platform(true, true, nil)
	knative.Spec.KServe.DeploymentMode = "Knative"
	withProm := platform(true, true, nil)
	withProm.Spec.Prometheus.URL = "http://prometheus.monitoring:9090"
	knativeProm := withProm.DeepCopy()
	knativeProm.Spec.KServe.DeploymentMode = "Knative"
	queue := func(s *schema.ServedModelSpec) {
		s.Scaling = &schema.Scaling{MaxReplicas: 3, Metric: schema.MetricRequestsWaiting, Target: "4"}
	}
	queueZero := func(s *schema.ServedModelSpec) { queue(s); s.Scaling.MinReplicas = new(int32) }
	concurrencyZero := func(s *schema.ServedModelSpec) { queueZero(s); s.Scaling.Metric = schema.MetricConcurrency }
	knativeNoKServe := platform(false, true, nil)
	knativeNoKServe.Spec.KServe.DeploymentMode = "Knative"
	zero := func(s *schema.ServedModelSpec) {
		s.Scaling = &schema.Scaling{MinReplicas: ptr(int32(0)), MaxReplicas: 3}
	}
	digest := "registry.example.com/m/q@sha256:" + strings.Repeat("a", 64)
	canary := func(s *schema.ServedModelSpec) { s.Rollout = &schema.Rollout{CanaryTrafficPercent: ptr(int32(10))} }
	pd := func(s *schema.ServedModelSpec) { s.Disaggregation = &schema.Disaggregation{} }
	args := func(a ...string) func(s *schema.ServedModelSpec) {
		return func(s *schema.ServedModelSpec) { s.Engine.Args = a }
	}
	for _, tc := range []struct {
		name     string
		spec     func(s *schema.ServedModelSpec)
		platform *schema.Platform
		fleet    int
		layer    schema.Layer
		rule     string
		fallback string // substring of Fallback; "" means none
		err      string // substring of the error
	}{
		{name: "plain model", layer: schema.LayerRawVLLM, rule: "default", platform: all, fleet: 1},
		{name: "no Platform: no gate", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{OCI: digest} },
			layer: schema.LayerKServe, rule: "oci-source", fleet: 1},
		{name: "no Platform: Standard mode, so no canary", spec: canary, fleet: 1,
			err: "no layer can serve spec.rollout.canaryTrafficPercent here"},
		{name: "disaggregation", spec: pd, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "disaggregation"},
		{name: "disaggregation, llm-d off", spec: pd, platform: noLLMD, fleet: 1,
			err: "spec.disaggregation needs llm-d, which the Platform disables (spec.features.llmd is false)"},
		{name: "tensor parallel beyond the pod", spec: args("--tensor-parallel-size=2"), platform: all, fleet: 1,
			err: "raw-vllm, kserve, llm-d: the model's vLLM flags shard the model over 2 GPUs (tensor-parallel 2 x pipeline-parallel 1) but a pod gets 1: vLLM fails to start"},
		{name: "tensor parallel spanning two pods", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 4
			s.Parallelism = &schema.Parallelism{Tensor: ptr(int32(8))}
		}, platform: platform(true, true, ptr(int32(4))), fleet: 1, layer: schema.LayerRawVLLM, rule: "multi-node"},
		{name: "tensor parallel spanning two pods, raw-vllm is the only layer", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 4
			s.Parallelism = &schema.Parallelism{Tensor: ptr(int32(4)), Pipeline: ptr(int32(2))}
			s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-8B"}
		}, platform: all, fleet: 1, err: "no layer honours spec.parallelism (raw-vllm) and spec.model.source.hf (llm-d) together"},
		{name: "data parallel spanning two pods, with an hf source: llm-d", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 4
			s.Parallelism = &schema.Parallelism{Data: ptr(int32(8)), Expert: true}
			s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-30B-A3B"}
		}, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "multi-node"},
		{name: "parallel sizes off the pods' GPUs", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 3
			s.Parallelism = &schema.Parallelism{Tensor: ptr(int32(8))}
		}, platform: all, fleet: 1, err: "is not a whole number of pods of 3 GPUs (spec.resources.gpus)"},
		{name: "tp x pp beyond the pod, short flags", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 2
			s.Engine.Args = []string{"-tp", "2", "-pp=2"}
		}, platform: all, fleet: 1, err: "over 4 GPUs (tensor-parallel 2 x pipeline-parallel 2) but a pod gets 2"},
		{name: "tensor parallel inside the pod", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 2
			s.Engine.Args = []string{"--tensor-parallel-size", "2"}
		}, platform: all, fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "unparsable tp is vLLM's default", spec: args("--tensor-parallel-size=many"), platform: all, fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "more GPUs than a node", spec: func(s *schema.ServedModelSpec) { s.Resources.GPUs = 8 }, platform: platform(true, true, ptr(int32(4))),
			fleet: 1, err: "a pod asks for 8 GPUs but a node has at most 4 (Platform spec.gpuNodes.gpusPerNode): the pod never schedules"},
		{name: "as many GPUs as a node", spec: func(s *schema.ServedModelSpec) { s.Resources.GPUs = 4 }, platform: platform(true, true, ptr(int32(4))),
			fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "hf source", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-8B"} },
			platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "hf-source"},
		{name: "canary", spec: canary, platform: knative, fleet: 1, layer: schema.LayerKServe, rule: "canary"},
		{name: "canary, Standard mode: no layer", spec: canary, platform: all, fleet: 1,
			err: "kserve: KServe Standard mode silently ignores canaryTrafficPercent"},
		{name: "canary, kserve off", spec: canary, platform: knativeNoKServe, fleet: 1,
			err: "spec.rollout.canaryTrafficPercent needs kserve, which the Platform disables (spec.features.kserve is false)"},
		{name: "scale to zero, Knative", spec: zero, platform: knative, fleet: 1, layer: schema.LayerKServe, rule: "scale-to-zero"},
		{name: "scale to zero, Standard: no layer", spec: zero, platform: all, fleet: 1,
			err: "no layer can serve spec.scaling.minReplicas here (raw-vllm: raw-vllm scales only through KEDA on a load metric: a replica range without spec.scaling.metric has nothing to scale on; kserve: KServe Standard mode's default autoscaler (a CPU HPA) clamps minReplicas below 1 to 1"},
		{name: "scale to zero, Knative, kserve off", spec: zero, platform: knativeNoKServe, fleet: 1,
			err: "spec.scaling.minReplicas needs kserve, which the Platform disables (spec.features.kserve is false)"},
		{name: "metric, Prometheus known: raw-vllm", spec: queue, platform: withProm, fleet: 1, layer: schema.LayerRawVLLM, rule: "scaling-metric"},
		// Knative refuses vLLM's metrics; raw-vllm's KEDA scales to zero (with
		// the keda-wake-from-zero warning), and is preferred for one model.
		{name: "queue to zero, Knative: raw-vllm", spec: queueZero, platform: knativeProm, fleet: 1, layer: schema.LayerRawVLLM, rule: "scaling-metric"},
		// A required rule decides before the fleet recommendation.
		{name: "concurrency to zero, Knative fleet: raw-vllm", spec: concurrencyZero, platform: knativeProm, fleet: 3, layer: schema.LayerRawVLLM, rule: "scaling-metric"},
		{name: "metric, no Prometheus: no layer", spec: queue, platform: all, fleet: 1,
			err: "the metric is read by KEDA's Prometheus trigger, and the Platform names no Prometheus"},
		{name: "autoscaling", spec: func(s *schema.ServedModelSpec) { s.Scaling = &schema.Scaling{MaxReplicas: 3} },
			platform: all, fleet: 1, layer: schema.LayerKServe, rule: "autoscaling"},
		{name: "autoscaling, both off", spec: func(s *schema.ServedModelSpec) { s.Scaling = &schema.Scaling{MaxReplicas: 3} },
			platform: rawOnly, fleet: 1, err: "spec.scaling needs kserve or llm-d, which the Platform disables (spec.features.kserve is false, spec.features.llmd is false)"},
		{name: "modelcar", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{OCI: digest} },
			platform: all, fleet: 1, layer: schema.LayerKServe, rule: "oci-source"},
		{name: "modelcar, kserve off: llm-d", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{OCI: digest} },
			platform: noKServe, fleet: 1, layer: schema.LayerLLMD, rule: "oci-source", fallback: "so llm-d"},
		{name: "zero replicas, Standard: not kserve", spec: func(s *schema.ServedModelSpec) { s.Replicas = ptr(int32(0)) },
			platform: all, fleet: 5, layer: schema.LayerRawVLLM, rule: "zero-replicas"},
		{name: "zero replicas, Knative: the fleet's kserve", spec: func(s *schema.ServedModelSpec) { s.Replicas = ptr(int32(0)) },
			platform: knative, fleet: 5, layer: schema.LayerKServe, rule: "fleet"},
		{name: "fleet below the threshold", platform: all, fleet: render.AutoFleetMinModels - 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "fleet at the threshold", platform: all, fleet: render.AutoFleetMinModels, layer: schema.LayerKServe, rule: "fleet"},
		{name: "fleet, kserve off: raw-vllm", platform: noKServe, fleet: 5, layer: schema.LayerRawVLLM, rule: "fleet",
			fallback: "kserve would be preferred but the Platform disables it (spec.features.kserve is false), so raw-vllm"},
		{name: "fleet, but disaggregated", spec: pd, platform: all, fleet: 5, layer: schema.LayerLLMD, rule: "disaggregation"},
		{name: "hf and scaling: llm-d honours both", spec: func(s *schema.ServedModelSpec) {
			s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-8B"}
			s.Scaling = &schema.Scaling{MaxReplicas: 3}
		}, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "hf-source"},
		{name: "canary and disaggregation: no layer", spec: func(s *schema.ServedModelSpec) { canary(s); pd(s) }, platform: knative, fleet: 1,
			err: "no layer honours spec.disaggregation (llm-d) and spec.rollout.canaryTrafficPercent (kserve) together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := render.ChooseLayer(autoModel(tc.spec), tc.platform, tc.fleet)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || err.Field != "spec.layer" {
					t.Fatalf("error %v, want spec.layer: ...%s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Layer != tc.layer || c.Rule != tc.rule || c.Reason == "" {
				t.Errorf("chose %+v, want %s by rule %s", c, tc.layer, tc.rule)
			}
			if (tc.fallback == "") != (c.Fallback == "") || !strings.Contains(c.Fallback, tc.fallback) {
				t.Errorf("fallback %q, want %q", c.Fallback, tc.fallback)
			}
		})
	}
}

// TestAutoRulesShape keeps the table well-formed: required rules first,
// "default" last, names unique, and every required rule reads at least one
// row of the field-versus-layer table (the README's copy is generated, and
// internal/specdoc's test keeps it fresh).
func TestAutoRulesShape(t *testing.T) {
	seen := map[string]bool{}
	soft := false
	rules := render.AutoRules()
	for i, r := range rules {
		if seen[r.Name] {
			t.Errorf("rule %d %q: duplicate", i, r.Name)
		}
		seen[r.Name] = true
		if r.Required && soft {
			t.Errorf("required rule %q after a recommendation: required rules must narrow first", r.Name)
		}
		soft = soft || !r.Required
		if r.Required && (len(r.RuleIDs()) == 0 || r.When == "") {
			t.Errorf("required rule %q reads no row of schema.Rules", r.Name)
		}
		if !r.Required && len(r.Layers) == 0 {
			t.Errorf("recommendation %q has no layers", r.Name)
		}
	}
	if last := rules[len(rules)-1]; last.Name != "default" || last.Required {
		t.Errorf("last rule is %q, want the recommendation default", last.Name)
	}
	// Every error row is read by some required rule: a field a layer
	// refuses must steer auto away from that layer.
	for _, row := range schema.Rules() {
		if row.Warning {
			continue
		}
		if !slices.ContainsFunc(rules, func(r render.AutoRule) bool { return slices.Contains(r.RuleIDs(), row.ID) }) {
			t.Errorf("row %s is read by no auto rule", row.ID)
		}
	}
}

// TestRenderAuto: render resolves auto before defaulting (the namespace
// follows the chosen layer), labels objects with the chosen layer and
// reports the choice as an info diagnostic.
func TestRenderAuto(t *testing.T) {
	res := render.Render(autoModel(func(s *schema.ServedModelSpec) {
		s.Disaggregation = &schema.Disaggregation{}
		s.Routing = &schema.Routing{Alias: "qwen"}
	}), render.Options{Platform: platform(false, true, nil)})
	if res.HasErrors() {
		t.Fatal(res.Errors())
	}
	var info []string
	for _, d := range res.Diagnostics {
		if d.Severity == render.Info && d.Field == "spec.layer" {
			info = append(info, d.String())
		}
	}
	want := "ServedModel llm-d/qwen: spec.layer: layer auto chose llm-d (rule disaggregation): spec.disaggregation is set: prefill/decode disaggregation exists only on llm-d: the prefill pool and KV-aware routing would be dropped"
	if len(info) != 1 || info[0] != want {
		t.Errorf("info diagnostics %q, want %q", info, want)
	}
	for _, o := range res.Objects {
		if o.Ref.Kind != "ConfigMap" && o.Ref.Namespace != "llm-d" {
			t.Errorf("%s: not in llm-d's namespace", o.Ref)
		}
		b, _ := o.JSON()
		if !strings.Contains(string(b), `"servelayer.dev/layer":"llm-d"`) {
			t.Errorf("%s: not labelled with the chosen layer: %s", o.Ref, b)
		}
	}

	res = render.Render(autoModel(func(s *schema.ServedModelSpec) { s.Disaggregation = &schema.Disaggregation{} }),
		render.Options{Platform: platform(true, false, nil)})
	if !res.HasErrors() || len(res.Objects) != 0 || res.Errors()[0].Field != "spec.layer" {
		t.Errorf("auto with its only layer gated off: %v", res.Diagnostics)
	}

	// --layer auto overrides every model; the fleet rule sees the fleet.
	var fleet []*schema.ServedModel
	for _, n := range []string{"a", "b", "c"} {
		m := autoModel(func(s *schema.ServedModelSpec) { s.Layer = schema.LayerRawVLLM })
		m.Name = n
		fleet = append(fleet, m)
	}
	res = render.RenderFleet(fleet, render.Options{Layer: schema.LayerAuto})
	if res.HasErrors() {
		t.Fatal(res.Errors())
	}
	for _, o := range res.Objects {
		if o.Ref.Kind != "InferenceService" {
			t.Errorf("a fleet of 3 on auto rendered %s", o.Ref)
		}
	}
}

// ExampleChooseLayer picks the layer for a model with a canary: only
// kserve in Knative mode can split traffic.
func ExampleChooseLayer() {
	m := &schema.ServedModel{Spec: schema.ServedModelSpec{
		Layer:     schema.LayerAuto,
		Model:     schema.Model{Name: "Qwen/Qwen2.5-0.5B-Instruct", Source: schema.ModelSource{PVC: &schema.PVCSource{ClaimName: "model-cache", Path: "qwen"}}},
		Resources: schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1},
		Rollout:   &schema.Rollout{CanaryTrafficPercent: ptr(int32(10))},
	}}
	p := &schema.Platform{Spec: schema.PlatformSpec{Features: schema.Features{KServe: true},
		KServe: schema.KServeSettings{DeploymentMode: schema.DeploymentModeKnative}}}
	choice, err := render.ChooseLayer(m, p, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(choice.Layer)
	fmt.Println(choice)
	// Output:
	// kserve
	// layer auto chose kserve (rule canary): spec.rollout.canaryTrafficPercent is set: raw-vllm has no traffic split (it rolls out with Recreate): the canary would be dropped; llm-d's router manages rollout and has no canaryTrafficPercent: the canary would be dropped
}
func ptr[T any](v T) *T { return &v }
