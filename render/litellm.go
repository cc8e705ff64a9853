package render

import (
	"strings"

	yaml "go.yaml.in/yaml/v3"

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

// LiteLLMEntry is one LiteLLM model_list entry.
type LiteLLMEntry struct {
	ModelName     string        `json:"model_name" yaml:"model_name"`
	LiteLLMParams LiteLLMParams `json:"litellm_params" yaml:"litellm_params"`
}

// LiteLLMParams are the entry's litellm_params.
type LiteLLMParams struct {
	Model   string `json:"model" yaml:"model"`
	APIBase string `json:"api_base" yaml:"api_base"`
}

// liteLLMName is the ConfigMap carrying a model's entry.
func liteLLMName(m *schema.ServedModel) string { return "litellm-" + m.Name }

// APIBase is the OpenAI-compatible base URL LiteLLM calls for a model on
// its layer. m must be defaulted.
func APIBase(m *schema.ServedModel, p *schema.PlatformSpec) string {
	switch m.Spec.Layer {
	case schema.LayerKServe:
		return kserveAPIBase(m)
	case schema.LayerLLMD:
		return llmdAPIBase(m, p)
	default:
		return rawAPIBase(m)
	}
}

func (r *modelRender) liteLLM() *Object {
	m := r.model
	if m.Spec.Routing == nil {
		return nil
	}
	entry := []LiteLLMEntry{{
		ModelName:     m.Spec.Routing.Alias,
		LiteLLMParams: LiteLLMParams{Model: "hosted_vllm/" + m.Spec.Model.Name, APIBase: APIBase(m, r.platform)},
	}}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(entry); err != nil { // plain strings: cannot fail
		panic(err)
	}
	name := liteLLMName(m)
	meta := r.meta(name, "litellm-route")
	meta.Namespace = r.platform.LiteLLM.Namespace
	meta.Labels[LabelLiteLLMModelList] = "true"
	cm := &configMap{
		typeMeta: typeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{LiteLLMDataKey: b.String()},
		entry:    &entry[0],
	}
	o := r.object("v1", "ConfigMap", name, cm)
	o.Ref.Namespace = meta.Namespace
	return &o
}
