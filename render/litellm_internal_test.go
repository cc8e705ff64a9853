package render

import (
	"strings"
	"testing"

	"github.com/servelayer/servelayer/internal/yamlout"
)

// TestModelListIsYAMLv3s: the model_list text is what a yaml.v3 Encoder
// with kyaml's settings (yamlout.Encode) writes, whatever the strings (invalid UTF-8 goes
// to yaml.v3 itself, which writes !!binary).
func TestModelListIsYAMLv3s(t *testing.T) {
	for _, s := range []string{"qwen", "yes", "on", "1:20", "1", "", "a: b", "x\ny", "é", "\xff", "hosted_vllm/Qwen/Qwen2.5-0.5B-Instruct", "http://qwen.serving:8000/v1"} {
		entries := []liteLLMEntry{{ModelName: s, LiteLLMParams: liteLLMParams{Model: "hosted_vllm/" + s, APIBase: s}}}
		var want strings.Builder
		if err := yamlout.Encode(&want, entries); err != nil {
			t.Fatal(err)
		}
		if got := modelList(entries); got != want.String() {
			t.Errorf("%q:\nwant:\n%s\ngot:\n%s", s, want.String(), got)
		}
	}
}
