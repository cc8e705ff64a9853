package render

import (
	"cmp"
	"slices"
	"strings"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/yamlout"
	"github.com/servelayer/servelayer/schema"
)

// LiteLLM publication, in the LiteLLM namespace, in one of two forms:
//
//   - per model (the default): one labelled ConfigMap litellm-<model> whose
//     key holds the model's model_list entries: the model's, then one per
//     LoRA adapter. The name depends only on the model, so a move between
//     layers updates api_base in place and the tenant-facing alias never
//     changes; a render of one model is enough.
//   - fleet (Platform spec.litellm.configMap): one ConfigMap of that name
//     whose key config.yaml is a LiteLLM config holding every routed
//     model's entries, which the proxy loads as is. It needs the whole fleet
//     in one render.
//
// Every entry is built here (liteLLMEntries), whichever form holds it.
const (
	// LabelLiteLLMModelList marks ConfigMaps carrying model_list entries.
	LabelLiteLLMModelList = "servelayer.dev/litellm-model-list"
	// LiteLLMDataKey is the per-model ConfigMap key holding the entry.
	LiteLLMDataKey = "model_list.yaml"
	// LiteLLMConfigKey is the fleet ConfigMap key holding the config.
	LiteLLMConfigKey = "config.yaml"
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

// liteLLMEntries are model m's model_list entries (the model's, then one
// per LoRA adapter), none without routing.
func liteLLMEntries(m *schema.ServedModel, apiBase string) []liteLLMEntry {
	if m.Spec.Routing == nil {
		return nil
	}
	entries := []liteLLMEntry{{
		ModelName:     m.Spec.Routing.Alias,
		LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + m.Spec.Model.Name, APIBase: apiBase},
	}}
	// Each LoRA adapter is a model of the same vLLM server: its own alias,
	// the base model's api_base, the adapter's name as the model.
	for _, a := range m.Spec.Model.Adapters {
		entries = append(entries, liteLLMEntry{
			ModelName:     a.AliasOrName(),
			LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + a.Name, APIBase: apiBase},
		})
	}
	return entries
}

func liteLLMConfigMap(m *schema.ServedModel, apiBase string, p *schema.PlatformSpec) (k8s.Object, []liteLLMEntry, bool) {
	entries := liteLLMEntries(m, apiBase)
	if entries == nil {
		return k8s.Object{}, nil, false
	}
	name := LiteLLMConfigMapName(m.Name)
	meta := k8s.Meta(m, name, "litellm-route")
	meta.Namespace = p.LiteLLM.Namespace
	meta.Labels[LabelLiteLLMModelList] = "true"
	// The alias moves under Argo CD only once the workload is healthy.
	k8s.SetSyncWave(&meta, k8s.SyncWaveRoute)
	cm := &k8s.ConfigMap{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{LiteLLMDataKey: modelList(entries)},
	}
	return k8s.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: meta.Namespace, Name: name, Manifest: cm}, entries, true
}

// liteLLMConfig is the part of LiteLLM's config.yaml servelayer owns.
type liteLLMConfig struct {
	ModelList []liteLLMEntry `yaml:"model_list"`
}

// liteLLMFleetConfigMap is the fleet form: every entry in one LiteLLM
// config, sorted by alias, then model, then api_base, so the order of the
// input never shows. Entries repeating one alias for the same model (the
// same model served twice) stay: LiteLLM balances between them.
func liteLLMFleetConfigMap(entries []liteLLMEntry, p *schema.PlatformSpec) k8s.Object {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b liteLLMEntry) int {
		return cmp.Or(cmp.Compare(a.ModelName, b.ModelName), cmp.Compare(a.LiteLLMParams.Model, b.LiteLLMParams.Model),
			cmp.Compare(a.LiteLLMParams.APIBase, b.LiteLLMParams.APIBase))
	})
	name := p.LiteLLM.ConfigMap
	meta := k8s.ObjectMeta{Name: name, Namespace: p.LiteLLM.Namespace, Labels: map[string]string{
		k8s.LabelComponent: "litellm-route", k8s.LabelPartOf: "servelayer", k8s.LabelManagedBy: "servelayer",
		LabelLiteLLMModelList: "true",
	}}
	k8s.SetSyncWave(&meta, k8s.SyncWaveRoute) // after every model's workload
	cm := &k8s.ConfigMap{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		Metadata: meta,
		Data:     map[string]string{LiteLLMConfigKey: liteLLMConfigYAML(liteLLMConfig{ModelList: entries})},
	}
	return k8s.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: p.LiteLLM.Namespace, Name: name, Manifest: cm}
}

// liteLLMConfigYAML writes the config as modelList writes a model_list.
func liteLLMConfigYAML(c liteLLMConfig) string {
	if b, err := yamlout.AppendMarshal(nil, c); err == nil {
		return string(b)
	}
	var b strings.Builder
	if err := yamlout.Encode(&b, c); err != nil { // strings and structs: cannot fail
		panic(err)
	}
	return b.String()
}
