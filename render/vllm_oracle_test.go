package render_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/vllmoracle"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// The vLLM command lines of each layer, as servelayer means them: the
// model's path, the port and, with disaggregation, NIXL. These restate the
// layers' contracts independently of the code that renders them.
const (
	rawVLLMPort = 8000
	kservePort  = 8080
	// KServe v0.17's llm-d presets (config/llmisvcconfig) run `vllm serve
	// /mnt/models --served-model-name <spec.model.name> --port 8000` in
	// container main and append its args; config-llm-decode-template,
	// used for decode when a prefill pool exists, listens on 8001 behind
	// its routing sidecar on 8000.
	llmdPort       = 8000
	llmdDecodePort = 8001
	llmdModelDir   = "/mnt/models"
	nixlConfig     = `{"kv_connector":"NixlConnector","kv_role":"kv_both"}`
)

// llmdPresetEnv is the environment KServe's llm-d presets give container
// main, for Kubernetes' $(VAR) expansion.
var llmdPresetEnv = map[string]string{"HOME": "/home", "VLLM_LOGGING_LEVEL": "INFO", "HF_HUB_CACHE": "/models"}

// oracleInputs are every valid input of the repository: the goldens that
// render (with their layer override), the examples and the near misses.
func oracleInputs(t *testing.T) map[string]render.Options {
	t.Helper()
	out := map[string]render.Options{}
	valid, err := corpus.Valid("..")
	if err != nil {
		t.Fatal(err)
	}
	for path := range valid {
		var opts render.Options
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "layer")); err == nil && strings.Contains(path, "testdata/render") {
			opts.Layer = schema.Layer(strings.TrimSpace(string(b)))
		}
		out[path] = opts
	}
	return out
}

// TestRenderedCommandLinesAgreeWithVLLM renders every valid input and hands
// each vLLM command line, as the container receives it after Kubernetes'
// $(VAR) expansion, to vLLM 0.11.0's own parser (the oracle), which must
// read the model path, served name, port and KV-transfer config servelayer
// means.
func TestRenderedCommandLinesAgreeWithVLLM(t *testing.T) {
	var lines []vllmoracle.Line
	inputs := oracleInputs(t)
	for _, path := range slices.Sorted(func(yield func(string) bool) {
		for k := range inputs {
			if !yield(k) {
				return
			}
		}
	}) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := os.ReadFile(filepath.Join(filepath.Dir(path), "platform.yaml")); err == nil {
			b = append(append(p, "\n---\n"...), b...)
		}
		models, platform := decodeStream(t, b)
		if len(models) == 0 {
			continue
		}
		opts := inputs[path]
		opts.Platform = platform
		res := render.RenderFleet(models, opts)
		if res.HasErrors() {
			// Only goldens without expected.yaml are meant to fail.
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), "expected.yaml")); err == nil || !strings.Contains(path, "testdata/render/") {
				t.Errorf("%s: %v", path, res.Errors())
			}
			continue
		}
		for _, o := range res.Objects {
			if o.Model.Kind != schema.KindModel {
				continue // the fleet's LiteLLM ConfigMap: no model's, no vLLM
			}
			m := modelNamed(models, o.Model.Name)
			for _, l := range commandLines(t, o, m) {
				l.ID = fmt.Sprintf("%s %s/%s %s", path, o.Ref.Kind, o.Ref.Name, l.ID)
				lines = append(lines, l)
			}
		}
	}
	if len(lines) < 20 {
		t.Fatalf("only %d vLLM command lines found", len(lines))
	}
	verdicts := vllmoracle.Check(t, "..", lines)
	for _, l := range lines {
		if v := verdicts[l.ID]; !v.OK {
			t.Errorf("%s: %v\nargv: %q", l.ID, v.Problems, l.Argv)
		}
	}
	t.Logf("vLLM's parser read %d rendered command lines as servelayer means them", len(lines))
}

// decodeStream decodes the ServedModels and the Platform of a YAML stream,
// skipping other kinds (kustomizations, Namespaces).
func decodeStream(t *testing.T, b []byte) ([]*schema.ServedModel, *schema.Platform) {
	t.Helper()
	var models []*schema.ServedModel
	var platform *schema.Platform
	for _, doc := range corpus.Documents(b) {
		j, errs := decode.YAMLToJSON([]byte(doc))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		var tm struct{ Kind string }
		_ = json.Unmarshal(j, &tm)
		switch tm.Kind {
		case schema.KindPlatform:
			p, errs := decode.Platform(j)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			platform = p
		case schema.KindModel:
			m, errs := decode.ServedModel(j)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			models = append(models, m)
		}
	}
	return models, platform
}

func modelNamed(models []*schema.ServedModel, name string) *schema.ServedModel {
	for _, m := range models {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// container is the part of a rendered container the oracle reads.
type container struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"env"`
}

func (c container) vars(preset map[string]string) map[string]string {
	vars := map[string]string{}
	for k, v := range preset {
		vars[k] = v
	}
	for _, e := range c.Env {
		vars[e.Name] = e.Value // a valueFrom variable expands to its runtime value; "" stands for it
	}
	return vars
}

func find(cs []container, name string) (container, bool) {
	i := slices.IndexFunc(cs, func(c container) bool { return c.Name == name })
	if i < 0 {
		return container{}, false
	}
	return cs[i], true
}

// commandLines are the vLLM command lines of one rendered object, with
// what servelayer means vLLM to read from each.
func commandLines(t *testing.T, o render.Object, m *schema.ServedModel) []vllmoracle.Line {
	t.Helper()
	j, err := o.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []container `json:"containers"`
				} `json:"spec"`
				Containers []container `json:"containers"`
			} `json:"template"`
			LeaderWorkerTemplate struct {
				LeaderTemplate struct {
					Spec struct {
						Containers []container `json:"containers"`
					} `json:"spec"`
				} `json:"leaderTemplate"`
				WorkerTemplate struct {
					Spec struct {
						Containers []container `json:"containers"`
					} `json:"spec"`
				} `json:"workerTemplate"`
			} `json:"leaderWorkerTemplate"`
			Parallelism *struct {
				Tensor    *int `json:"tensor"`
				Data      int  `json:"data"`
				DataLocal int  `json:"dataLocal"`
				Expert    bool `json:"expert"`
			} `json:"parallelism"`
			Worker *struct {
				Containers []container `json:"containers"`
			} `json:"worker"`
			Predictor struct {
				Containers []container `json:"containers"`
			} `json:"predictor"`
			Prefill *struct {
				Template struct {
					Containers []container `json:"containers"`
				} `json:"template"`
			} `json:"prefill"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(j, &obj); err != nil {
		t.Fatal(err)
	}
	s := &m.Spec
	// claimDir is where the layer of o mounts the model's whole claim,
	// which adapter paths are on.
	claimDir := map[string]string{"Deployment": "/models", "InferenceService": "/models", "LLMInferenceService": "/mnt/claim"}[o.Ref.Kind]
	meant := func(id string, c container, prefix []string, model string, port int, preset map[string]string) vllmoracle.Line {
		vars := c.vars(preset)
		l := vllmoracle.Line{ID: id, Model: model, Served: s.Model.Name, Port: port, Entrypoint: vllmoracle.EntrypointImage}
		if as := s.Model.Adapters; len(as) > 0 {
			lora := &vllmoracle.LoRA{MaxLoras: len(as)}
			if l := s.Model.AdapterLimits; l != nil {
				if l.MaxLoaded != nil {
					lora.MaxLoras = int(*l.MaxLoaded)
				}
				if l.MaxRank != nil {
					lora.MaxRank = int(*l.MaxRank)
				}
			}
			for _, a := range as {
				where := strings.TrimPrefix(a.HF, "hf://")
				if a.Path != "" {
					where = claimDir + "/" + a.Path
				}
				lora.Modules = append(lora.Modules, [2]string{a.Name, where})
			}
			l.LoRA = lora
		}
		if prefix != nil {
			l.Entrypoint = vllmoracle.EntrypointServe
		}
		for _, a := range append(prefix, c.Args...) {
			l.Argv = append(l.Argv, vllmoracle.Expand(a, vars))
		}
		switch v, ok := schema.LastVLLMValue(s.Engine.Args, "kv_transfer_config"); {
		case s.Disaggregation != nil:
			l.KVTransferConfig = json.RawMessage(nixlConfig)
		case ok: // the user's own, passed through
			l.KVTransferConfig = json.RawMessage(vllmoracle.Expand(v, vars))
		}
		if v, ok := schema.LastVLLMValue(s.Engine.Args, "host"); ok {
			l.Host = v
		}
		return l
	}
	var out []vllmoracle.Line
	switch o.Ref.Kind {
	case "LeaderWorkerSet":
		lt, wt := obj.Spec.LeaderWorkerTemplate.LeaderTemplate.Spec, obj.Spec.LeaderWorkerTemplate.WorkerTemplate.Spec
		path := "/models/" + s.Model.Source.PVC.Path
		for _, role := range []struct {
			id string
			cs []container
		}{{"leader", lt.Containers}, {"worker", wt.Containers}} {
			c, ok := find(role.cs, "vllm")
			if !ok {
				t.Fatalf("%s %s has no container vllm", o.Ref, role.id)
			}
			if len(c.Args) == 0 {
				continue // a Ray worker: no vLLM of its own
			}
			// A shell's `vllm serve "$@" ...` runs the args, and what
			// follows them, as vLLM's: run the shell itself to see them.
			c.Args = shellArgv(t, c.Command, c.Args, map[string]string{"LWS_WORKER_INDEX": "1", "LWS_LEADER_ADDRESS": "10.0.0.1"})
			l := meant(role.id, c, nil, path, rawVLLMPort, map[string]string{"LWS_LEADER_ADDRESS": "10.0.0.1"})
			if c.Command != nil {
				l.Entrypoint = vllmoracle.EntrypointServe
			}
			out = append(out, l)
		}
	case "Deployment":
		if c, ok := find(obj.Spec.Template.Spec.Containers, "vllm"); ok {
			out = append(out, meant("vllm", c, nil, "/models/"+s.Model.Source.PVC.Path, rawVLLMPort, nil))
		}
	case "InferenceService":
		c, ok := find(obj.Spec.Predictor.Containers, "kserve-container")
		if !ok {
			t.Fatalf("%s has no kserve-container", o.Ref)
		}
		path := "/mnt/models"
		if pvc := s.Model.Source.PVC; pvc != nil {
			path = "/models/" + pvc.Path
		}
		out = append(out, meant("kserve-container", c, nil, path, kservePort, nil))
	case "LLMInferenceService":
		preset := func(port int) []string {
			return []string{llmdModelDir, "--served-model-name", s.Model.Name, "--port", fmt.Sprint(port)}
		}
		c, ok := find(obj.Spec.Template.Containers, "main")
		if !ok {
			t.Fatalf("%s has no container main", o.Ref)
		}
		if w := obj.Spec.Worker; w != nil {
			// KServe's data parallel worker presets (config-llm-worker-data-parallel.yaml)
			// run `eval "vllm serve /mnt/models ... $@ --trust-remote-code"`:
			// bash re-reads the args, as it does here.
			par := obj.Spec.Parallelism
			flags := func(leader bool) []string {
				f := preset(llmdPort)
				if leader {
					f = append(f, "--api-server-count", "8")
				}
				if par.Expert {
					f = append(f, "--enable-expert-parallel")
				}
				if par.Tensor != nil {
					f = append(f, "--tensor-parallel-size", fmt.Sprint(*par.Tensor))
				}
				return append(f, "--data-parallel-size", fmt.Sprint(par.Data), "--data-parallel-size-local", fmt.Sprint(par.DataLocal),
					"--data-parallel-address", "10.0.0.1", "--data-parallel-rpc-port", "5555", "--data-parallel-start-rank", "0")
			}
			wc, ok := find(w.Containers, "main")
			if !ok {
				t.Fatalf("%s: worker has no container main", o.Ref)
			}
			for _, role := range []struct {
				id     string
				c      container
				leader bool
			}{{"main", c, true}, {"worker", wc, false}} {
				rc := role.c
				rc.Args = shellArgv(t, []string{"/bin/bash", "-c", `eval "exec vllm serve $@"`, "--"}, rc.Args, nil)
				rc.Args = append(rc.Args, "--trust-remote-code")
				if !role.leader {
					rc.Args = append(rc.Args, "--headless")
				}
				out = append(out, meant(role.id, rc, flags(role.leader), llmdModelDir, llmdPort, llmdPresetEnv))
			}
			return out
		}
		port := llmdPort
		if obj.Spec.Prefill != nil {
			port = llmdDecodePort
			p, ok := find(obj.Spec.Prefill.Template.Containers, "main")
			if !ok {
				t.Fatalf("%s: prefill has no container main", o.Ref)
			}
			out = append(out, meant("prefill", p, preset(llmdPort), llmdModelDir, llmdPort, llmdPresetEnv))
		}
		out = append(out, meant("main", c, preset(port), llmdModelDir, port, llmdPresetEnv))
	}
	return out
}

// TestNearMisses renders each near miss of the bad-input corpus
// (testdata/near-miss): no error, and the substrings its "# render:" and
// "# warn:" lines name in the output and the warnings.
func TestNearMisses(t *testing.T) {
	files, _ := filepath.Glob("../testdata/near-miss/*.yaml")
	if len(files) < 5 {
		t.Fatalf("%d near misses", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			models, platform := decodeStream(t, b)
			res := render.RenderFleet(models, render.Options{Platform: platform})
			if res.HasErrors() {
				t.Fatalf("refused: %v", res.Errors())
			}
			out, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var warnings strings.Builder
			for _, d := range res.Diagnostics {
				if d.Severity == render.Warning {
					warnings.WriteString(d.String() + "\n")
				}
			}
			for _, l := range strings.Split(string(b), "\n") {
				if w, ok := strings.CutPrefix(l, "# render: "); ok && !strings.Contains(string(out), w) {
					t.Errorf("the output lacks %q", w)
				}
				if w, ok := strings.CutPrefix(l, "# warn: "); ok && !strings.Contains(warnings.String(), w) {
					t.Errorf("the warnings lack %q:\n%s", w, warnings.String())
				}
			}
		})
	}
}

// shellArgv is the argv a container's shell command hands on for args:
// with a command, the shell itself runs it with "vllm serve" replaced by
// a printer of its words (Kubernetes' $(VAR) expansion happens first);
// without one, args.
func shellArgv(t *testing.T, command, args []string, env map[string]string) []string {
	t.Helper()
	if len(command) < 3 {
		return args
	}
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	expanded := make([]string, len(args))
	for i, a := range args {
		expanded[i] = vllmoracle.Expand(a, vars)
	}
	// Only the line that runs vLLM: the rest (a Ray head) is not the
	// test's to run.
	i := strings.Index(command[2], "exec vllm serve")
	if i < 0 {
		t.Fatalf("%q runs no vllm serve", command)
	}
	i = strings.LastIndex(command[2][:i], "\n") + 1
	script := strings.Replace(command[2][i:], "exec vllm serve", `printf '%s\0'`, 1)
	cmd := exec.Command(command[0], append([]string{"-c", script}, append(command[3:], expanded...)...)...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%q: %v", command, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}
