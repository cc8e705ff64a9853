// Package vllmoracle runs vLLM's own argument parser, the test oracle of
// hack/vllm-oracle, for tests: it says what `vllm serve` reads from a
// command line. It is used by tests only.
//
// The oracle is found through $VLLM_ORACLE (the Python of its venv, which
// `make test` sets and then requires), or else at
// bin/vllm-oracle-<version>/bin/python; without either, tests that need it
// skip and say how to install it (make vllm-oracle).
package vllmoracle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/schema"
)

// Line is one command line to check: Argv follows `vllm serve`, and the
// other fields are what servelayer means vLLM to read from it.
type Line struct {
	ID   string   `json:"id"`
	Argv []string `json:"argv"`
	// Entrypoint is EntrypointServe when the command is `vllm serve` (llm-d's
	// presets), EntrypointImage when Argv are args to the image's
	// ENTRYPOINT (raw-vllm, kserve): then both `vllm serve` and the older
	// api_server module must read Argv as meant.
	Entrypoint       string          `json:"entrypoint"`
	Model            string          `json:"model"`
	Served           string          `json:"served"`
	Port             int             `json:"port"`
	Host             string          `json:"host,omitempty"`
	KVTransferConfig json.RawMessage `json:"kvTransferConfig,omitempty"`
	// LoRA, when set, is the adapters vLLM must serve; unset, LoRA is not
	// checked.
	LoRA *LoRA `json:"lora,omitempty"`
}

// LoRA is what vLLM must read of the LoRA options: --enable-lora on, the
// --lora-modules (name, path) in order, --max-loras, and --max-lora-rank
// (0: vLLM's default).
type LoRA struct {
	Modules  [][2]string `json:"modules"`
	MaxLoras int         `json:"maxLoras"`
	MaxRank  int         `json:"maxRank,omitempty"`
}

// Entrypoints of a Line.
const (
	EntrypointServe = "serve"
	EntrypointImage = "image"
)

// Verdict is the oracle's answer for one Line.
type Verdict struct {
	ID       string         `json:"id"`
	OK       bool           `json:"ok"`
	Problems []string       `json:"problems"`
	Got      map[string]any `json:"got"`
}

// Python returns the oracle's interpreter, or skips t when it is not
// installed and $VLLM_ORACLE is unset. root is the repository root.
func Python(t testing.TB, root string) string {
	t.Helper()
	if p := os.Getenv("VLLM_ORACLE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("VLLM_ORACLE=%s: %v (run make vllm-oracle)", p, err)
		}
		return p
	}
	p := filepath.Join(root, "bin", "vllm-oracle-"+schema.VLLMVersion, "bin", "python")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("vLLM %s's argument parser (the oracle) is not installed: run make vllm-oracle, or make test, which does", schema.VLLMVersion)
	}
	return p
}

func script(root string) string { return filepath.Join(root, "hack", "vllm-oracle", "oracle.py") }

// Flags runs `oracle.py flags`: the option table of schema/vllmflags.txt.
func Flags(t testing.TB, root string) []byte {
	t.Helper()
	cmd := exec.Command(Python(t, root), script(root), "flags")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle flags: %v\n%s", err, stderr.String())
	}
	return out
}

// Check asks the oracle about every line; the verdicts come back by ID.
func Check(t testing.TB, root string, lines []Line) map[string]Verdict {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(Python(t, root), script(root), "check")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle check: %v\n%s", err, stderr.String())
	}
	verdicts := map[string]Verdict{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("oracle check: %v: %s", err, sc.Text())
		}
		verdicts[v.ID] = v
	}
	if len(verdicts) != len(lines) {
		t.Fatalf("oracle check: %d verdicts for %d lines\n%s", len(verdicts), len(lines), stderr.String())
	}
	return verdicts
}

// Expand is Kubernetes' $(VAR) expansion of a container's command, args
// and env values (k8s.io/kubernetes third_party/forked/golang/expansion),
// with vars as the container's environment: what the process receives.
func Expand(in string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		if in[i] != '$' || i+1 == len(in) {
			b.WriteByte(in[i])
			continue
		}
		switch next := in[i+1]; next {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(in[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := in[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
			b.WriteByte(next)
			i++
		}
	}
	return b.String()
}
