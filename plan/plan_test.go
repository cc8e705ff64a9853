package plan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	goldenfile "github.com/servelayer/servelayer/internal/golden"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/plan"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// planCase is one folder under testdata/plan (inputs/ holds the specs the
// cases share):
//
//	args        the arguments of `servelayer plan`, paths relative to the
//	            repository root (cmd/servelayer runs the same through the CLI)
//	plan.txt    the text plan          } absent when no plan can be made
//	plan.json   the JSON plan          }
//	error.txt   the errors, when no plan can be made
type planCase struct {
	models   []*schema.ServedModel
	opts     plan.Options
	name     string
	platform *schema.Platform
}

// loadPlanCase parses args the way `servelayer plan` does (the flags the
// cases use) and reads the files, relative to the repository root.
func loadPlanCase(t *testing.T, dir string) planCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	var c planCase
	args := strings.Fields(string(b))
	for i := 0; i+1 < len(args); i += 2 {
		v := args[i+1]
		switch args[i] {
		case "-f":
			c.opts.ModelFile = v
		case "--platform":
			c.opts.PlatformFile = v
		case "--from":
			c.opts.From = schema.Layer(v)
		case "--to":
			c.opts.To = schema.Layer(v)
		case "--name":
			c.name = v
		default:
			t.Fatalf("%s/args: flag %s not understood by this test", dir, args[i])
		}
	}
	if len(args)%2 != 0 {
		t.Fatalf("%s/args: odd number of arguments", dir)
	}
	if c.opts.PlatformFile != "" {
		pb, err := os.ReadFile(filepath.Join("..", c.opts.PlatformFile))
		if err != nil {
			t.Fatal(err)
		}
		p, errs := decode.PlatformYAML(pb)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.opts.PlatformFile, errs)
		}
		c.opts.Platform = p
	}
	mb, err := os.ReadFile(filepath.Join("..", c.opts.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range bytes.Split(mb, []byte("\n---\n")) {
		m, errs := decode.ServedModelYAML(doc)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.opts.ModelFile, errs)
		}
		c.models = append(c.models, m)
	}
	c.opts.FleetSize = len(c.models)
	return c
}

func (c planCase) plan(t *testing.T) (*plan.MovePlan, []render.Diagnostic) {
	t.Helper()
	m := c.models[0]
	if c.name != "" {
		i := slices.IndexFunc(c.models, func(m *schema.ServedModel) bool { return m.Name == c.name })
		if i < 0 {
			t.Fatalf("no model %s", c.name)
		}
		m = c.models[i]
	}
	return plan.Move(m, c.opts)
}

// TestPlanGolden plans every case under testdata/plan and compares the
// text and JSON plans (or the errors) with the golden files. -update
// rewrites them; read every one before committing.
func TestPlanGolden(t *testing.T) {
	args, err := filepath.Glob("../testdata/plan/*/args")
	if err != nil || len(args) == 0 {
		t.Fatalf("no plan cases found: %v", err)
	}
	moves := 0
	// pairs are the six moves among the three layers, one case named <from>-to-<to> each.
	pairs := map[string]bool{}
	for _, from := range schema.Layers {
		for _, to := range schema.Layers {
			if from != to {
				pairs[string(from)+"-to-"+string(to)] = true
			}
		}
	}
	for _, a := range args {
		dir := filepath.Dir(a)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := loadPlanCase(t, dir)
			plan, diags := c.plan(t)
			var text, js, errs []byte
			if plan != nil {
				if len(diags) > 0 {
					t.Fatalf("a plan and errors: %v", diags)
				}
				text = []byte(plan.Text())
				if js, err = plan.JSON(); err != nil {
					t.Fatal(err)
				}
				if !json.Valid(js) {
					t.Fatalf("invalid JSON:\n%s", js)
				}
			} else {
				if len(diags) == 0 {
					t.Fatal("no plan and no error")
				}
				var b strings.Builder
				for _, d := range diags {
					b.WriteString(string(d.Severity) + ": " + d.String() + "\n")
				}
				errs = []byte(b.String())
			}
			golden(t, filepath.Join(dir, "plan.txt"), text)
			golden(t, filepath.Join(dir, "plan.json"), js)
			golden(t, filepath.Join(dir, "error.txt"), errs)
			if plan != nil && !strings.HasPrefix(filepath.Base(dir), "err-") != plan.Ready {
				t.Errorf("ready = %v, but case names starting err- must be blocked and no others", plan.Ready)
			}
			if plan != nil && pairs[filepath.Base(dir)] {
				moves++
			}
		})
	}
	if moves != len(pairs) {
		t.Errorf("%d golden moves among the three layers, want all 6", moves)
	}
}

func qwenPlan(t *testing.T, from, to schema.Layer, mutate func(m *schema.ServedModel, p *schema.Platform)) *plan.MovePlan {
	t.Helper()
	c := loadPlanCase(t, "../testdata/plan/raw-vllm-to-kserve")
	m := c.models[0]
	if mutate != nil {
		mutate(m, c.opts.Platform)
	}
	c.opts.From, c.opts.To = from, to
	plan, diags := plan.Move(m, c.opts)
	if plan == nil {
		t.Fatalf("no plan: %v", diags)
	}
	return plan
}

func objectKeys(p *plan.MovePlan) []string {
	var out []string
	for _, o := range p.Objects {
		out = append(out, o.Action+" "+o.Kind+" "+o.Namespace+"/"+o.Name)
	}
	return out
}

// TestPlanObjects checks removed, changed and added objects for every
// directed move: the LiteLLM ConfigMap is one changed object, never a
// remove plus an add.
func TestPlanObjects(t *testing.T) {
	own := map[schema.Layer][]string{
		schema.LayerRawVLLM: {"Service serving/qwen", "Deployment serving/qwen"},
		schema.LayerKServe:  {"InferenceService kserve/qwen"},
		schema.LayerLLMD:    {"LLMInferenceService llm-d/qwen"},
	}
	for _, from := range schema.Layers {
		for _, to := range schema.Layers {
			if from == to {
				continue
			}
			t.Run(string(from)+"-to-"+string(to), func(t *testing.T) {
				p := qwenPlan(t, from, to, nil)
				var want []string
				for _, o := range own[from] {
					want = append(want, "remove "+o)
				}
				want = append(want, "change ConfigMap litellm/litellm-qwen")
				for _, o := range own[to] {
					want = append(want, "add "+o)
				}
				if got := objectKeys(p); !slices.Equal(got, want) {
					t.Errorf("objects:\n got %q\nwant %q", got, want)
				}
				if !p.Ready || len(p.Blockers) != 0 || len(p.Steps) != 6 {
					t.Errorf("ready %v, %d blockers, %d steps", p.Ready, len(p.Blockers), len(p.Steps))
				}
				if p.LiteLLM == nil || p.LiteLLM.Alias != "qwen" || p.LiteLLM.APIBaseFrom == p.LiteLLM.APIBaseTo {
					t.Errorf("litellm: %+v", p.LiteLLM)
				}
			})
		}
	}
}

// TestPlanSameLayer: nothing to move, nothing to do.
func TestPlanSameLayer(t *testing.T) {
	p := qwenPlan(t, schema.LayerKServe, schema.LayerKServe, nil)
	if !p.Ready || len(p.Steps) != 0 || len(p.Preflight) != 0 {
		t.Errorf("ready %v, steps %d, preflight %d", p.Ready, len(p.Steps), len(p.Preflight))
	}
	for _, o := range p.Objects {
		if o.Action != plan.ActionUnchanged {
			t.Errorf("%s %s/%s: %s", o.Kind, o.Namespace, o.Name, o.Action)
		}
	}
	if !strings.Contains(p.Text(), "qwen is already on kserve: nothing to move.") {
		t.Errorf("text:\n%s", p.Text())
	}
}

func check(p *plan.MovePlan, id string) plan.Check {
	for _, c := range p.Preflight {
		if c.ID == id {
			return c
		}
	}
	return plan.Check{}
}

// TestPlanPreflight covers the checks that fail, warn or cannot be made.
func TestPlanPreflight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		to       schema.Layer
		mutate   func(m *schema.ServedModel, p *schema.Platform)
		id       string
		status   plan.CheckStatus
		contains string
	}{
		{"kserve gate off", schema.LayerKServe, func(_ *schema.ServedModel, p *schema.Platform) { p.Spec.Features.KServe = false },
			"feature-gate", plan.CheckFail, "spec.features.kserve is false"},
		{"llm-d gate off", schema.LayerLLMD, func(_ *schema.ServedModel, p *schema.Platform) { p.Spec.Features.LLMD = false },
			"feature-gate", plan.CheckFail, "spec.features.llmd is false"},
		{"gate on", schema.LayerLLMD, nil, "feature-gate", plan.CheckPass, "spec.features.llmd is true"},
		{"raw always on", schema.LayerRawVLLM, nil, "feature-gate", plan.CheckPass, "always on"},
		{"too few GPUs", schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) { m.Spec.Resources.GPUs = 3 },
			"gpus", plan.CheckFail, "Platform has 2"},
		{"no headroom while both run", schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) { m.Spec.Resources.GPUs = 2 },
			"gpu-headroom", plan.CheckWarn, "raw-vllm still holds 2 GPU(s) until step 5"},
		{"modelcar off", schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Layer = schema.LayerLLMD
			m.Spec.Model.Source = schema.ModelSource{OCI: "registry.example.com/m/q@sha256:" + strings.Repeat("a", 64)}
		}, "weights", plan.CheckFail, "enableModelcar: true (shipped: false)"},
		{"no Platform", schema.LayerLLMD, func(_ *schema.ServedModel, p *schema.Platform) { *p = schema.Platform{} },
			"feature-gate", plan.CheckWarn, "no Platform given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := loadPlanCase(t, "../testdata/plan/raw-vllm-to-kserve")
			m := c.models[0]
			if tc.mutate != nil {
				tc.mutate(m, c.opts.Platform)
			}
			if c.opts.Platform.Kind == "" {
				c.opts.Platform = nil
			}
			c.opts.From, c.opts.To = "", tc.to
			if tc.to == m.Spec.Layer {
				c.opts.From = schema.LayerKServe
			}
			p, diags := plan.Move(m, c.opts)
			if p == nil {
				t.Fatalf("no plan: %v", diags)
			}
			got := check(p, tc.id)
			if got.Status != tc.status || !strings.Contains(got.Message, tc.contains) {
				t.Errorf("check %s = %+v, want %s containing %q", tc.id, got, tc.status, tc.contains)
			}
			if want := tc.status != plan.CheckFail; p.Ready != want {
				t.Errorf("ready = %v, want %v", p.Ready, want)
			}
			if tc.status == plan.CheckFail && !strings.Contains(p.Summary(), tc.id) {
				t.Errorf("summary does not name %s: %s", tc.id, p.Summary())
			}
		})
	}
}

// TestPlanRefusesWhatNoLayerRuns: a pod past its node's GPUs, or vLLM
// flags asking for more GPUs than a pod has, are refused by the rule table
// on every layer (only spec.parallelism spans pods), so render, auto and
// plan give one answer: the spec is broken, on the current layer as on the
// target, and no plan is made.
func TestPlanRefusesWhatNoLayerRuns(t *testing.T) {
	for _, tc := range []struct {
		name, rule, contains string
		mutate               func(m *schema.ServedModel, p *schema.Platform)
	}{
		{"gpus per node", "gpus-exceed-node", "a node has at most 0", func(_ *schema.ServedModel, p *schema.Platform) {
			p.Spec.GPUNodes.GPUsPerNode = ptr(int32(0))
		}},
		{"tensor parallel beyond the pod", "parallelism-exceeds-pod", "over 2 GPUs (tensor-parallel 2 x pipeline-parallel 1) but a pod gets 1", func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Engine.Args = append(m.Spec.Engine.Args, "--tensor-parallel-size=2")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, to := range []schema.Layer{schema.LayerKServe, schema.LayerLLMD, schema.LayerAuto} {
				c := loadPlanCase(t, "../testdata/plan/raw-vllm-to-kserve")
				tc.mutate(c.models[0], c.opts.Platform)
				c.opts.To = to
				p, diags := plan.Move(c.models[0], c.opts)
				if p != nil || len(diags) != 1 || !strings.Contains(diags[0].Message, tc.contains) || !strings.Contains(diags[0].Message, "current layer raw-vllm") {
					t.Errorf("to %s: plan %v, diagnostics %v; want no plan and the %s rule's error on the current layer", to, p != nil, diags, tc.rule)
				}
			}
		})
	}
}

// TestPlanMultiNode: a replica spanning two pods of 4 GPUs as data
// parallel ranks, moved from llm-d to layer auto, lands on raw-vllm (the
// multi-node rule: kserve refuses it) with a passing preflight that counts
// every pod's GPUs and asks for the LeaderWorkerSet controller; its move
// to kserve is blocked by the rule that refuses it, not made.
func TestPlanMultiNode(t *testing.T) {
	spans := func(m *schema.ServedModel, p *schema.Platform) {
		m.Spec.Resources.GPUs = 4
		m.Spec.Parallelism = &schema.Parallelism{Tensor: ptr(int32(4)), Data: ptr(int32(2))}
		p.Spec.GPUs = ptr(int32(16))
		p.Spec.GPUNodes.GPUsPerNode = ptr(int32(4))
	}
	p := qwenPlan(t, schema.LayerLLMD, schema.LayerAuto, spans)
	if p.To.Layer != schema.LayerRawVLLM || p.To.Auto == nil || p.To.Auto.Rule != "multi-node" {
		t.Fatalf("to: %+v", p.To)
	}
	if g := check(p, "gpus"); g.Status != plan.CheckPass || !strings.Contains(g.Message, "4 GPU x 2 pods x 1 replica = 8 GPUs") {
		t.Errorf("gpus check: %+v", g)
	}
	if pre := check(p, "prerequisites"); pre.Status != plan.CheckManual || !strings.Contains(pre.Command, "leaderworkersets.leaderworkerset.x-k8s.io") {
		t.Errorf("prerequisites check: %+v", pre)
	}
	if !slices.Contains(objectKeys(p), "add LeaderWorkerSet serving/qwen") {
		t.Errorf("objects: %v", objectKeys(p))
	}
	if len(p.Blockers) != 0 {
		t.Errorf("blockers: %+v", p.Blockers)
	}
	back := qwenPlan(t, schema.LayerRawVLLM, schema.LayerKServe, spans)
	if back.Ready || len(back.Blockers) != 1 || back.Blockers[0].Rule != "multi-node-on-kserve" {
		t.Errorf("raw-vllm -> kserve: ready %v, blockers %+v", back.Ready, back.Blockers)
	}
}

// TestPlanBlockers: fields that do not translate are blockers with a fix
// naming the field to change, never dropped.
func TestPlanBlockers(t *testing.T) {
	digest := "registry.example.com/m/q@sha256:" + strings.Repeat("a", 64)
	for _, tc := range []struct {
		name     string
		from, to schema.Layer
		mutate   func(m *schema.ServedModel, p *schema.Platform)
		field    string
		fix      string
	}{
		{"canary to raw-vllm", schema.LayerKServe, schema.LayerRawVLLM, func(m *schema.ServedModel, p *schema.Platform) {
			p.Spec.KServe.DeploymentMode = "Knative"
			m.Spec.Rollout = &schema.Rollout{CanaryTrafficPercent: ptr(int32(10))}
		}, "spec.rollout.canaryTrafficPercent", "remove spec.rollout"},
		{"canary to llm-d", schema.LayerKServe, schema.LayerLLMD, func(m *schema.ServedModel, p *schema.Platform) {
			p.Spec.KServe.DeploymentMode = "Knative"
			m.Spec.Rollout = &schema.Rollout{CanaryTrafficPercent: ptr(int32(10))}
		}, "spec.rollout.canaryTrafficPercent", "remove spec.rollout"},
		{"modelcar to raw-vllm", schema.LayerKServe, schema.LayerRawVLLM, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Model.Source = schema.ModelSource{OCI: digest}
		}, "spec.model.source.oci", "spec.model.source.pvc"},
		{"hf to kserve", schema.LayerLLMD, schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Model.Source = schema.ModelSource{HF: "Qwen/Qwen2.5-0.5B-Instruct"}
		}, "spec.model.source.hf", "spec.model.source.pvc"},
		{"hf to raw-vllm", schema.LayerLLMD, schema.LayerRawVLLM, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Model.Source = schema.ModelSource{HF: "Qwen/Qwen2.5-0.5B-Instruct"}
		}, "spec.model.source.hf", "spec.model.source.pvc"},
		{"disaggregation to kserve", schema.LayerLLMD, schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Disaggregation = &schema.Disaggregation{Decode: schema.Pool{Replicas: ptr(int32(2))}}
		}, "spec.disaggregation", "spec.replicas: 2"},
		{"disaggregation to raw-vllm", schema.LayerLLMD, schema.LayerRawVLLM, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Disaggregation = &schema.Disaggregation{}
		}, "spec.disaggregation", "remove spec.disaggregation"},
		{"scaling to raw-vllm", schema.LayerKServe, schema.LayerRawVLLM, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Spec.Scaling = &schema.Scaling{MinReplicas: ptr(int32(2)), MaxReplicas: 4}
		}, "spec.scaling", "spec.replicas: 2"},
		{"scale-to-zero to llm-d", schema.LayerKServe, schema.LayerLLMD, func(m *schema.ServedModel, pl *schema.Platform) {
			pl.Spec.KServe.DeploymentMode = "Knative"
			m.Spec.Scaling = &schema.Scaling{MinReplicas: ptr(int32(0)), MaxReplicas: 4}
		}, "spec.scaling.minReplicas", "minReplicas: 1"},
		{"name too long for kserve", schema.LayerRawVLLM, schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) {
			m.Name = strings.Repeat("q", 60)
		}, "metadata.name", "change metadata.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := qwenPlan(t, tc.from, tc.to, func(m *schema.ServedModel, pl *schema.Platform) {
				m.Spec.Replicas = nil
				if tc.mutate != nil {
					tc.mutate(m, pl)
				}
				if m.Spec.Scaling == nil && m.Spec.Disaggregation == nil {
					m.Spec.Replicas = ptr(int32(1))
				}
			})
			if p.Ready {
				t.Fatalf("ready despite %s", tc.field)
			}
			i := slices.IndexFunc(p.Blockers, func(b plan.Blocker) bool { return b.Field == tc.field })
			if i < 0 {
				t.Fatalf("no blocker at %s: %+v", tc.field, p.Blockers)
			}
			if b := p.Blockers[i]; !strings.Contains(b.Fix, tc.fix) || b.Problem == "" {
				t.Errorf("blocker %+v: fix lacks %q", b, tc.fix)
			}
			if len(p.Steps) != 1 {
				t.Errorf("%d steps: a blocked plan shows only preflight", len(p.Steps))
			}
			if !strings.Contains(p.Text(), "x "+tc.field) {
				t.Errorf("text does not flag %s:\n%s", tc.field, p.Text())
			}
		})
	}
}

// TestPlanKeepsStagedWeights: a claim servelayer provisioned is never in
// the teardown: it is kept, with a note.
func TestPlanKeepsStagedWeights(t *testing.T) {
	p := qwenPlan(t, schema.LayerRawVLLM, schema.LayerKServe, func(m *schema.ServedModel, _ *schema.Platform) {
		m.Spec.Model.Source.PVC.Provision = &schema.PVCProvision{Size: "50Gi"}
	})
	got := objectKeys(p)
	for _, want := range []string{"keep PersistentVolumeClaim serving/model-cache", "add PersistentVolumeClaim kserve/model-cache"} {
		if !slices.Contains(got, want) {
			t.Errorf("objects lack %q: %q", want, got)
		}
	}
	for _, s := range p.Steps {
		for _, c := range s.Commands {
			if strings.Contains(c, "pvc") && strings.Contains(c, "delete") {
				t.Errorf("step %d deletes the claim: %s", s.Number, c)
			}
		}
	}
	if w := check(p, "weights"); w.Status != plan.CheckManual || !strings.Contains(w.Message, "stage the weights") {
		t.Errorf("weights check: %+v", w)
	}
}

// TestPlanFromAuto resolves both ends when they are auto.
func TestPlanFromAuto(t *testing.T) {
	p := qwenPlan(t, schema.LayerAuto, schema.LayerKServe, nil)
	if p.From.Layer != schema.LayerRawVLLM || p.From.Auto == nil || p.From.Auto.Rule != "default" {
		t.Errorf("from: %+v", p.From)
	}
}

// TestPlanInputErrors: no plan, field-pathed errors.
func TestPlanInputErrors(t *testing.T) {
	c := loadPlanCase(t, "../testdata/plan/raw-vllm-to-kserve")
	for _, tc := range []struct {
		name   string
		opts   func(o *plan.Options)
		want   string
		mutate func(m *schema.ServedModel)
	}{
		{"no target", func(o *plan.Options) { o.To = "" }, "to: Required value", nil},
		{"unknown target", func(o *plan.Options) { o.To = "gke" }, `to: Unsupported value: "gke"`, nil},
		{"unknown source", func(o *plan.Options) { o.From = "gke" }, `spec.layer: Unsupported value: "gke"`, nil},
		{"invalid Platform", func(o *plan.Options) { o.Platform.Spec.GPUs = ptr(int32(-1)) }, "spec.gpus: Invalid value: -1", nil},
		{"broken spec", nil, "spec.resources.cpu: Invalid value: \"lots\"", func(m *schema.ServedModel) { m.Spec.Resources.CPU = "lots" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := c.opts
			o.Platform = o.Platform.DeepCopy()
			if tc.opts != nil {
				tc.opts(&o)
			}
			m := c.models[0].DeepCopy()
			if tc.mutate != nil {
				tc.mutate(m)
			}
			p, diags := plan.Move(m, o)
			if p != nil || len(diags) == 0 {
				t.Fatalf("plan %v, diags %v", p, diags)
			}
			if !strings.Contains(diags[0].String(), tc.want) {
				t.Errorf("%s lacks %q", diags[0], tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestPlanEveryRenderCase plans every render golden input (valid or not)
// from and to every layer, with and without its Platform: a plan or
// errors, never a panic, and a blocked plan always says why.
func TestPlanEveryRenderCase(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/render/*")
	layers := append(slices.Clone(schema.LayerValues), "")
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "model.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var platform *schema.Platform
		if pb, err := os.ReadFile(filepath.Join(dir, "platform.yaml")); err == nil {
			platform, _ = decode.PlatformYAML(pb)
		}
		docs := bytes.Split(b, []byte("\n---\n"))
		for _, doc := range docs {
			m, errs := decode.ServedModelYAML(doc)
			if len(errs) > 0 {
				t.Fatalf("%s: %v", dir, errs)
			}
			for _, p := range []*schema.Platform{platform, nil} {
				for _, from := range layers {
					for _, to := range schema.LayerValues {
						plan, diags := plan.Move(m, plan.Options{Platform: p, From: from, To: to, FleetSize: len(docs)})
						switch {
						case plan == nil && len(diags) == 0:
							t.Errorf("%s %s: %s -> %s: no plan and no error", dir, m.Name, from, to)
						case plan != nil && !plan.Ready && len(plan.Blockers)+len(plan.FailedChecks()) == 0:
							t.Errorf("%s %s: %s -> %s: blocked without a reason", dir, m.Name, from, to)
						case plan != nil:
							_ = plan.Text()
							if _, err := plan.JSON(); err != nil {
								t.Error(err)
							}
							for _, miss := range notTornDown(plan) {
								t.Errorf("%s %s: %s -> %s: %s", dir, m.Name, from, to, miss)
							}
						}
					}
				}
			}
		}
	}
}

// notTornDown names each object the plan removes that its teardown (step
// 6) deletes neither itself nor, for KServe's children, through its owner:
// on the cluster in a box (e2e TestLayerMoves) such an object is left in
// the old namespace.
func notTornDown(p *plan.MovePlan) []string {
	if len(p.Steps) < 6 {
		return nil
	}
	down := strings.Join(p.Steps[5].Commands, "\n")
	var out []string
	for _, o := range p.Objects {
		if o.Action != plan.ActionRemove {
			continue
		}
		if !strings.Contains(down, fmt.Sprintf("kubectl -n %s delete %s/%s", o.Namespace, strings.ToLower(o.Kind), o.Name)) {
			out = append(out, fmt.Sprintf("step 6 does not delete %s %s/%s, which the move removes", o.Kind, o.Namespace, o.Name))
		}
	}
	return out
}

var update = flag.Bool("update", false, "rewrite golden files under testdata/plan")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got, *update, "go test ./plan -update")
}

// TestPlanSchedulerConfigMap: a scheduler config by reference is a
// preflight check naming the ConfigMap and key, since KServe v0.17 reports
// a missing one only as "ConfigMap / doesn't have key" (seen live).
func TestPlanSchedulerConfigMap(t *testing.T) {
	p := qwenPlan(t, schema.LayerKServe, schema.LayerLLMD, func(m *schema.ServedModel, _ *schema.Platform) {
		m.Spec.Scheduler = &schema.Scheduler{Config: &schema.SchedulerConfig{ConfigMapRef: &schema.ConfigMapKeyRef{Name: "qwen-epp"}}}
	})
	c := check(p, "scheduler-config")
	if c.Status != plan.CheckManual || !strings.Contains(c.Command, "get configmap qwen-epp") || !strings.Contains(c.Message, "under key epp") {
		t.Errorf("scheduler-config check: %+v", c)
	}
	if c := check(qwenPlan(t, schema.LayerKServe, schema.LayerLLMD, func(*schema.ServedModel, *schema.Platform) {}), "scheduler-config"); c.ID != "" {
		t.Errorf("a check without a ConfigMap reference: %+v", c)
	}
}

// TestPlanRDMAPodSecurity: a warning row about the cluster's setup (RDMA's
// capabilities, which Pod Security baseline refuses) is a preflight check
// with the row's command, and none without RDMA.
func TestPlanRDMAPodSecurity(t *testing.T) {
	rdma := func(m *schema.ServedModel, _ *schema.Platform) {
		m.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib"}}
		two := int32(2)
		m.Spec.Parallelism = &schema.Parallelism{Data: &two} // two pods of one GPU
		m.Spec.Model.Source.PVC.Provision = nil
	}
	p := qwenPlan(t, schema.LayerLLMD, schema.LayerRawVLLM, rdma)
	c := check(p, "rdma-capabilities")
	if c.Status != plan.CheckManual || !strings.Contains(c.Command, "pod-security.kubernetes.io/enforce") || !strings.Contains(c.Message, "IPC_LOCK") {
		t.Errorf("rdma-capabilities check: %+v", c)
	}
	if c := check(qwenPlan(t, schema.LayerKServe, schema.LayerLLMD, nil), "rdma-capabilities"); c.ID != "" {
		t.Errorf("a model without RDMA gets %+v", c)
	}
	if !p.Ready && len(p.Blockers) > 0 {
		t.Errorf("blocked: %+v", p.Blockers)
	}
}
