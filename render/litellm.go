package render

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// LiteLLM publication: one labelled ConfigMap per routed model, in the
// LiteLLM namespace. Its key holds a one-entry model_list. The name depends
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

func liteLLMConfigMap(m *schema.ServedModel, apiBase string, p *schema.PlatformSpec) (k8s.Object, *liteLLMEntry, bool) {
	if m.Spec.Routing == nil {
		return k8s.Object{}, nil, false
	}
	entry := []liteLLMEntry{{
		ModelName:     m.Spec.Routing.Alias,
		LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + m.Spec.Model.Name, APIBase: apiBase},
	}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(entry); err != nil { // plain strings: cannot fail
		panic(err)
	}
	name := LiteLLMConfigMapName(m.Name)
	meta := k8s.Meta(m, name, "litellm-route")
	meta.Namespace = p.LiteLLM.Namespace
	meta.Labels[LabelLiteLLMModelList] = "true"
	cm := &k8s.ConfigMap{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{LiteLLMDataKey: b.String()},
	}
	return k8s.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: meta.Namespace, Name: name, Manifest: cm}, &entry[0], true
}
