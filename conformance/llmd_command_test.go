package conformance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	"github.com/kserve/kserve/pkg/controller/v1alpha2/llmisvc"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// preset reads one of KServe's shipped LLMInferenceServiceConfigs.
func preset(t *testing.T, name string) kservev1alpha2.LLMInferenceServiceSpec {
	t.Helper()
	dir, err := KServeDir()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "config", "llmisvcconfig", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg kservev1alpha2.LLMInferenceServiceConfig
	if err := yaml.UnmarshalStrict(b, &cfg); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cfg.Spec
}

// TestLLMDCommandLine: the vLLM command line of every rendered
// LLMInferenceService, as KServe's controller builds it (its shipped presets
// merged with our spec by its own MergeSpecs, then its ReplaceVariables
// template pass), is `vllm serve /mnt/models --served-model-name <name>
// --port 8000` (8001 for decode beside a prefill pool) followed by our
// args: the command line render's TestRenderedCommandLinesAgreeWithVLLM
// hands vLLM's parser.
func TestLLMDCommandLine(t *testing.T) {
	ctx := context.Background()
	for _, d := range docsOf(t, "LLMInferenceService") {
		t.Run(d.String(), func(t *testing.T) {
			obj, err := DecodeStrict(d)
			if err != nil {
				t.Fatal(err)
			}
			hub := obj.(*kservev1alpha2.LLMInferenceService).DeepCopy()
			check := func(pool string, presetName string, ours *corev1.PodSpec, port string) {
				spec := hub.Spec.DeepCopy()
				merged, err := llmisvc.MergeSpecs(ctx, preset(t, presetName), *spec)
				if err != nil {
					t.Fatalf("%s: MergeSpecs: %v", pool, err)
				}
				cfg, err := llmisvc.ReplaceVariables(hub, &kservev1alpha2.LLMInferenceServiceConfig{ObjectMeta: hub.ObjectMeta, Spec: merged}, nil)
				if err != nil {
					t.Fatalf("%s: ReplaceVariables: %v", pool, err)
				}
				tmpl := cfg.Spec.Template
				if pool == "prefill" {
					tmpl = cfg.Spec.Prefill.Template
				}
				i := slices.IndexFunc(tmpl.Containers, func(c corev1.Container) bool { return c.Name == "main" })
				if i < 0 {
					t.Fatalf("%s: no container main", pool)
				}
				c := tmpl.Containers[i]
				want := []string{"vllm", "serve", "/mnt/models", "--served-model-name", *hub.Spec.Model.Name, "--port", port}
				if !slices.Equal(c.Command, want) {
					t.Errorf("%s: command %q, want %q", pool, c.Command, want)
				}
				var our []string
				if j := slices.IndexFunc(ours.Containers, func(c corev1.Container) bool { return c.Name == "main" }); j >= 0 {
					our = ours.Containers[j].Args
				}
				if !slices.Equal(c.Args, our) {
					t.Errorf("%s: args %q, want ours %q", pool, c.Args, our)
				}
			}
			if hub.Spec.Template == nil {
				t.Fatal("no template")
			}
			if hub.Spec.Prefill != nil {
				check("decode", "config-llm-decode-template", hub.Spec.Template, "8001")
				check("prefill", "config-llm-prefill-template", hub.Spec.Prefill.Template, "8000")
				return
			}
			check("main", "config-llm-template", hub.Spec.Template, "8000")
		})
	}
}

// TestLLMDTemplateHazards shows, with KServe's own code, why servelayer
// refuses on llm-d a model name holding '"' (it is pasted into JSON
// unescaped: here it adds --port 9001 to the command) and "{{" in an
// argument (it is evaluated as a Go template).
func TestLLMDTemplateHazards(t *testing.T) {
	ctx := context.Background()
	name := `q","--port","9001`
	hub := &kservev1alpha2.LLMInferenceService{}
	hub.Name = "q"
	hub.Spec.Model.Name = &name
	hub.Spec.Template = &corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Args: []string{"--chat-template={{ .Name }}"}}}}
	merged, err := llmisvc.MergeSpecs(ctx, preset(t, "config-llm-template"), hub.Spec)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := llmisvc.ReplaceVariables(hub, &kservev1alpha2.LLMInferenceServiceConfig{ObjectMeta: hub.ObjectMeta, Spec: merged}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Spec.Template.Containers[0]
	if want := []string{"vllm", "serve", "/mnt/models", "--served-model-name", "q", "--port", "9001", "--port", "8000"}; !slices.Equal(c.Command, want) {
		t.Errorf("command %q, want the injected %q", c.Command, want)
	}
	if !slices.Equal(c.Args, []string{"--chat-template=q"}) {
		t.Errorf("args %q, want the template evaluated to --chat-template=q", c.Args)
	}
}
