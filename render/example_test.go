package render_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

const qwenSpec = `{
  "apiVersion": "servelayer.dev/v1alpha1",
  "kind": "ServedModel",
  "metadata": {"name": "qwen"},
  "spec": {
    "layer": "kserve",
    "model": {"name": "Qwen/Qwen2.5-0.5B-Instruct", "source": {"pvc": {"claimName": "model-cache", "path": "qwen"}}},
    "resources": {"cpu": "4", "memory": "16Gi", "gpus": 1},
    "routing": {"alias": "qwen"}
  }
}`

// Render one model and list what it produced.
func ExampleRender() {
	m, errs := decode.ServedModel([]byte(qwenSpec))
	if len(errs) > 0 {
		fmt.Println(errs.ToAggregate())
		return
	}
	res := render.Render(m, render.Options{})
	for _, o := range res.Objects {
		fmt.Println(o.Ref)
	}
	// Output:
	// ConfigMap litellm/litellm-qwen
	// InferenceService kserve/qwen
}

// A spec and a Platform as users write them, in YAML files (the README's
// "From Go").
func ExampleRender_yaml() {
	spec, err := os.ReadFile("../examples/raw-vllm/qwen.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, errs := decode.ServedModelYAML(spec) // one document; strict: unknown fields are errors
	if len(errs) > 0 {
		fmt.Println(errs.ToAggregate())
		return
	}
	pf, _ := os.ReadFile("../examples/fleet/platform.yaml")
	p, errs := decode.PlatformYAML(pf)
	if len(errs) > 0 {
		fmt.Println(errs.ToAggregate())
		return
	}
	res := render.Render(m, render.Options{Platform: p})
	for _, o := range res.Objects {
		fmt.Println(o.Ref)
	}
	// Output:
	// ConfigMap litellm/litellm-config
	// Service serving/qwen
	// Deployment serving/qwen
}

// Preview a move: the same spec rendered for another layer.
func ExampleOptions_layer() {
	m, _ := decode.ServedModel([]byte(qwenSpec))
	res := render.Render(m, render.Options{Layer: schema.LayerLLMD})
	for _, o := range res.Objects {
		fmt.Println(o.Ref)
	}
	// Output:
	// ConfigMap litellm/litellm-qwen
	// LLMInferenceService llm-d/qwen
}

// Invalid input yields field-pathed errors and no objects.
func ExampleResult_Errors() {
	bad := strings.Replace(qwenSpec, `"gpus": 1`, `"gpus": 1, "limits": {"cpu": "2"}`, 1)
	m, _ := decode.ServedModel([]byte(bad))
	res := render.Render(m, render.Options{})
	for _, d := range res.Errors() {
		fmt.Println(d)
	}
	fmt.Println(len(res.Objects), "objects")
	// Output:
	// ServedModel kserve/qwen: spec.resources.limits.cpu: Invalid value: "2": must be at least the request spec.resources.cpu (4)
	// 0 objects
}

// A Platform gates layers: a disabled one is an error at spec.layer.
func ExampleRenderFleet() {
	m, _ := decode.ServedModel([]byte(qwenSpec))
	p, _ := decode.Platform([]byte(`{"apiVersion":"servelayer.dev/v1alpha1","kind":"Platform","metadata":{"name":"lab"},"spec":{"features":{"llmd":true}}}`))
	res := render.RenderFleet([]*schema.ServedModel{m}, render.Options{Platform: p})
	for _, d := range res.Errors() {
		fmt.Println(d.Field)
	}
	// Output:
	// spec.layer
}

// The LiteLLM api_base follows the layer.
func ExampleAPIBase() {
	m, _ := decode.ServedModel([]byte(qwenSpec))
	p := schema.DefaultPlatform()
	for _, l := range schema.Layers {
		mm := m.DeepCopy()
		mm.Spec.Layer = l
		mm.Default(&p.Spec)
		fmt.Println(l, render.APIBase(mm, &p.Spec))
	}
	// Output:
	// raw-vllm http://qwen.serving:8000/v1
	// kserve http://qwen-predictor.kserve:80/v1
	// llm-d http://llm-d-gateway.llm-d/llm-d/qwen/v1
}

// YAML prints the objects as a stream, formatted as kustomize does.
func ExampleResult_YAML() {
	m, _ := decode.ServedModel([]byte(qwenSpec))
	out, _ := render.Render(m, render.Options{}).YAML()
	fmt.Println(strings.SplitN(string(out), "\n", 3)[:2])
	// Output:
	// [apiVersion: v1 kind: ConfigMap]
}

// Validate a fleet, then write it one model at a time: identities are
// known (and checked against each other) before anything is rendered for
// writing.
func ExamplePrepare() {
	var fleet []*schema.ServedModel
	for _, name := range []string{"qwen", "granite"} {
		m, _ := decode.ServedModel([]byte(strings.ReplaceAll(qwenSpec, "qwen", name)))
		fleet = append(fleet, m)
	}
	f := render.Prepare(fleet, render.Options{})
	if f.HasErrors() {
		fmt.Println(f.Errors())
		return
	}
	for i := range f.Len() {
		ref, model := f.Ref(i)
		fmt.Println(ref, "of", model.Name)
	}
	var out strings.Builder
	if err := f.WriteYAML(&out); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.Count(out.String(), "\nkind: "), "documents")
	// Output:
	// ConfigMap litellm/litellm-granite of granite
	// ConfigMap litellm/litellm-qwen of qwen
	// InferenceService kserve/granite of granite
	// InferenceService kserve/qwen of qwen
	// 4 documents
}

// LoRA adapters are served by the base model's vLLM and published to
// LiteLLM each under its own alias, with the base model's api_base.
func ExampleRender_adapters() {
	spec := strings.Replace(qwenSpec, `"source": {"pvc": {"claimName": "model-cache", "path": "qwen"}}`,
		`"source": {"pvc": {"claimName": "model-cache", "path": "qwen"}},
     "adapters": [{"name": "sql-lora", "path": "adapters/sql", "alias": "qwen-sql"}, {"name": "chat-lora", "path": "adapters/chat"}]`, 1)
	m, errs := decode.ServedModel([]byte(spec))
	if len(errs) > 0 {
		fmt.Println(errs.ToAggregate())
		return
	}
	res := render.Render(m, render.Options{})
	y, _ := res.YAML()
	_, list, _ := strings.Cut(string(y), "model_list.yaml: |\n")
	list, _, _ = strings.Cut(list, "---")
	fmt.Print(list)
	// Output:
	//     - model_name: qwen
	//       litellm_params:
	//         model: hosted_vllm/Qwen/Qwen2.5-0.5B-Instruct
	//         api_base: http://qwen-predictor.kserve:80/v1
	//     - model_name: qwen-sql
	//       litellm_params:
	//         model: hosted_vllm/sql-lora
	//         api_base: http://qwen-predictor.kserve:80/v1
	//     - model_name: chat-lora
	//       litellm_params:
	//         model: hosted_vllm/chat-lora
	//         api_base: http://qwen-predictor.kserve:80/v1
}

// Render the Argo CD Application of the models from a Platform's
// spec.argocd: one Application for every layer, manual sync, the old layer
// pruned last.
func ExampleApplications() {
	p, errs := decode.Platform([]byte(`{
  "apiVersion": "servelayer.dev/v1alpha1", "kind": "Platform", "metadata": {"name": "lab"},
  "spec": {"features": {"kserve": true}, "argocd": {"repoURL": "https://git.example.com/models.git", "path": "lab", "platformFile": "platform.yaml"}}
}`))
	if len(errs) > 0 {
		fmt.Println(errs.ToAggregate())
		return
	}
	res := render.Applications(p)
	if res.HasErrors() {
		fmt.Println(res.Errors())
		return
	}
	out, _ := res.YAML()
	fmt.Print(string(out))
	// Output:
	// apiVersion: argoproj.io/v1alpha1
	// kind: Application
	// metadata:
	//   name: servelayer-models
	//   namespace: argocd
	//   labels:
	//     app.kubernetes.io/managed-by: servelayer
	//     app.kubernetes.io/part-of: servelayer
	// spec:
	//   project: default
	//   source:
	//     repoURL: https://git.example.com/models.git
	//     targetRevision: HEAD
	//     path: lab
	//     plugin:
	//       name: servelayer
	//       parameters:
	//       - name: platform
	//         string: platform.yaml
	//   destination:
	//     server: https://kubernetes.default.svc
	//   syncPolicy:
	//     syncOptions:
	//     - PruneLast=true
	//     - ApplyOutOfSyncOnly=true
}
