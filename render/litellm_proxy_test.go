package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// LiteLLMVersion is the LiteLLM proxy the fleet form is proven against
// (hack/litellm-proxy pins it and every dependency by hash).
const LiteLLMVersion = "1.80.10"

// liteLLMBinary is the proxy's `litellm` command: $LITELLM (which make
// test sets, and then requires), else bin/litellm-<version>/bin/litellm;
// without either the test skips and says how to install it.
func liteLLMBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LITELLM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("LITELLM=%s: %v (run make litellm-proxy)", p, err)
		}
		return p
	}
	p, _ := filepath.Abs(filepath.Join("..", "bin", "litellm-"+LiteLLMVersion, "bin", "litellm"))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("the LiteLLM %s proxy is not installed: run make litellm-proxy, or make test, which does", LiteLLMVersion)
	}
	return p
}

// upstreamCall is one request the stub received.
type upstreamCall struct {
	Method, Host, Path, Model string
}

// upstreamStub stands in for every model server: it is LiteLLM's HTTP
// proxy (HTTP_PROXY), so LiteLLM calls each api_base exactly as rendered,
// host included, and the stub answers as an OpenAI-compatible server
// would, recording the host, path and model of each call. Anything else
// LiteLLM sends out (a CONNECT for https, say) is recorded and refused.
type upstreamStub struct {
	mu    sync.Mutex
	calls []upstreamCall
}

func (s *upstreamStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host, path := r.Host, r.URL.Path
	if r.URL.IsAbs() {
		host = r.URL.Host
	}
	call := upstreamCall{Method: r.Method, Host: host, Path: path}
	var req struct {
		Model string `json:"model"`
	}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		_ = json.Unmarshal(b, &req)
		call.Model = req.Model
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/chat/completions"):
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": "chatcmpl-stub", "object": "chat.completion", "created": 1, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "stub " + host + path}}},
			"usage": map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
		})
	default:
		http.Error(w, "stub: not an OpenAI chat completion", http.StatusForbidden)
	}
}

func (s *upstreamStub) snapshot() []upstreamCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// freePort is a free TCP port on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLiteLLMProxyLoadsTheFleetConfig renders the fleet example (three
// models on three layers) and starts the real LiteLLM proxy on 127.0.0.1
// with the rendered ConfigMap's config.yaml, byte for byte: loaded as the
// proxy's config, and included from a config of the user's own. Every
// alias must be listed on /v1/models, and a chat completion for each alias
// must reach the host and path its api_base names, asking for the served
// model name.
func TestLiteLLMProxyLoadsTheFleetConfig(t *testing.T) {
	bin := liteLLMBinary(t)
	models, opts := fleetExample(t)
	res := render.RenderFleet(models, opts)
	if res.HasErrors() {
		t.Fatal(res.Errors())
	}
	var config string
	for _, o := range res.Objects {
		if o.Ref.Kind == "ConfigMap" && o.Ref.Name == opts.Platform.Spec.LiteLLM.ConfigMap {
			b, err := o.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var cm struct{ Data map[string]string }
			if err := json.Unmarshal(b, &cm); err != nil {
				t.Fatal(err)
			}
			config = cm.Data[render.LiteLLMConfigKey]
		}
	}
	var parsed struct {
		ModelList []struct {
			ModelName     string `yaml:"model_name"`
			LiteLLMParams struct {
				Model   string `yaml:"model"`
				APIBase string `yaml:"api_base"`
			} `yaml:"litellm_params"`
		} `yaml:"model_list"`
	}
	if err := yaml.Unmarshal([]byte(config), &parsed); err != nil || len(parsed.ModelList) != 3 {
		t.Fatalf("the fleet ConfigMap's %s holds %d entries (%v), want 3:\n%s", render.LiteLLMConfigKey, len(parsed.ModelList), err, config)
	}

	forms := map[string]map[string]string{
		// The rendered config is the proxy's whole config.
		"config": {"config.yaml": config},
		// The user's own config includes it, beside settings of its own.
		"include": {"servelayer.yaml": config, "config.yaml": "include:\n- servelayer.yaml\nlitellm_settings:\n  drop_params: true\n"},
	}
	for _, form := range []string{"config", "include"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel() // two proxies start at once: their start-up is most of the time
			dir := t.TempDir()
			for name, text := range forms[form] {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			stub := &upstreamStub{}
			base := startLiteLLM(t, bin, dir, stub)

			listed := listModels(t, base)
			for _, e := range parsed.ModelList {
				if !slices.Contains(listed, e.ModelName) {
					t.Errorf("alias %q is not listed on /v1/models: %v", e.ModelName, listed)
				}
			}
			for _, e := range parsed.ModelList {
				before := len(stub.snapshot())
				reply := chat(t, base, e.ModelName)
				u, err := url.Parse(e.LiteLLMParams.APIBase)
				if err != nil {
					t.Fatal(err)
				}
				// The HTTP client drops a default port from the request.
				host := strings.TrimSuffix(u.Host, ":80")
				want := upstreamCall{Method: http.MethodPost, Host: host, Path: u.Path + "/chat/completions",
					Model: strings.TrimPrefix(e.LiteLLMParams.Model, "hosted_vllm/")}
				got := stub.snapshot()[before:]
				if !slices.Contains(got, want) {
					t.Errorf("alias %q: the model server got %+v, want %+v", e.ModelName, got, want)
				}
				if wantReply := "stub " + host + u.Path + "/chat/completions"; reply != wantReply {
					t.Errorf("alias %q: reply %q, want %q", e.ModelName, reply, wantReply)
				}
				t.Logf("alias %-8s -> %s %s%s model=%s", e.ModelName, want.Method, want.Host, want.Path, want.Model)
			}
			for _, c := range stub.snapshot() {
				if !strings.HasSuffix(c.Path, "/chat/completions") {
					t.Errorf("LiteLLM sent a request no alias asked for: %+v", c)
				}
			}
		})
	}
}

// startLiteLLM starts the proxy on a free 127.0.0.1 port with dir's
// config.yaml and the stub as its HTTP proxy, waits (bounded) until it
// lists models, and stops it when the test ends, pass or fail; if the test
// binary dies, the kernel kills the proxy (Pdeathsig).
func startLiteLLM(t *testing.T, bin, dir string, stub *upstreamStub) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: stub, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	port := freePort(t)
	logPath := filepath.Join(dir, "litellm.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", filepath.Join(dir, "config.yaml"), "--host", "127.0.0.1", "--port", fmt.Sprint(port))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	proxy := "http://" + l.Addr().String()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		// Every call LiteLLM makes goes to the stub, which answers for the
		// model servers and refuses (and records) anything else.
		"HTTP_PROXY=" + proxy, "http_proxy=" + proxy, "HTTPS_PROXY=" + proxy, "https_proxy=" + proxy,
		"NO_PROXY=", "no_proxy=", "AIOHTTP_TRUST_ENV=True",
		// Offline: the model price map shipped in the package, no telemetry.
		"LITELLM_LOCAL_MODEL_COST_MAP=True", "LITELLM_TELEMETRY=False", "LITELLM_LOG=INFO",
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("litellm log:\n%s", tail(string(b), 40))
		}
	})

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		select {
		case <-done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("litellm exited before it served:\n%s", tail(string(b), 40))
		case <-ctx.Done():
			b, _ := os.ReadFile(logPath)
			t.Fatalf("litellm did not serve /v1/models within 3 minutes:\n%s", tail(string(b), 40))
		case <-time.After(250 * time.Millisecond):
		}
		resp, err := http.Get(base + "/v1/models")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
	}
}

func listModels(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	return ids
}

// chat sends one chat completion for alias through LiteLLM and returns
// the reply's content.
func chat(t *testing.T, base, alias string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"model": alias, "messages": []any{map[string]string{"role": "user", "content": "hi"}}})
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Post(base+"/v1/chat/completions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("alias %q: %v", alias, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("alias %q: LiteLLM answered %s: %s", alias, resp.Status, b)
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(b, &out); err != nil || len(out.Choices) == 0 {
		t.Fatalf("alias %q: reply %s: %v", alias, b, err)
	}
	return out.Choices[0].Message.Content
}

// fleetExample is examples/fleet's models and Platform.
func fleetExample(t *testing.T) ([]*schema.ServedModel, render.Options) {
	t.Helper()
	b, err := os.ReadFile("../examples/fleet/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, errs := decode.Platform(toJSON(t, b))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if b, err = os.ReadFile("../examples/fleet/models.yaml"); err != nil {
		t.Fatal(err)
	}
	var models []*schema.ServedModel
	for _, doc := range bytes.Split(b, []byte("\n---\n")) {
		m, errs := decode.ServedModel(toJSON(t, doc))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		models = append(models, m)
	}
	return models, render.Options{Platform: p}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
