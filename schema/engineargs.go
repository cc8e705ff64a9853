package schema

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// reservedVLLM says why a vLLM option (by destination) is not the user's
// to set: servelayer sets it, or it would take vLLM off the address and
// protocol that probes, Services and routes use. disaggregated adds the KV
// transfer config servelayer sets on both pools; adapters, the LoRA options.
func reservedVLLM(dest string, values []string, s argContext) string {
	switch dest {
	case "enable_lora", "lora_modules", "max_loras", "max_lora_rank":
		if s.adapters {
			return "servelayer sets it from spec.model.adapters and spec.model.adapterLimits; set the adapters and their limits there"
		}
	case "model", "model_tag":
		return "servelayer sets the model's path from spec.model.source; remove it"
	case "served_model_name":
		return "servelayer sets it from spec.model.name (the model id clients call); set the name there"
	case "port":
		return "servelayer sets the port its probes, Service and routes use; remove it"
	case "host":
		if len(values) == 1 && (values[0] == "0.0.0.0" || values[0] == "::") {
			return ""
		}
		return "probes, the Service and the gateway reach vLLM on the pod's IP: vLLM must listen on every interface (no --host, or --host 0.0.0.0, or --host :: for IPv6)"
	case "uds":
		return "vLLM would listen on a Unix socket instead of the port probes, the Service and routes use; remove it"
	case "ssl_keyfile", "ssl_certfile":
		return "probes and routes speak plain HTTP to vLLM; terminate TLS at the gateway instead"
	case "headless":
		return "a headless vLLM serves no API, so nothing answers on the port; remove it"
	case "config":
		return "servelayer cannot see what a config file sets (it could change the model, name or port), and vLLM " + VLLMVersion +
			" refuses a config file without a model when --model is given; pass its options as args"
	case "help":
		return "vLLM prints its help and exits instead of serving; remove it"
	case "kv_transfer_config":
		if s.disaggregated {
			return "with disaggregation servelayer sets --kv-transfer-config on both pools from spec.disaggregation.kvConnector; remove it"
		}
	case "tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size", "data_parallel_size_local", "enable_expert_parallel":
		if s.parallelism {
			return "spec.parallelism (or the pool's) sets the parallel sizes; set them there only"
		}
	case "data_parallel_address", "data_parallel_rpc_port", "data_parallel_start_rank", "data_parallel_rank", "distributed_executor_backend", "data_parallel_backend":
		if s.multiNode {
			return "a replica spans pods, and servelayer wires them together (the leader's address, ranks and backend); remove it"
		}
	}
	return ""
}

// engineArgs checks spec.engine.args as vLLM reads them (ParseVLLMArgs):
// errors for what vLLM refuses and for what overrides what servelayer
// sets, however it is spelled; warnings for flags vLLM VLLMVersion does
// not know, abbreviations, and an API key in plain text.
func engineArgs(s *ServedModelSpec, p *field.Path) (field.ErrorList, []RuleWarning) {
	return checkArgs(s, s.Engine.Args, p)
}

// argContext is what of the model decides which vLLM options are reserved.
type argContext struct{ disaggregated, parallelism, multiNode, adapters bool }

// checkArgs checks args, one pool's or the model's, as engineArgs does.
func checkArgs(s *ServedModelSpec, args []string, p *field.Path) (field.ErrorList, []RuleWarning) {
	ctx := argContext{disaggregated: s.Disaggregation != nil, parallelism: s.HasParallelism(), multiNode: s.MultiNode(), adapters: len(s.Model.Adapters) > 0}
	var errs field.ErrorList
	warns := map[int]RuleWarning{}
	seen := map[int]bool{} // one finding per argument
	for i, a := range args {
		seen[i] = badArg(a) != "" // reported by validateEngine
	}
	at := func(i int) *field.Path { return p.Index(i) }
	parsed, probs := ParseVLLMArgs(args)
	for _, pr := range probs {
		if seen[pr.Index] {
			continue
		}
		seen[pr.Index] = true
		if pr.Warning {
			warns[pr.Index] = RuleWarning{Field: at(pr.Index).String(), Value: pr.Token, Message: pr.Message}
			continue
		}
		errs = append(errs, field.Invalid(at(pr.Index), pr.Token, pr.Message))
	}
	for _, a := range parsed {
		if seen[a.Index] {
			continue
		}
		if why := reservedVLLM(a.Dest, a.Values, ctx); why != "" {
			seen[a.Index] = true
			if a.Dest == "model_tag" {
				errs = append(errs, field.Forbidden(at(a.Index), positionalMessage(a.Token)+why))
				continue
			}
			errs = append(errs, field.Forbidden(at(a.Index), readsAs(a)+why))
			continue
		}
		switch {
		case a.Abbreviated:
			seen[a.Index] = true
			warns[a.Index] = RuleWarning{Field: at(a.Index).String(), Value: a.Token, Message: fmt.Sprintf(
				"vLLM reads %q as %s, an abbreviation that holds only while no other flag starts the same way; write %s", a.Token, a.Option, a.Option)}
		case a.Dest == "api_key":
			seen[a.Index] = true
			warns[a.Index] = RuleWarning{Field: at(a.Index).String(), Value: "(hidden)", Message: "the API key is in plain text in the rendered manifest; " +
				"set VLLM_API_KEY from a Secret instead (spec.engine.env[].secretKeyRef), and give the key to the callers (LiteLLM's entry has none)"}
		}
	}
	var ws []RuleWarning
	for _, i := range slices.Sorted(maps.Keys(warns)) {
		ws = append(ws, warns[i])
	}
	return errs, ws
}

// badArg says why an argument is malformed, or "".
func badArg(a string) string {
	switch {
	case a == "":
		return "must not be empty"
	case strings.ContainsFunc(a, func(r rune) bool { return r == 0 || r == '\n' }) || !utf8.ValidString(a):
		return "must be valid UTF-8 on one line"
	}
	return ""
}

// readsAs says how vLLM reads a flag spelled otherwise than its name.
func readsAs(a VLLMArg) string {
	var how []string
	if a.Abbreviated {
		how = append(how, "an abbreviation")
	}
	if a.Respelled {
		how = append(how, "'_' reads as '-'")
	}
	if a.Dotted {
		how = append(how, "--flag.key=value sets a JSON flag")
	}
	if len(how) == 0 {
		return fmt.Sprintf("%q sets %s: ", a.Token, a.Option)
	}
	return fmt.Sprintf("vLLM reads %q as %s (%s): ", a.Token, a.Option, strings.Join(how, "; "))
}

func positionalMessage(tok string) string {
	msg := fmt.Sprintf("vLLM reads %q, which is no flag's value, as its positional model (it would serve that instead): ", tok)
	if strings.HasPrefix(tok, "-") && strings.Contains(tok, " ") {
		msg = fmt.Sprintf("%q holds a space, so it is one argument that names no flag, and vLLM reads it as its positional model: "+
			"write --flag=value, or the flag and its value as two args; ", tok)
	}
	return msg
}

// modelNameProblem says why a model name cannot be meant, or "".
func modelNameProblem(name string) string {
	switch {
	case strings.HasPrefix(name, "-"):
		return "must not start with '-': vLLM would read the name as a flag"
	case strings.Contains(name, "$(") || strings.Contains(name, "$$"):
		return "must not contain \"$(\" or \"$$\": Kubernetes expands $(VAR) and $$ in the container's command line, so vLLM would serve another name"
	case strings.Contains(name, "{{"):
		return "must not contain \"{{\": KServe's LLMInferenceService controller expands it as a Go template"
	case strings.ContainsAny(name, "\"\\"):
		return "must not contain '\"' or '\\': KServe's LLMInferenceService controller pastes the name into JSON unescaped"
	}
	return ""
}

// EnvRefs are the variables that `$(NAME)` in spec.engine.args refers to
// on purpose: the names of spec.engine.env. Kubernetes expands those; every
// other "$(" in an argument is a literal, which rendering escapes.
func EnvRefs(s *ServedModelSpec) map[string]bool {
	refs := map[string]bool{}
	for _, e := range s.Engine.Env {
		refs[e.Name] = true
	}
	return refs
}

// EngineArgWarnings are the warnings about a valid model's spec.engine.args
// and its pools' engine args (see engineArgs), in argument order.
func EngineArgWarnings(m *ServedModel) []RuleWarning {
	_, ws := engineArgs(&m.Spec, field.NewPath("spec", "engine", "args"))
	for _, v := range m.Spec.Pools() {
		if v.Pool != nil && v.Pool.Engine != nil {
			_, pw := checkArgs(&m.Spec, v.Pool.Engine.Args, fieldPath(v.Path).Child("engine", "args"))
			ws = append(ws, pw...)
		}
	}
	return ws
}
