package plan_test

import (
	"fmt"

	"github.com/servelayer/servelayer/plan"
	"github.com/servelayer/servelayer/schema"
)

// ExamplePlanMove plans moving a raw-vllm model to kserve and reads the
// parts automation needs: readiness, what is removed and added, and the
// LiteLLM re-pointing.
func ExampleMove() {
	m := &schema.ServedModel{Spec: schema.ServedModelSpec{
		Layer:     schema.LayerRawVLLM,
		Model:     schema.Model{Name: "Qwen/Qwen2.5-0.5B-Instruct", Source: schema.ModelSource{PVC: &schema.PVCSource{ClaimName: "model-cache", Path: "qwen"}}},
		Resources: schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1},
		Routing:   &schema.Routing{Alias: "qwen"},
	}}
	m.APIVersion, m.Kind, m.Name = schema.APIVersion, schema.KindModel, "qwen"
	p := &schema.Platform{Spec: schema.PlatformSpec{Features: schema.Features{KServe: true}, GPUs: ptr(int32(2))}}
	p.APIVersion, p.Kind, p.Name = schema.APIVersion, schema.KindPlatform, "lab"

	mp, errs := plan.Move(m, plan.Options{Platform: p, To: schema.LayerKServe, ModelFile: "qwen.yaml"})
	if mp == nil {
		fmt.Println(errs)
		return
	}
	fmt.Println(mp.Summary())
	for _, o := range mp.Objects {
		fmt.Println(o.Action, o.Kind, o.Namespace+"/"+o.Name)
	}
	fmt.Println(mp.LiteLLM.APIBaseFrom, "->", mp.LiteLLM.APIBaseTo)
	fmt.Println(mp.Steps[4].Commands[0])
	// Output:
	// Result: ready: 0 blockers, 0 failed checks, 5 manual checks to run by hand
	// remove Service serving/qwen
	// remove Deployment serving/qwen
	// change ConfigMap litellm/litellm-qwen
	// add InferenceService kserve/qwen
	// http://qwen.serving:8000/v1 -> http://qwen-predictor.kserve:80/v1
	// kubectl -n serving scale deployment/qwen --replicas=0
}
