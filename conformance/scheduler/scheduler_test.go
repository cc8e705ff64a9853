// Package scheduler checks the EndpointPickerConfigs servelayer renders for
// llm-d's router (spec.router.scheduler.config.inline of an
// LLMInferenceService) against the scheduler KServe v0.17 runs,
// ghcr.io/llm-d/llm-d-inference-scheduler:v0.4.0, built on the Gateway API
// Inference Extension v1.2.0:
//
//   - each config goes through GIE's own loader (strict decode, then every
//     plugin instantiated by its real factory, then the profile checks), with
//     the plugins the scheduler's main registers;
//   - the precise-prefix-cache scorer hashes prompts into KV-block keys
//     exactly as vLLM 0.11.0 hashes the blocks it reports in its KV events,
//     given the engine arguments and environment rendered beside the config.
//     A mismatch makes every lookup miss, silently.
//
// The one plugin not built here is the precise-prefix-cache scorer itself:
// its tokenizer and ZMQ subscriber need cgo libraries (daulet/tokenizers,
// libzmq), so its package is not imported at all. Its parameters are decoded into the real types of
// llm-d-kv-cache-manager v0.4.0 instead, and its block hashing is that
// module's own kvblock package.
package scheduler

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/llm-d/llm-d-inference-scheduler/pkg/plugins/filter"
	prerequest "github.com/llm-d/llm-d-inference-scheduler/pkg/plugins/pre-request"
	llmdprofile "github.com/llm-d/llm-d-inference-scheduler/pkg/plugins/profile"
	"github.com/llm-d/llm-d-kv-cache-manager/pkg/kvcache/kvblock"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/config/loader"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/plugins"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/scheduling/framework/plugins/multi/prefix"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/scheduling/framework/plugins/picker"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/scheduling/framework/plugins/profile"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/epp/scheduling/framework/plugins/scorer"
)

// preciseType is the scorer's plugin type in llm-d-inference-scheduler
// v0.4.0 (scorer.PrecisePrefixCachePluginType, not importable here).
const preciseType = "precise-prefix-cache-scorer"

var register sync.Once

// registerPlugins registers what the scheduler's main does (GIE's in-tree
// plugins, then llm-d's RegisterAllPlugins), each with its real factory,
// except llm-d's scorer package: it holds the precise-prefix-cache scorer,
// which needs cgo (see the package comment), so its other scorers
// (load-aware, session affinity, active request, no-hit LRU), which
// servelayer never renders, are not registered and a config naming them
// fails here.
func registerPlugins() {
	register.Do(func() {
		plugins.Register(prefix.PrefixCachePluginType, prefix.PrefixCachePluginFactory)
		plugins.Register(picker.MaxScorePickerType, picker.MaxScorePickerFactory)
		plugins.Register(picker.RandomPickerType, picker.RandomPickerFactory)
		plugins.Register(picker.WeightedRandomPickerType, picker.WeightedRandomPickerFactory)
		plugins.Register(profile.SingleProfileHandlerType, profile.SingleProfileHandlerFactory)
		plugins.Register(scorer.KvCacheUtilizationScorerType, scorer.KvCacheUtilizationScorerFactory)
		plugins.Register(scorer.QueueScorerType, scorer.QueueScorerFactory)
		plugins.Register(scorer.LoraAffinityScorerType, scorer.LoraAffinityScorerFactory)
		plugins.Register(filter.ByLabelType, filter.ByLabelFactory)
		plugins.Register(filter.ByLabelSelectorType, filter.ByLabelSelectorFactory)
		plugins.Register(filter.DecodeRoleType, filter.DecodeRoleFactory)
		plugins.Register(filter.PrefillRoleType, filter.PrefillRoleFactory)
		plugins.Register(prerequest.PrefillHeaderHandlerType, prerequest.PrefillHeaderHandlerFactory)
		plugins.Register(llmdprofile.DataParallelProfileHandlerType, llmdprofile.DataParallelProfileHandlerFactory)
		plugins.Register(llmdprofile.PdProfileHandlerType, llmdprofile.PdProfileHandlerFactory)
		plugins.Register(preciseType, preciseFactory)
	})
}

// preciseParams are the scorer's parameters as v0.4.0 reads them
// (PrecisePrefixCachePluginConfig: indexerConfig and kvEventsConfig), plus
// the top-level tokenProcessorConfig that v0.5.0 and later read (v0.4.0
// ignores it: its json.Unmarshal is not strict).
type preciseParams struct {
	TokenProcessorConfig *kvblock.TokenProcessorConfig `json:"tokenProcessorConfig"`
	IndexerConfig        *struct {
		TokenProcessorConfig *kvblock.TokenProcessorConfig `json:"tokenProcessorConfig"`
	} `json:"indexerConfig"`
	KVEventsConfig *struct {
		ZMQEndpoint string `json:"zmqEndpoint"`
		TopicFilter string `json:"topicFilter"`
		Concurrency int    `json:"concurrency"`
	} `json:"kvEventsConfig"`
}

// preciseFactory stands in for the scorer's factory: it decodes the
// parameters strictly and answers with a real scorer of GIE's (the queue
// scorer), so the profiles that weigh it load as they would.
func preciseFactory(name string, raw json.RawMessage, _ plugins.Handle) (plugins.Plugin, error) {
	if _, err := decodePrecise(raw); err != nil {
		return nil, err
	}
	return scorer.NewQueueScorer().WithName(name), nil
}

func decodePrecise(raw json.RawMessage) (*preciseParams, error) {
	var p preciseParams
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s parameters: %w", preciseType, err)
	}
	if p.IndexerConfig == nil || p.IndexerConfig.TokenProcessorConfig == nil {
		return nil, fmt.Errorf("%s parameters: no indexerConfig.tokenProcessorConfig: v0.4.0 would hash 16-token blocks with an empty seed", preciseType)
	}
	if p.KVEventsConfig == nil {
		return nil, fmt.Errorf("%s parameters: no kvEventsConfig", preciseType)
	}
	return &p, nil
}

// loadConfig runs GIE's loader on an EndpointPickerConfig, as the
// scheduler does at start-up.
func loadConfig(cfg []byte) error {
	registerPlugins()
	raw, _, err := loader.LoadConfigPhaseOne(cfg, logr.Discard())
	if err != nil {
		return err
	}
	_, err = loader.LoadConfigPhaseTwo(raw, plugins.NewEppHandle(context.Background(), nil), logr.Discard())
	return err
}

// routerConfig is one rendered LLMInferenceService with an inline
// scheduler config.
type routerConfig struct {
	name   string // <golden case>/<object name>
	model  string // spec.model.name: vLLM's served name, the request's model
	config []byte // the EndpointPickerConfig, as JSON
	pools  map[string]container
}

// container is what the scorer depends on in one pool's main container.
type container struct {
	args []string
	env  map[string]string
}

type llmisvc struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Model struct {
			Name string `json:"name"`
		} `json:"model"`
		Template *podSpec `json:"template"`
		Prefill  *struct {
			Template *podSpec `json:"template"`
		} `json:"prefill"`
		Router *struct {
			Scheduler *struct {
				Config *struct {
					Inline json.RawMessage `json:"inline"`
				} `json:"config"`
			} `json:"scheduler"`
		} `json:"router"`
	} `json:"spec"`
}

type podSpec struct {
	Containers []struct {
		Name string   `json:"name"`
		Args []string `json:"args"`
		Env  []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"env"`
	} `json:"containers"`
}

func (p *podSpec) main() (container, bool) {
	if p == nil {
		return container{}, false
	}
	for _, c := range p.Containers {
		if c.Name == "main" {
			out := container{args: c.Args, env: map[string]string{}}
			for _, e := range c.Env {
				out.env[e.Name] = e.Value
			}
			return out, true
		}
	}
	return container{}, false
}

// renderedConfigs reads every render golden for LLMInferenceServices with
// an inline scheduler config.
func renderedConfigs(t *testing.T) []routerConfig {
	t.Helper()
	files, err := filepath.Glob("../../testdata/render/*/expected.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no render goldens under ../../testdata/render (%v)", err)
	}
	var out []routerConfig
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var o llmisvc
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			r := o.Spec.Router
			if o.Kind != "LLMInferenceService" || r == nil || r.Scheduler == nil || r.Scheduler.Config == nil || len(r.Scheduler.Config.Inline) == 0 {
				continue
			}
			rc := routerConfig{
				name:   filepath.Base(filepath.Dir(f)) + "/" + o.Metadata.Name,
				model:  o.Spec.Model.Name,
				config: r.Scheduler.Config.Inline,
				pools:  map[string]container{},
			}
			if c, ok := o.Spec.Template.main(); ok {
				rc.pools["decode"] = c
			}
			if o.Spec.Prefill != nil {
				if c, ok := o.Spec.Prefill.Template.main(); ok {
					rc.pools["prefill"] = c
				}
			}
			out = append(out, rc)
		}
	}
	return out
}

// TestRenderedConfigsLoad: every rendered scheduler config loads in the
// scheduler's own loader.
func TestRenderedConfigsLoad(t *testing.T) {
	cfgs := renderedConfigs(t)
	if len(cfgs) == 0 {
		t.Fatal("no golden renders an inline scheduler config")
	}
	for _, c := range cfgs {
		t.Run(c.name, func(t *testing.T) {
			if err := loadConfig(c.config); err != nil {
				t.Fatalf("the scheduler refuses the config: %v\n%s", err, c.config)
			}
		})
	}
}

// TestLoaderRefuses: the loader is strict enough to catch what a render
// could get wrong (so the test above can fail).
func TestLoaderRefuses(t *testing.T) {
	cfgs := renderedConfigs(t)
	base := cfgs[0].config
	for name, mutate := range map[string]func(map[string]any){
		"unknown plugin type": func(m map[string]any) {
			m["plugins"].([]any)[0].(map[string]any)["type"] = "prefix-cache-scorer-typo"
		},
		"unknown field": func(m map[string]any) { m["schedulingProfile"] = m["schedulingProfiles"] },
		"profile names a missing plugin": func(m map[string]any) {
			p := m["schedulingProfiles"].([]any)[0].(map[string]any)
			p["plugins"] = append(p["plugins"].([]any), map[string]any{"pluginRef": "missing-scorer"})
		},
		"unknown scorer parameter": func(m map[string]any) {
			for _, p := range m["plugins"].([]any) {
				if p := p.(map[string]any); p["type"] == preciseType {
					p["parameters"].(map[string]any)["kvEventConfig"] = map[string]any{}
				}
			}
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(base, &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		b, _ := json.Marshal(m)
		if err := loadConfig(b); err == nil {
			t.Errorf("%s: the loader accepted\n%s", name, b)
		}
	}
}

// TestPreciseHashesMatchVLLM: for every rendered precise-prefix-cache
// config, the scorer's KV-block keys of a prompt are the block hashes vLLM
// publishes for it, in every pool, with the engine arguments and
// environment rendered beside the config; and the KV events reach the
// scorer (endpoint port, topic filter, the topic's model).
func TestPreciseHashesMatchVLLM(t *testing.T) {
	python := oracle(t)
	tokens := make([]uint32, 300) // 300 tokens: several full blocks and a partial one
	for i := range tokens {
		tokens[i] = uint32(i*7919%151936 + 1)
	}
	type want struct {
		name   string
		keys   []uint64
		engine vllmBlocks
	}
	var lines []vllmBlocks
	var wants []want
	checked := 0
	for _, c := range renderedConfigs(t) {
		var cfg struct {
			Plugins []struct {
				Type       string          `json:"type"`
				Parameters json.RawMessage `json:"parameters"`
			} `json:"plugins"`
		}
		if err := json.Unmarshal(c.config, &cfg); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, p := range cfg.Plugins {
			if p.Type != preciseType {
				continue
			}
			params, err := decodePrecise(p.Parameters)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			tp := params.IndexerConfig.TokenProcessorConfig
			if top := params.TokenProcessorConfig; top == nil || top.BlockSize != tp.BlockSize || top.HashSeed != tp.HashSeed {
				t.Errorf("%s: the top-level tokenProcessorConfig (read from v0.5.0 on) differs from indexerConfig's (read by v0.4.0, block size %d, seed %q): the two releases would hash differently", c.name, tp.BlockSize, tp.HashSeed)
			}
			keys := kvblock.NewChunkedTokenDatabase(tp).TokensToKVBlockKeys(tokens, c.model)
			if len(keys) == 0 {
				t.Fatalf("%s: the scorer makes no key of %d tokens (block size %d)", c.name, len(tokens), tp.BlockSize)
			}
			var hashes []uint64
			for _, k := range keys {
				if k.ModelName != c.model {
					t.Errorf("%s: key model %q, want %q", c.name, k.ModelName, c.model)
				}
				hashes = append(hashes, k.ChunkHash)
			}
			if len(c.pools) == 0 {
				t.Fatalf("%s: no main container", c.name)
			}
			for pool, ctr := range c.pools {
				id := c.name + "/" + pool
				checkEvents(t, id, ctr, params, c.model)
				e := engineBlocks(t, id, ctr, tokens)
				lines = append(lines, e)
				wants = append(wants, want{id, hashes, e})
				// The same engine with another seed must disagree: the
				// comparison below can fail.
				other := e
				other.ID += "/other-seed"
				s := "servelayer-" + strings.Repeat("x", 3)
				other.Seed = &s
				lines = append(lines, other)
				wants = append(wants, want{other.ID, hashes, other})
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no golden renders the precise-prefix-cache scorer")
	}
	got := runOracle(t, python, lines)
	for _, w := range wants {
		h, ok := got[w.name]
		if !ok {
			t.Fatalf("%s: the oracle did not answer", w.name)
		}
		equal := fmt.Sprint(h) == fmt.Sprint(w.keys)
		switch {
		case strings.HasSuffix(w.name, "/other-seed") && equal:
			t.Errorf("%s: vLLM's hashes with another seed equal the scorer's: the check cannot tell", w.name)
		case !strings.HasSuffix(w.name, "/other-seed") && !equal:
			t.Errorf("%s: vLLM publishes blocks %v (block size %d, %s, PYTHONHASHSEED %v); the scorer looks up %v: every lookup would miss", w.name, h, w.engine.BlockSize, w.engine.HashAlgo, deref(w.engine.Seed), w.keys)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "unset"
	}
	return strconv.Quote(*s)
}

// vllmBlocks is one line of the oracle's blockhash command.
type vllmBlocks struct {
	ID        string   `json:"id"`
	BlockSize int      `json:"blockSize"`
	HashAlgo  string   `json:"hashAlgo"`
	Seed      *string  `json:"seed"`
	Tokens    []uint32 `json:"tokens"`
}

// engineBlocks reads what vLLM hashes with from one pool's container:
// --block-size, --prefix-caching-hash-algo (vLLM's default: sha256) and
// PYTHONHASHSEED.
func engineBlocks(t *testing.T, id string, c container, tokens []uint32) vllmBlocks {
	t.Helper()
	e := vllmBlocks{ID: id, HashAlgo: "sha256", Tokens: tokens}
	if v, ok := lastFlag(c.args, "--block-size"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s: --block-size %q", id, v)
		}
		e.BlockSize = n
	} else {
		t.Fatalf("%s: the engine sets no --block-size: vLLM's default depends on the platform", id)
	}
	if v, ok := lastFlag(c.args, "--prefix-caching-hash-algo"); ok {
		e.HashAlgo = v
	}
	if v, ok := c.env["PYTHONHASHSEED"]; ok {
		e.Seed = &v
	}
	return e
}

// checkEvents: vLLM's --kv-events-config publishes where the scorer
// listens, on a topic its filter takes and whose model is the request's
// (kv-cache-manager splits kv@<pod>@<model> on "@").
func checkEvents(t *testing.T, id string, c container, p *preciseParams, model string) {
	t.Helper()
	v, ok := lastFlag(c.args, "--kv-events-config")
	if !ok {
		t.Errorf("%s: the engine publishes no KV events (--kv-events-config)", id)
		return
	}
	var ev struct {
		Enable    bool   `json:"enable_kv_cache_events"`
		Publisher string `json:"publisher"`
		Endpoint  string `json:"endpoint"`
		Topic     string `json:"topic"`
	}
	if err := json.Unmarshal([]byte(v), &ev); err != nil {
		t.Errorf("%s: --kv-events-config: %v", id, err)
		return
	}
	listen := p.KVEventsConfig.ZMQEndpoint
	if !ev.Enable || ev.Publisher != "zmq" {
		t.Errorf("%s: KV events not published over zmq: %s", id, v)
	}
	if port := listen[strings.LastIndex(listen, ":"):]; !strings.HasSuffix(ev.Endpoint, port) || strings.Contains(ev.Endpoint, "*") {
		t.Errorf("%s: vLLM publishes to %q (a '*' binds), the scorer binds %q", id, ev.Endpoint, listen)
	}
	if !strings.HasPrefix(ev.Topic, p.KVEventsConfig.TopicFilter) {
		t.Errorf("%s: topic %q does not pass the scorer's filter %q", id, ev.Topic, p.KVEventsConfig.TopicFilter)
	}
	if parts := strings.Split(ev.Topic, "@"); len(parts) != 3 || parts[2] != model {
		t.Errorf("%s: topic %q: the scorer reads kv@<pod>@<model> with model %q", id, ev.Topic, model)
	}
}

// lastFlag is the last value of a vLLM flag, as --flag=v or --flag v.
func lastFlag(args []string, flag string) (string, bool) {
	v, ok := "", false
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, flag+"="):
			v, ok = strings.TrimPrefix(a, flag+"="), true
		case a == flag && i+1 < len(args):
			v, ok = args[i+1], true
		}
	}
	return v, ok
}

// oracle is vLLM's Python (hack/vllm-oracle): $VLLM_ORACLE, which make sets.
func oracle(t *testing.T) string {
	t.Helper()
	p := os.Getenv("VLLM_ORACLE")
	if p == "" {
		matches, _ := filepath.Glob("../../bin/vllm-oracle-*/bin/python")
		if len(matches) != 1 {
			t.Skip("vLLM's oracle is not installed: run make vllm-oracle, or make conformance, which does")
		}
		p = matches[0]
	}
	return p
}

func runOracle(t *testing.T, python string, lines []vllmBlocks) map[string][]uint64 {
	t.Helper()
	var in bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(python, "../../hack/vllm-oracle/oracle.py", "blockhash")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle blockhash: %v\n%s", err, stderr.String())
	}
	got := map[string][]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			ID     string            `json:"id"`
			Hashes []json.RawMessage `json:"hashes"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("oracle blockhash: %v: %s", err, sc.Text())
		}
		hs := make([]uint64, len(r.Hashes))
		for i, h := range r.Hashes {
			// An int, exact (a uint64 does not fit a float64); a string is a
			// bytes hash, published when VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES is off.
			if err := json.Unmarshal(h, &hs[i]); err != nil {
				t.Fatalf("%s: vLLM published hash %s, not a 64-bit int: %v", r.ID, h, err)
			}
		}
		got[r.ID] = hs
	}
	return got
}
