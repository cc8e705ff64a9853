package render

import (
	"strings"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/yamlout"
	"github.com/servelayer/servelayer/schema"
)

// LiteLLM publication: one labelled ConfigMap per routed model, in the
// LiteLLM namespace. Its key holds the model's model_list entries: the
// model's, then one per LoRA adapter. The name depends
// only on the model, so a move between layers updates api_base in place and
// the tenant-facing alias never changes.
const (
	// LabelLiteLLMModelList marks ConfigMaps carrying model_list entries.
	LabelLiteLLMModelList = "servelayer.dev/litellm-model-list"
	// LiteLLMDataKey is the ConfigMap key holding the entry.
	LiteLLMDataKey = "model_list.yaml"
)

// liteLLMEntry is one LiteLLM model_list entry.
type liteLLMEntry struct {
	ModelName     string        `yaml:"model_name"`
	LiteLLMParams liteLLMParams `yaml:"litellm_params"`
}

type liteLLMParams struct {
	Model   string `yaml:"model"`
	APIBase string `yaml:"api_base"`
}

// LiteLLMConfigMapName is the ConfigMap carrying a model's entry.
func LiteLLMConfigMapName(model string) string { return "litellm-" + model }

// modelList is a model_list as a go.yaml.in/yaml/v3 Encoder with kyaml's
// settings writes it. yamlout writes those bytes without the Encoder's
// buffers (about 10 KB a model); a string that is not valid UTF-8, which
// yaml.v3 writes as !!binary, is left to yaml.v3 itself.
func modelList(entries []liteLLMEntry) string {
	if b, err := yamlout.AppendMarshal(nil, entries); err == nil {
		return string(b)
	}
	var b strings.Builder
	if err := yamlout.Encode(&b, entries); err != nil { // strings and structs: cannot fail
		panic(err)
	}
	return b.String()
}

func liteLLMConfigMap(m *schema.ServedModel, apiBase string, p *schema.PlatformSpec) (k8s.Object, []liteLLMEntry, bool) {
	if m.Spec.Routing == nil {
		return k8s.Object{}, nil, false
	}
	entry := []liteLLMEntry{{
		ModelName:     m.Spec.Routing.Alias,
		LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + m.Spec.Model.Name, APIBase: apiBase},
	}}
	// Each LoRA adapter is a model of the same vLLM server: its own alias,
	// the base model's api_base, the adapter's name as the model.
	for _, a := range m.Spec.Model.Adapters {
		entry = append(entry, liteLLMEntry{
			ModelName:     a.AliasOrName(),
			LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + a.Name, APIBase: apiBase},
		})
	}
	name := LiteLLMConfigMapName(m.Name)
	meta := k8s.Meta(m, name, "litellm-route")
	meta.Namespace = p.LiteLLM.Namespace
	meta.Labels[LabelLiteLLMModelList] = "true"
	cm := &k8s.ConfigMap{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{LiteLLMDataKey: modelList(entry)},
	}
	return k8s.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: meta.Namespace, Name: name, Manifest: cm}, entry, true
}
