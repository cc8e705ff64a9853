package schema_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/internal/vllmoracle"
	"github.com/servelayer/servelayer/schema"
)

// nixl is the KV-transfer config servelayer sets with disaggregation.
const nixl = `{"kv_connector":"NixlConnector","kv_role":"kv_both"}`

// argCase is a list of engine args and what servelayer makes of it:
//
//	ok       accepted, and vLLM reads what servelayer meant
//	okWarn   accepted with a warning (want), and vLLM reads what servelayer meant
//	override refused (want); vLLM would read something else, or refuse to start
//	policy   refused (want) although vLLM reads the model, name and port
//	         servelayer meant: it breaks what servelayer renders around vLLM
//	unknown  accepted with a warning (want): vLLM 0.11.0 refuses to start
type argCase struct {
	args     []string
	disagg   bool
	verdict  string
	want     string
	kv, host string // what vLLM reads for these when the user sets them
}

var argCases = []argCase{
	{args: []string{"--max-model-len=8192", "--gpu-memory-utilization", "0.9"}, verdict: "ok"},
	{args: []string{"--enforce-eager", "--max-num-seqs", "8", "--enable-prefix-caching"}, verdict: "ok"},
	{args: []string{"--tensor_parallel_size=1", "-pp", "1", "-O3"}, verdict: "ok"},
	{args: []string{"-O", "3", "--seed", "-1"}, verdict: "ok"},
	{args: []string{"--model-impl", "vllm", "--served-model-name-but-not"}, verdict: "unknown", want: "is not a flag of vLLM 0.11.0"},
	{args: []string{"--lora-modules", "a=/x", "b=/y", "--enable-lora"}, verdict: "ok"},
	{args: []string{"--compilation-config.level=3", "--hf-token"}, verdict: "ok"},
	{args: []string{"--host", "0.0.0.0"}, verdict: "ok", host: "0.0.0.0"},
	{args: []string{"--host=::"}, verdict: "ok", host: "::"},
	{args: []string{"--kv-transfer-config", `{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}`}, verdict: "ok",
		kv: `{"kv_connector":"LMCacheConnectorV1","kv_role":"kv_both"}`},
	{args: []string{"--max-model=8192"}, verdict: "okWarn", want: "an abbreviation that holds only while"},
	{args: []string{"--enforce"}, verdict: "okWarn", want: "write --enforce-eager"},
	{args: []string{"--api-key", "k1"}, verdict: "okWarn", want: "VLLM_API_KEY"},

	{args: []string{"--served-model=x"}, verdict: "override", want: `vLLM reads "--served-model=x" as --served-model-name (an abbreviation)`},
	{args: []string{"--served", "x"}, verdict: "override", want: "as --served-model-name (an abbreviation)"},
	{args: []string{"--served_model_name", "x"}, verdict: "override", want: "'_' reads as '-'"},
	{args: []string{"--served-model-name=x"}, verdict: "override", want: `"--served-model-name=x" sets --served-model-name: servelayer sets it from spec.model.name`},
	{args: []string{"--served-model-name.x=1"}, verdict: "override", want: "--flag.key=value sets a JSON flag"},
	{args: []string{"--served-model-name x"}, verdict: "override", want: "holds a space"},
	{args: []string{"--port=9000"}, verdict: "override", want: "servelayer sets the port"},
	{args: []string{"--por", "9000"}, verdict: "override", want: "as --port (an abbreviation)"},
	{args: []string{"--po=9000"}, verdict: "override", want: "is ambiguous among vLLM 0.11.0's flags (--pooler-config, --port)"},
	{args: []string{"--port 9000"}, verdict: "override", want: "holds a space"},
	{args: []string{"--model=/x"}, verdict: "override", want: "servelayer sets the model's path"},
	{args: []string{"--model", "/x"}, verdict: "override", want: "servelayer sets the model's path"},
	{args: []string{"--mode=/x"}, verdict: "override", want: "is ambiguous"},
	{args: []string{"--enforce-eager", "/other"}, verdict: "override", want: `vLLM reads "/other", which is no flag's value, as its positional model`},
	{args: []string{"/other"}, verdict: "override", want: "as its positional model"},
	{args: []string{"--", "x"}, verdict: "override", want: "ends vLLM's options"},
	{args: []string{"--uds=/tmp/s"}, verdict: "override", want: "Unix socket"},
	{args: []string{"--host", "127.0.0.1"}, verdict: "override", want: "must listen on every interface"},
	{args: []string{"--enforce-eager=true"}, verdict: "override", want: "takes none"},
	{args: []string{"--max-model-len"}, verdict: "override", want: "needs a value"},
	{args: []string{"--served-model-name"}, verdict: "override", want: "needs at least one value"},
	{args: []string{"--help"}, verdict: "override", want: "prints its help"},
	{args: []string{"-h"}, verdict: "override", want: "prints its help"},
	{args: []string{"--config", "/etc/vllm.yaml"}, verdict: "override", want: "cannot see what a config file sets"},
	{args: []string{"--max-len=10"}, verdict: "unknown", want: "is not a flag of vLLM 0.11.0"},
	{args: []string{"--no-such-flag", "1"}, verdict: "unknown", want: "is not a flag of vLLM 0.11.0"},

	{args: []string{"--headless"}, verdict: "policy", want: "serves no API"},
	{args: []string{"--ssl-certfile", "/c", "--ssl-keyfile=/k"}, verdict: "policy", want: "terminate TLS at the gateway"},

	{args: []string{"--max-model-len=4096"}, disagg: true, verdict: "ok"},
	{args: []string{"--kv-transfer-config.kv_role=kv_producer"}, disagg: true, verdict: "override", want: "servelayer sets --kv-transfer-config"},
	{args: []string{"--kv_transfer_config.kv_connector", "X"}, disagg: true, verdict: "override", want: "servelayer sets --kv-transfer-config"},
	{args: []string{"--kv_transfer_config", "{}"}, disagg: true, verdict: "policy", want: "servelayer sets --kv-transfer-config"},
	{args: []string{"--kv-t=" + nixl}, disagg: true, verdict: "policy", want: "as --kv-transfer-config (an abbreviation)"},
	{args: []string{"extra"}, disagg: true, verdict: "override", want: "as its positional model"},
}

func argModel(c argCase) *schema.ServedModel {
	m := &schema.ServedModel{}
	m.APIVersion, m.Kind, m.Name = schema.APIVersion, schema.KindModel, "q"
	m.Spec.Layer = schema.LayerRawVLLM
	m.Spec.Model.Name = "Q/q"
	m.Spec.Model.Source.PVC = &schema.PVCSource{ClaimName: "c", Path: "q"}
	m.Spec.Engine.Args = c.args
	m.Spec.Resources = schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1}
	if c.disagg {
		m.Spec.Layer = schema.LayerLLMD
		m.Spec.Model.Source = schema.ModelSource{HF: "Q/q"}
		m.Spec.Disaggregation = &schema.Disaggregation{}
	}
	p := schema.DefaultPlatform()
	m.Default(&p.Spec)
	return m
}

// verdict is how validation takes c's args: "error", "warning" or "ok",
// with the messages.
func verdict(t *testing.T, c argCase) (string, string) {
	m := argModel(c)
	p := schema.DefaultPlatform()
	if errs := schema.ValidateServedModel(m, &p.Spec, false, nil); len(errs) > 0 {
		return "error", errs.ToAggregate().Error()
	}
	var ws []string
	for _, w := range schema.EngineArgWarnings(m) {
		ws = append(ws, w.Field+": "+w.Message)
	}
	if len(ws) > 0 {
		return "warning", strings.Join(ws, "\n")
	}
	return "ok", ""
}

// TestEngineArgs: each case is refused, warned about or accepted with the
// message it wants, however the flag is spelled.
func TestEngineArgs(t *testing.T) {
	for _, c := range argCases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			got, msg := verdict(t, c)
			want := map[string]string{"ok": "ok", "okWarn": "warning", "unknown": "warning", "override": "error", "policy": "error"}[c.verdict]
			if got != want {
				t.Fatalf("validation says %s, want %s: %s", got, want, msg)
			}
			if !strings.Contains(msg, c.want) {
				t.Errorf("message lacks %q:\n%s", c.want, msg)
			}
		})
	}
}

// TestEngineArgsAgreeWithVLLM checks every case with vLLM 0.11.0's own
// parser (the oracle): what servelayer accepts, vLLM reads as servelayer
// means (the model path, served name, port and KV-transfer config), and
// what it refuses as an override, vLLM indeed reads otherwise or refuses.
func TestEngineArgsAgreeWithVLLM(t *testing.T) {
	var lines []vllmoracle.Line
	for i, c := range argCases {
		l := vllmoracle.Line{ID: fmt.Sprint(i), Served: "Q/q", Port: 8000, Host: c.host}
		if c.disagg {
			l.Entrypoint = vllmoracle.EntrypointServe
			l.Model = "/mnt/models"
			l.Argv = append(append([]string{"/mnt/models", "--served-model-name", "Q/q", "--port", "8000"}, c.args...), "--kv-transfer-config", nixl)
			l.KVTransferConfig = json.RawMessage(nixl)
		} else {
			l.Entrypoint = vllmoracle.EntrypointImage
			l.Model = "/models/q"
			l.Argv = append([]string{"--model=/models/q", "--served-model-name", "Q/q", "--port", "8000"}, c.args...)
			if c.kv != "" {
				l.KVTransferConfig = json.RawMessage(c.kv)
			}
		}
		lines = append(lines, l)
	}
	verdicts := vllmoracle.Check(t, "..", lines)
	for i, c := range argCases {
		v := verdicts[fmt.Sprint(i)]
		wantOK := c.verdict == "ok" || c.verdict == "okWarn" || c.verdict == "policy"
		if v.OK != wantOK {
			t.Errorf("%q (%s): vLLM's parser says ok=%v %v %v", c.args, c.verdict, v.OK, v.Problems, v.Got)
		}
	}
}

// TestVLLMFlagsFresh: schema/vllmflags.txt is what the oracle prints.
func TestVLLMFlagsFresh(t *testing.T) {
	want := vllmoracle.Flags(t, "..")
	got, err := os.ReadFile("vllmflags.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schema/vllmflags.txt is stale: run make vllm-flags")
	}
}

// TestParseVLLMArgsTotal: any arguments parse without a panic, and every
// finding points at one of them.
func TestParseVLLMArgsTotal(t *testing.T) {
	pieces := []string{"-", "--", "-O", "-O.", "-O=", ".", "=", "_", " ", "$(", "{{", "-0.5", "-1", "3",
		"--port", "--served", "-model", "--kv-transfer-config", ".kv_role", "x", "-tp", "-q", "--help", "+", "--no-enforce-eager"}
	seed := uint64(1)
	next := func(n int) int { seed = seed*6364136223846793005 + 1442695040888963407; return int(seed>>33) % n }
	for range 20000 {
		args := make([]string, next(5))
		for i := range args {
			var b strings.Builder
			for range next(4) {
				b.WriteString(pieces[next(len(pieces))])
			}
			args[i] = b.String()
		}
		parsed, probs := schema.ParseVLLMArgs(args)
		for _, p := range probs {
			if p.Index < 0 || p.Index >= len(args) || p.Token != args[p.Index] {
				t.Fatalf("%q: problem at %d (%q)", args, p.Index, p.Token)
			}
		}
		for _, a := range parsed {
			if a.Index < 0 || a.Index >= len(args) {
				t.Fatalf("%q: argument at %d", args, a.Index)
			}
		}
	}
}
