package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// PrefixCachingHashAlgo is the block hash the precise-prefix-cache scorer
// computes (llm-d's guide passes it to vLLM; vLLM 0.11's default is sha256).
const PrefixCachingHashAlgo = "sha256_cbor"

// vllmBlockSizes are the KV block sizes vLLM 0.11 accepts (CacheConfig's
// BlockSize).
var vllmBlockSizes = []int32{1, 8, 16, 32, 64, 128}

// Precise reports whether the model uses the precise-prefix-cache profile.
func (s *ServedModelSpec) Precise() bool {
	return s.Scheduler != nil && s.Scheduler.Profile == SchedulerPrecisePrefixCache
}

func validateScheduler(m *ServedModel, p *PlatformSpec, gated bool, sp *field.Path) field.ErrorList {
	sc := m.Spec.Scheduler
	if sc == nil {
		return nil
	}
	path := sp.Child("scheduler")
	if errs := ruleErrors(path.String(), m, p, gated); len(errs) > 0 {
		return errs // the scheduler means nothing on this layer
	}
	var errs field.ErrorList
	switch sc.Profile {
	case "", SchedulerDefault, SchedulerPrecisePrefixCache:
	default:
		return field.ErrorList{field.NotSupported(path.Child("profile"), sc.Profile, []string{string(SchedulerDefault), string(SchedulerPrecisePrefixCache)})}
	}
	precise := sc.Profile == SchedulerPrecisePrefixCache
	if sc.Config != nil && sc.Profile != "" {
		errs = append(errs, field.Forbidden(path.Child("config"), fmt.Sprintf("set profile (%s) or your own config, not both", sc.Profile)))
	}
	if !precise {
		if sc.BlockSize != nil {
			errs = append(errs, field.Forbidden(path.Child("blockSize"), "only the precise-prefix-cache profile has a block size"))
		}
		if sc.HashSeed != "" {
			errs = append(errs, field.Forbidden(path.Child("hashSeed"), "only the precise-prefix-cache profile has a hash seed"))
		}
	}
	if b := sc.BlockSize; b != nil && !slices.Contains(vllmBlockSizes, *b) {
		errs = append(errs, field.Invalid(path.Child("blockSize"), *b, fmt.Sprintf("vLLM %s accepts a block size of %v", VLLMVersion, vllmBlockSizes)))
	}
	if h := sc.HashSeed; h != "" {
		if n, err := strconv.ParseUint(h, 10, 32); err != nil || strconv.FormatUint(n, 10) != h {
			errs = append(errs, field.Invalid(path.Child("hashSeed"), h, "must be a decimal integer from 0 to 4294967295 (what Python reads from PYTHONHASHSEED), without leading zeros"))
		}
	}
	if c := sc.Config; c != nil {
		cp := path.Child("config")
		switch {
		case (c.Inline == nil) == (c.ConfigMapRef == nil):
			errs = append(errs, field.Invalid(cp, "", "set exactly one of inline and configMapRef"))
		case c.Inline != nil:
			var epc struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := json.Unmarshal(c.Inline.Raw, &epc); err != nil || epc.Kind != "EndpointPickerConfig" {
				errs = append(errs, field.Invalid(cp.Child("inline", "kind"), epc.Kind, "must be an EndpointPickerConfig (apiVersion inference.networking.x-k8s.io/v1alpha1)"))
			}
		default:
			rp := cp.Child("configMapRef")
			errs = append(errs, dnsSubdomain(rp.Child("name"), c.ConfigMapRef.Name)...)
			for _, msg := range validation.IsConfigMapKey(c.ConfigMapRef.Key) {
				errs = append(errs, field.Invalid(rp.Child("key"), c.ConfigMapRef.Key, msg))
			}
		}
	}
	if precise && strings.Contains(m.Spec.Model.Name, "@") {
		// llm-d-kv-cache-manager splits the KV events' topic,
		// kv@<pod>@<model>, on '@' and drops what does not give 3 parts.
		errs = append(errs, field.Invalid(field.NewPath("spec", "model", "name"), m.Spec.Model.Name,
			"the precise-prefix-cache scorer reads vLLM's KV events on topic kv@<pod>@<model> and drops a topic whose model holds '@': every lookup would miss"))
	}
	if precise && len(errs) == 0 {
		errs = append(errs, preciseEngine(m)...)
	}
	return errs
}

// preciseEngine checks what the precise-prefix-cache scorer depends on in
// vLLM: the args servelayer sets must not be set otherwise, and
// PYTHONHASHSEED must be the scheduler's hash seed.
func preciseEngine(m *ServedModel) field.ErrorList {
	s := &m.Spec
	sc := s.Scheduler
	var errs field.ErrorList
	check := func(args []string, env []EnvVar, p *field.Path) {
		parsed, _ := ParseVLLMArgs(args)
		for _, a := range parsed {
			at := p.Child("args").Index(a.Index)
			v := ""
			if len(a.Values) > 0 {
				v = a.Values[len(a.Values)-1]
			}
			switch a.Dest {
			case "block_size":
				if v != strconv.Itoa(int(*sc.BlockSize)) {
					errs = append(errs, field.Invalid(at, a.Token, fmt.Sprintf("the precise-prefix-cache scorer hashes blocks of spec.scheduler.blockSize (%d) tokens: set the size there only", *sc.BlockSize)))
				}
			case "prefix_caching_hash_algo":
				if v != PrefixCachingHashAlgo {
					errs = append(errs, field.Invalid(at, a.Token, "the precise-prefix-cache scorer hashes blocks with "+PrefixCachingHashAlgo+", which servelayer sets"))
				}
			case "kv_events_config":
				errs = append(errs, field.Forbidden(at, "with the precise-prefix-cache profile servelayer sets --kv-events-config (vLLM publishes to the endpoint picker); remove it"))
			case "enable_prefix_caching":
				if a.Option == "--no-enable-prefix-caching" {
					errs = append(errs, field.Forbidden(at, "the precise-prefix-cache profile routes by vLLM's prefix cache; remove it"))
				}
			}
		}
		for i, e := range env {
			if e.Name == "PYTHONHASHSEED" && (e.SecretKeyRef != nil || e.Value != sc.HashSeed) {
				errs = append(errs, field.Invalid(p.Child("env").Index(i).Child("value"), e.Value,
					fmt.Sprintf("vLLM seeds its block hashes with PYTHONHASHSEED, which must be spec.scheduler.hashSeed (%q) for the scorer's lookups to hit: set the seed there only", sc.HashSeed)))
			}
		}
	}
	check(s.Engine.Args, s.Engine.Env, field.NewPath("spec", "engine"))
	if d := s.Disaggregation; d != nil {
		for _, pool := range []struct {
			name string
			p    *Pool
		}{{"prefill", &d.Prefill}, {"decode", &d.Decode}} {
			if e := pool.p.Engine; e != nil {
				check(e.Args, e.Env, field.NewPath("spec", "disaggregation", pool.name, "engine"))
			}
		}
	}
	return errs
}
