package llmd

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// kvEventsPort is the endpoint picker's ZMQ port for vLLM's KV events:
// KServe v0.17's scheduler preset names it zmq, and its <name>-epp-service
// exposes it.
const kvEventsPort = 5557

// scheduler renders spec.scheduler as KServe v0.17's router.scheduler:
// empty for the built-in profile (schedulerConfigText in scheduler.go),
// or the user's config by ConfigMap reference. inline is the
// EndpointPickerConfig to set at spec.router.scheduler.config.inline: the
// user's, or the precise-prefix-cache configuration.
func scheduler(m *schema.ServedModel) (sched *k8s.LLMScheduler, inline []byte) {
	sc := m.Spec.Scheduler
	switch {
	case sc == nil || sc.Profile == schema.SchedulerDefault:
		return &k8s.LLMScheduler{}, nil
	case sc.Config != nil && sc.Config.ConfigMapRef != nil:
		return &k8s.LLMScheduler{Config: &k8s.LLMSchedulerConfig{Ref: &k8s.ConfigMapKeySelector{Name: sc.Config.ConfigMapRef.Name, Key: sc.Config.ConfigMapRef.Key}}}, nil
	case sc.Config != nil:
		return &k8s.LLMScheduler{Config: &k8s.LLMSchedulerConfig{}}, sc.Config.Inline.Raw
	}
	b, _ := json.Marshal(precisePrefixConfig(m)) // plain structs: cannot fail
	return &k8s.LLMScheduler{Config: &k8s.LLMSchedulerConfig{}}, b
}

// An EndpointPickerConfig (inference.networking.x-k8s.io/v1alpha1).
type eppConfig struct {
	APIVersion         string       `json:"apiVersion"`
	Kind               string       `json:"kind"`
	Plugins            []eppPlugin  `json:"plugins"`
	SchedulingProfiles []eppProfile `json:"schedulingProfiles"`
}

type eppPlugin struct {
	Type       string `json:"type"`
	Parameters any    `json:"parameters,omitempty"`
}

type eppProfile struct {
	Name    string   `json:"name"`
	Plugins []eppRef `json:"plugins"`
}

type eppRef struct {
	PluginRef string `json:"pluginRef"`
	Weight    int    `json:"weight,omitempty"`
}

type tokenProcessor struct {
	BlockSize int32  `json:"blockSize"`
	HashSeed  string `json:"hashSeed"`
}

// precisePrefixConfig is KServe's built-in configuration with the
// approximate prefix-cache scorer replaced by the precise one, as llm-d's
// precise-prefix-cache-aware guide weighs them: it listens for vLLM's KV
// events on its zmq port and hashes blocks as vLLM does (block size and
// seed from spec.scheduler). The token processor is given both where
// llm-d's scheduler reads it today and inside indexerConfig, where its
// earlier releases read it, so neither falls back to 16-token blocks.
func precisePrefixConfig(m *schema.ServedModel) eppConfig {
	sc := m.Spec.Scheduler
	tp := tokenProcessor{BlockSize: *sc.BlockSize, HashSeed: sc.HashSeed}
	precise := eppPlugin{Type: "precise-prefix-cache-scorer", Parameters: map[string]any{
		"tokenProcessorConfig": tp,
		"indexerConfig":        map[string]any{"tokenProcessorConfig": tp},
		"kvEventsConfig": map[string]any{
			"zmqEndpoint": "tcp://*:" + strconv.Itoa(kvEventsPort),
			"topicFilter": "kv@",
			"concurrency": 4,
		},
	}}
	scorers := []eppRef{{PluginRef: "precise-prefix-cache-scorer", Weight: 3}, {PluginRef: "kv-cache-utilization-scorer", Weight: 2}, {PluginRef: "queue-scorer", Weight: 2}, {PluginRef: "max-score-picker"}}
	cfg := eppConfig{APIVersion: "inference.networking.x-k8s.io/v1alpha1", Kind: "EndpointPickerConfig"}
	if m.Spec.Disaggregation == nil {
		cfg.Plugins = []eppPlugin{{Type: "single-profile-handler"}, precise, {Type: "kv-cache-utilization-scorer"}, {Type: "queue-scorer"}, {Type: "max-score-picker"}}
		cfg.SchedulingProfiles = []eppProfile{{Name: "default", Plugins: scorers}}
		return cfg
	}
	// KServe's P/D configuration: every request prefilled remotely
	// (threshold 0), each profile filtered to its pool.
	cfg.Plugins = []eppPlugin{{Type: "prefill-header-handler"}, {Type: "prefill-filter"}, {Type: "decode-filter"}, precise,
		{Type: "kv-cache-utilization-scorer"}, {Type: "queue-scorer"}, {Type: "max-score-picker"},
		{Type: "pd-profile-handler", Parameters: map[string]any{"threshold": 0}}}
	cfg.SchedulingProfiles = []eppProfile{
		{Name: "prefill", Plugins: append([]eppRef{{PluginRef: "prefill-filter"}}, scorers...)},
		{Name: "decode", Plugins: append([]eppRef{{PluginRef: "decode-filter"}}, scorers...)},
	}
	return cfg
}

// preciseEngine are the vLLM args and env the precise-prefix-cache
// scorer depends on: the block size and hash it computes, PYTHONHASHSEED
// (vLLM's block hash seed) and the KV events vLLM publishes to the
// endpoint picker's zmq port, topic kv@<pod IP>@<model>. Validation
// refused the user's own values where they differ.
func preciseEngine(m *schema.ServedModel, args []string) ([]string, []k8s.EnvVar) {
	sc := m.Spec.Scheduler
	if _, ok := schema.LastVLLMValue(args, "block_size"); !ok {
		args = append(args, "--block-size", strconv.Itoa(int(*sc.BlockSize)))
	}
	if _, ok := schema.LastVLLMValue(args, "prefix_caching_hash_algo"); !ok {
		args = append(args, "--prefix-caching-hash-algo", schema.PrefixCachingHashAlgo)
	}
	events, _ := json.Marshal(map[string]any{
		"enable_kv_cache_events": true,
		"publisher":              "zmq",
		"endpoint":               fmt.Sprintf("tcp://%s-epp-service.%s.svc.cluster.local:%d", m.Name, m.Namespace, kvEventsPort),
		"topic":                  "kv@$(SERVELAYER_POD_IP)@" + m.Spec.Model.Name,
	})
	args = append(args, "--kv-events-config", string(events))
	env := []k8s.EnvVar{{Name: "SERVELAYER_POD_IP", ValueFrom: &k8s.EnvVarSource{FieldRef: &k8s.FieldSelector{FieldPath: "status.podIP"}}}}
	return args, env
}
