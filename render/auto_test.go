package render_test

import (
	"fmt"
	"os"
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
		{name: "no Platform: no gate", spec: canary, layer: schema.LayerKServe, rule: "canary", fleet: 1},
		{name: "disaggregation", spec: pd, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "disaggregation"},
		{name: "disaggregation, llm-d off", spec: pd, platform: noLLMD, fleet: 1,
			err: "spec.disaggregation needs llm-d, which the Platform disables (spec.features.llmd is false)"},
		{name: "tensor parallel beyond the pod", spec: args("--tensor-parallel-size=2"), platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "multi-node"},
		{name: "tp x pp beyond the pod, short flags", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 2
			s.Engine.Args = []string{"-tp", "2", "-pp=2"}
		}, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "multi-node"},
		{name: "tensor parallel inside the pod", spec: func(s *schema.ServedModelSpec) {
			s.Resources.GPUs = 2
			s.Engine.Args = []string{"--tensor-parallel-size", "2"}
		}, platform: all, fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "unparsable tp is vLLM's default", spec: args("--tensor-parallel-size=many"), platform: all, fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "more GPUs than a node", spec: func(s *schema.ServedModelSpec) { s.Resources.GPUs = 8 }, platform: platform(true, true, ptr(int32(4))),
			fleet: 1, layer: schema.LayerLLMD, rule: "multi-node"},
		{name: "as many GPUs as a node", spec: func(s *schema.ServedModelSpec) { s.Resources.GPUs = 4 }, platform: platform(true, true, ptr(int32(4))),
			fleet: 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "hf source", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-8B"} },
			platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "hf-source"},
		{name: "canary", spec: canary, platform: all, fleet: 1, layer: schema.LayerKServe, rule: "canary"},
		{name: "canary, kserve off", spec: canary, platform: noKServe, fleet: 1,
			err: "spec.rollout.canaryTrafficPercent needs kserve, which the Platform disables (spec.features.kserve is false)"},
		{name: "scale to zero, Knative", spec: zero, platform: knative, fleet: 1, layer: schema.LayerKServe, rule: "scale-to-zero"},
		{name: "scale to zero, Standard: no layer", spec: zero, platform: all, fleet: 1,
			err: "spec.scaling.minReplicas needs kserve, which cannot honour it here: KServe Standard mode clamps minReplicas to 1"},
		{name: "scale to zero, Knative, kserve off", spec: zero, platform: knativeNoKServe, fleet: 1,
			err: "spec.scaling.minReplicas needs kserve, which the Platform disables (spec.features.kserve is false)"},
		{name: "autoscaling", spec: func(s *schema.ServedModelSpec) { s.Scaling = &schema.Scaling{MaxReplicas: 3} },
			platform: all, fleet: 1, layer: schema.LayerKServe, rule: "autoscaling"},
		{name: "autoscaling, both off", spec: func(s *schema.ServedModelSpec) { s.Scaling = &schema.Scaling{MaxReplicas: 3} },
			platform: rawOnly, fleet: 1, err: "spec.scaling needs kserve or llm-d, which the Platform disables (spec.features.kserve is false, spec.features.llmd is false)"},
		{name: "modelcar", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{OCI: digest} },
			platform: all, fleet: 1, layer: schema.LayerKServe, rule: "oci-source"},
		{name: "modelcar, kserve off: llm-d", spec: func(s *schema.ServedModelSpec) { s.Model.Source = schema.ModelSource{OCI: digest} },
			platform: noKServe, fleet: 1, layer: schema.LayerLLMD, rule: "oci-source", fallback: "so llm-d"},
		{name: "fleet below the threshold", platform: all, fleet: render.AutoFleetMinModels - 1, layer: schema.LayerRawVLLM, rule: "default"},
		{name: "fleet at the threshold", platform: all, fleet: render.AutoFleetMinModels, layer: schema.LayerKServe, rule: "fleet"},
		{name: "fleet, kserve off: raw-vllm", platform: noKServe, fleet: 5, layer: schema.LayerRawVLLM, rule: "fleet",
			fallback: "kserve would be preferred but the Platform disables it (spec.features.kserve is false), so raw-vllm"},
		{name: "fleet, but disaggregated", spec: pd, platform: all, fleet: 5, layer: schema.LayerLLMD, rule: "disaggregation"},
		{name: "hf and scaling: llm-d honours both", spec: func(s *schema.ServedModelSpec) {
			s.Model.Source = schema.ModelSource{HF: "Qwen/Qwen3-8B"}
			s.Scaling = &schema.Scaling{MaxReplicas: 3}
		}, platform: all, fleet: 1, layer: schema.LayerLLMD, rule: "hf-source"},
		{name: "canary and disaggregation: no layer", spec: func(s *schema.ServedModelSpec) { canary(s); pd(s) }, platform: all, fleet: 1,
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
// "default" last, names unique, and every rule documented in the README.
func TestAutoRulesShape(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	soft := false
	rules := render.AutoRules()
	for i, r := range rules {
		if seen[r.Name] || len(r.Layers) == 0 {
			t.Errorf("rule %d %q: duplicate or without layers", i, r.Name)
		}
		seen[r.Name] = true
		if r.Required && soft {
			t.Errorf("required rule %q after a recommendation: required rules must narrow first", r.Name)
		}
		soft = soft || !r.Required
		var layers []string
		for _, l := range r.Layers {
			layers = append(layers, string(l))
		}
		kind := "recommended"
		if r.Required {
			kind = "required"
		}
		row := fmt.Sprintf("| %d | `%s` | %s | %s | %s |", i+1, r.Name, r.When, strings.Join(layers, ", "), kind)
		if !strings.Contains(string(readme), row+"\n") {
			t.Errorf("README lacks the row\n%s", row)
		}
	}
	if last := rules[len(rules)-1]; last.Name != "default" || last.Required {
		t.Errorf("last rule is %q, want the recommendation default", last.Name)
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
	want := "ServedModel llm-d/qwen: spec.layer: layer auto chose llm-d (rule disaggregation): spec.disaggregation is set: prefill/decode disaggregation runs only on llm-d"
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

// ExampleChooseLayer picks the layer for a model with a canary.
func ExampleChooseLayer() {
	m := &schema.ServedModel{Spec: schema.ServedModelSpec{
		Layer:     schema.LayerAuto,
		Model:     schema.Model{Name: "Qwen/Qwen2.5-0.5B-Instruct", Source: schema.ModelSource{PVC: &schema.PVCSource{ClaimName: "model-cache", Path: "qwen"}}},
		Resources: schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1},
		Rollout:   &schema.Rollout{CanaryTrafficPercent: ptr(int32(10))},
	}}
	choice, err := render.ChooseLayer(m, nil, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(choice.Layer)
	fmt.Println(choice)
	// Output:
	// kserve
	// layer auto chose kserve (rule canary): spec.rollout.canaryTrafficPercent is set: declarative canary is a kserve feature
}
