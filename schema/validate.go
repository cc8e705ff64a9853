package schema

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Environment servelayer sets itself (HOME and the offline switches on
// raw-vllm, STORAGE_URI for KServe modelcars); a user copy would fight it.
var reservedEnv = map[string]bool{"HF_HUB_OFFLINE": true, "TRANSFORMERS_OFFLINE": true, "HOME": true, "STORAGE_URI": true}

var (
	digestRE  = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
	ociRepoRE = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-]{1,2}[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?$`)
	hfRepoRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)
	pvcPathRE = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
)

// ValidatePlatform checks a Platform and returns every problem at once.
func ValidatePlatform(p *Platform) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(p.APIVersion, p.Kind, KindPlatform)...)
	s := &p.Spec
	sp := field.NewPath("spec")
	if s.GPUs != nil && *s.GPUs < 0 {
		errs = append(errs, field.Invalid(sp.Child("gpus"), *s.GPUs, "must be 0 or more"))
	}
	nsp := sp.Child("namespaces")
	for _, n := range []struct {
		name, v string
	}{{"rawVLLM", s.Namespaces.RawVLLM}, {"kserve", s.Namespaces.KServe}, {"llmd", s.Namespaces.LLMD}} {
		if n.v != "" {
			errs = append(errs, dnsLabel(nsp.Child(n.name), n.v)...)
		}
	}
	errs = append(errs, validateGPUNodes(sp.Child("gpuNodes"), &s.GPUNodes)...)
	errs = append(errs, validateGPUClasses(sp.Child("gpuClasses"), s.GPUClasses)...)
	if m := s.KServe.DeploymentMode; m != "" && m != DeploymentModeStandard && m != DeploymentModeKnative {
		errs = append(errs, field.NotSupported(sp.Child("kserve", "deploymentMode"), m, []DeploymentMode{DeploymentModeStandard, DeploymentModeKnative}))
	}
	if v := s.LiteLLM.Namespace; v != "" {
		errs = append(errs, dnsLabel(sp.Child("litellm", "namespace"), v)...)
	}
	if v := s.LiteLLM.ConfigMap; v != "" {
		errs = append(errs, dnsSubdomain(sp.Child("litellm", "configMap"), v)...)
	}
	for _, g := range []struct {
		layer string
		gw    Gateway
	}{{"kserve", Gateway(s.KServe.Gateway)}, {"llmd", s.LLMD.Gateway}} {
		gp := sp.Child(g.layer, "gateway")
		if g.gw.Name != "" {
			errs = append(errs, dnsSubdomain(gp.Child("name"), g.gw.Name)...)
		}
		if g.gw.Namespace != "" {
			errs = append(errs, dnsLabel(gp.Child("namespace"), g.gw.Namespace)...)
		}
		if g.gw.ClassName != "" {
			errs = append(errs, dnsSubdomain(gp.Child("className"), g.gw.ClassName)...)
		}
		if u := g.gw.URL; u != "" {
			errs = append(errs, gatewayURL(gp.Child("url"), u)...)
		}
	}
	if u := s.Prometheus.URL; u != "" {
		errs = append(errs, gatewayURL(sp.Child("prometheus", "url"), u)...)
	}
	errs = append(errs, validateArgoCD(sp.Child("argocd"), s.ArgoCD)...)
	for _, img := range []struct {
		name, v string
	}{{"vllm", s.Images.VLLM}, {"init", s.Images.Init}} {
		if img.v != "" {
			errs = append(errs, imageRef(sp.Child("images", img.name), img.v)...)
		}
	}
	return errs
}

// ValidateServedModel checks a defaulted ServedModel against a defaulted
// Platform and returns every problem at once: the fields' own rules, and
// the rows of the field-versus-layer table (Rules) that refuse the model's
// layer. gated says whether the Platform was given by the user, so rules
// about cluster facts apply. Feature gates and each layer's own checks
// (such as name lengths) are the layer's, and render runs them.
//
// Layer auto passes only the layer-independent checks: render resolves it
// to a concrete layer first (render.ChooseLayer) and validates that.
func ValidateServedModel(m *ServedModel, p *PlatformSpec, gated bool, layer *LayerFacts) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(m.APIVersion, m.Kind, KindModel)...)
	s := &m.Spec
	sp := field.NewPath("spec")

	layerOK := false
	for _, l := range LayerValues {
		layerOK = layerOK || s.Layer == l
	}
	switch {
	case s.Layer == "":
		errs = append(errs, field.Required(sp.Child("layer"), "one of "+strings.Join(layerStrings(), ", ")))
	case !layerOK:
		errs = append(errs, field.NotSupported(sp.Child("layer"), s.Layer, layerStrings()))
	case layer != nil && !layer.Enabled:
		errs = append(errs, field.Forbidden(sp.Child("layer"), fmt.Sprintf(
			"layer %q is disabled by the Platform (spec.features.%s is false); enable it there or choose another layer", s.Layer, layer.Gate)))
	}

	errs = append(errs, validateMeta(m, layer)...)
	errs = append(errs, validateModel(m, p, gated, sp.Child("model"))...)
	errs = append(errs, validateCredentials(m, p, gated, sp.Child("model", "credentials"))...)
	errs = append(errs, validateEngine(m, p, gated, sp.Child("engine"))...)
	errs = append(errs, validateStartup(m, p, gated, sp.Child("engine", "startupTimeoutSeconds"))...)
	errs = append(errs, validateResources(&s.Resources, sp.Child("resources"))...)
	errs = append(errs, validateSharedMemory(&s.Resources, sp.Child("resources"))...)
	errs = append(errs, validateGPUClassChoice(&s.Resources, p, sp.Child("resources"))...)
	errs = append(errs, ruleErrors("spec.resources.gpus", m, p, gated)...)
	errs = append(errs, validateParallelism(s.Parallelism, sp.Child("parallelism"))...)
	errs = append(errs, ruleErrors("spec.parallelism", m, p, gated)...)
	errs = append(errs, ruleErrors("spec.model.source.pvc.provision.accessMode", m, p, gated)...)
	errs = append(errs, validateReplicas(m, p, gated, sp)...)
	errs = append(errs, validateRollout(m, p, gated, sp)...)
	errs = append(errs, validateDisaggregation(m, p, gated, sp)...)
	errs = append(errs, validateNetwork(m, p, gated)...)
	if r := s.Routing; r != nil {
		errs = append(errs, printable(sp.Child("routing", "alias"), r.Alias, 256)...)
	}
	errs = append(errs, validateScheduler(m, p, gated, sp)...)
	errs = append(errs, validatePod(m, p, gated, sp.Child("pod"))...)
	errs = append(errs, validateDisruptionBudget(m, p, gated, sp.Child("disruptionBudget"))...)
	return errs
}

// LayerFacts are what validation needs to know of the model's layer: they
// come from the layer's home (render reads them from its registry).
// +kubebuilder:object:generate=false
type LayerFacts struct {
	// Gate is the layer's field under Platform spec.features ("" when it
	// is always on); Enabled says whether the Platform turns it on.
	Gate    string
	Enabled bool
	// NameSuffix is the longest suffix the layer's control plane appends
	// to the model's name when it names child objects.
	NameSuffix string
}

func validateTypeMeta(apiVersion, kind, want string) field.ErrorList {
	var errs field.ErrorList
	if apiVersion != APIVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), apiVersion, "must be "+APIVersion))
	}
	if kind != want {
		errs = append(errs, field.Invalid(field.NewPath("kind"), kind, "must be "+want))
	}
	return errs
}

func validateMeta(m *ServedModel, layer *LayerFacts) field.ErrorList {
	var errs field.ErrorList
	mp := field.NewPath("metadata")
	name := m.Name
	if name == "" {
		return append(errs, field.Required(mp.Child("name"), "a DNS-1035 label, such as qwen"))
	}
	for _, msg := range validation.IsDNS1035Label(name) {
		errs = append(errs, field.Invalid(mp.Child("name"), name, msg))
	}
	if layer != nil && len(errs) == 0 && len(name+layer.NameSuffix) > validation.DNS1035LabelMaxLength {
		max := validation.DNS1035LabelMaxLength - len(layer.NameSuffix)
		errs = append(errs, field.Invalid(mp.Child("name"), name, fmt.Sprintf(
			"must be no more than %d characters on layer %s, which names child objects %s%s (63-character DNS label limit)",
			max, m.Spec.Layer, name, layer.NameSuffix)))
	}
	if m.Namespace != "" {
		errs = append(errs, dnsLabel(mp.Child("namespace"), m.Namespace)...)
	}
	return errs
}

func validateModel(m *ServedModel, pl *PlatformSpec, gated bool, p *field.Path) field.ErrorList {
	s := &m.Spec
	var errs field.ErrorList
	if s.Model.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "the served model name, such as Qwen/Qwen2.5-0.5B-Instruct"))
	} else {
		nameErrs := printable(p.Child("name"), s.Model.Name, 256)
		errs = append(errs, nameErrs...)
		if why := modelNameProblem(s.Model.Name); why != "" && len(nameErrs) == 0 {
			errs = append(errs, field.Invalid(p.Child("name"), s.Model.Name, why))
		}
	}
	src := s.Model.Source
	sp := p.Child("source")
	set := 0
	for _, b := range []bool{src.PVC != nil, src.OCI != "", src.HF != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, field.Invalid(sp, sourceKinds(src), "set exactly one of pvc, oci, hf"))
	}
	if v := src.PVC; v != nil {
		pp := sp.Child("pvc")
		if v.ClaimName == "" {
			errs = append(errs, field.Required(pp.Child("claimName"), "the PersistentVolumeClaim holding the weights"))
		} else {
			errs = append(errs, dnsSubdomain(pp.Child("claimName"), v.ClaimName)...)
		}
		errs = append(errs, validatePVCPath(pp.Child("path"), v.Path)...)
		if pr := v.Provision; pr != nil {
			if serrs := positiveQuantity(pp.Child("provision", "size"), pr.Size, true); len(serrs) > 0 {
				errs = append(errs, serrs...)
			} else {
				errs = append(errs, bytesQuantity(pp.Child("provision", "size"), pr.Size)...)
			}
			if pr.StorageClassName != "" {
				errs = append(errs, dnsSubdomain(pp.Child("provision", "storageClassName"), pr.StorageClassName)...)
			}
			switch pr.AccessMode {
			case "", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany":
			default:
				errs = append(errs, field.NotSupported(pp.Child("provision", "accessMode"), pr.AccessMode,
					[]string{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"}))
			}
		}
	}
	if v := src.PVC; v != nil && v.Stage != nil {
		errs = append(errs, validateStage(sp.Child("pvc", "stage"), v.Stage, m.Name)...)
	}
	if src.OCI != "" {
		op := sp.Child("oci")
		errs = append(errs, validateOCI(op, src.OCI)...)
		errs = append(errs, ruleErrors(op.String(), m, pl, gated)...)
	}
	if src.HF != "" {
		hp := sp.Child("hf")
		repo := strings.TrimPrefix(src.HF, "hf://")
		if !hfRepoRE.MatchString(repo) || strings.Contains(repo, "..") || strings.HasSuffix(repo, ".git") {
			errs = append(errs, field.Invalid(hp, src.HF, "must be a Hugging Face repo id org/name (letters, digits, '.', '_', '-'), optionally prefixed hf://"))
		}
		errs = append(errs, ruleErrors(hp.String(), m, pl, gated)...)
	}
	return append(errs, validateAdapters(m, pl, gated, p)...)
}

// validateAdapters checks spec.model.adapters and adapterLimits: names
// vLLM's --lora-modules name=path can carry, one source each, aliases
// distinct from each other and from the model's.
func validateAdapters(m *ServedModel, pl *PlatformSpec, gated bool, p *field.Path) field.ErrorList {
	s := &m.Spec
	var errs field.ErrorList
	ap := p.Child("adapters")
	names := map[string]int{}
	aliases := map[string]string{}
	if s.Routing != nil {
		aliases[s.Routing.Alias] = "spec.routing.alias"
	}
	for i, a := range s.Model.Adapters {
		ip := ap.Index(i)
		if a.Name == "" {
			errs = append(errs, field.Required(ip.Child("name"), "the adapter's model id, which clients send as \"model\""))
		} else if nerrs := printable(ip.Child("name"), a.Name, 256); len(nerrs) > 0 {
			errs = append(errs, nerrs...)
		} else if why := adapterTextProblem(a.Name); why != "" {
			errs = append(errs, field.Invalid(ip.Child("name"), a.Name, why))
		} else if a.Name == s.Model.Name {
			errs = append(errs, field.Invalid(ip.Child("name"), a.Name, "is the base model's name (spec.model.name): clients could not tell the two apart"))
		} else if j, dup := names[a.Name]; dup {
			errs = append(errs, field.Duplicate(ip.Child("name"), a.Name))
			errs[len(errs)-1].Detail = fmt.Sprintf("already the name of spec.model.adapters[%d]; vLLM would serve one of them under it", j)
		} else {
			names[a.Name] = i
		}
		set := 0
		for _, b := range []bool{a.Path != "", a.HF != "", a.OCI != ""} {
			if b {
				set++
			}
		}
		if set != 1 {
			errs = append(errs, field.Invalid(ip, a.Name, "set exactly one of path, hf, oci"))
		}
		switch {
		case a.Path != "":
			pp := ip.Child("path")
			errs = append(errs, validatePVCPath(pp, a.Path)...)
			if s.Model.Source.PVC == nil {
				errs = append(errs, field.Invalid(pp, a.Path, "is a path on the model's claim, but spec.model.source is not a pvc; use hf (llm-d) or stage the model on a claim"))
			}
		case a.HF != "":
			repo := strings.TrimPrefix(a.HF, "hf://")
			if !hfRepoRE.MatchString(repo) || strings.Contains(repo, "..") || strings.HasSuffix(repo, ".git") {
				errs = append(errs, field.Invalid(ip.Child("hf"), a.HF, "must be a Hugging Face repo id org/name (letters, digits, '.', '_', '-'), optionally prefixed hf://"))
			}
		case a.OCI != "":
			errs = append(errs, validateOCI(ip.Child("oci"), a.OCI)...)
		}
		if a.Alias != "" {
			errs = append(errs, printable(ip.Child("alias"), a.Alias, 256)...)
		}
		if s.Routing != nil && a.Name != "" {
			alias := a.AliasOrName()
			path := ip.Child("alias").String()
			if prev, ok := aliases[alias]; ok {
				errs = append(errs, field.Duplicate(ip.Child("alias"), alias))
				errs[len(errs)-1].Detail = "already the LiteLLM alias of " + prev + "; give the adapter its own alias"
			} else {
				aliases[alias] = path
			}
		}
	}
	errs = append(errs, ruleErrors(ap.String(), m, pl, gated)...)
	if l := s.Model.AdapterLimits; l != nil {
		lp := p.Child("adapterLimits")
		if len(s.Model.Adapters) == 0 {
			errs = append(errs, field.Forbidden(lp, "applies only with spec.model.adapters; remove it or add adapters"))
		}
		if r := l.MaxRank; r != nil && !slices.Contains(LoRARanks, *r) {
			errs = append(errs, field.Invalid(lp.Child("maxRank"), *r, "must be one of "+strings.Join(loraRankStrings(), ", ")+" (vLLM refuses other ranks)"))
		}
		if n := l.MaxLoaded; n != nil && (*n < 1 || *n > 64) {
			errs = append(errs, field.Invalid(lp.Child("maxLoaded"), *n, "must be between 1 and 64"))
		}
	}
	return errs
}

// LoRARanks are the values vLLM 0.11.0 accepts for --max-lora-rank
// (vllm/config/lora.py possible_max_ranks).
var LoRARanks = []int32{8, 16, 32, 64, 128, 256, 320, 512}

func loraRankStrings() []string {
	out := make([]string, len(LoRARanks))
	for i, r := range LoRARanks {
		out[i] = fmt.Sprint(r)
	}
	return out
}

// adapterTextProblem: vLLM reads --lora-modules name=path only without
// ',' and with one '=', and a leading '-' as a flag.
func adapterTextProblem(v string) string {
	if strings.ContainsAny(v, ",= ") {
		return "must not contain ',', '=' or a space: vLLM reads --lora-modules name=path"
	}
	return modelNameProblem(v)
}

// AliasOrName is the adapter's LiteLLM alias: its alias, or its name.
func (a *Adapter) AliasOrName() string {
	if a.Alias != "" {
		return a.Alias
	}
	return a.Name
}

func sourceKinds(src ModelSource) string {
	var set []string
	if src.PVC != nil {
		set = append(set, "pvc")
	}
	if src.OCI != "" {
		set = append(set, "oci")
	}
	if src.HF != "" {
		set = append(set, "hf")
	}
	if len(set) == 0 {
		return "none set"
	}
	return strings.Join(set, ", ")
}

func validatePVCPath(p *field.Path, v string) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "the weights' directory inside the claim, such as qwen")}
	case strings.HasPrefix(v, "/"):
		return field.ErrorList{field.Invalid(p, v, "must be relative to the claim's root")}
	case !pvcPathRE.MatchString(v):
		return field.ErrorList{field.Invalid(p, v, "may contain only letters, digits, '.', '_', '-' and '/' separators")}
	}
	for _, seg := range strings.Split(v, "/") {
		if seg == ".." || seg == "." {
			return field.ErrorList{field.Invalid(p, v, "must not contain '.' or '..' segments (path traversal)")}
		}
	}
	if path.Clean(v) != v {
		return field.ErrorList{field.Invalid(p, v, "must be a clean path")}
	}
	return nil
}

// SplitOCI splits an oci source into repository (with any tag) and digest.
func SplitOCI(v string) (repo, digest string) {
	ref := strings.TrimPrefix(v, "oci://")
	repo, digest, _ = strings.Cut(ref, "@")
	return repo, digest
}

func validateEngine(m *ServedModel, pl *PlatformSpec, gated bool, p *field.Path) field.ErrorList {
	s := &m.Spec
	var errs field.ErrorList
	// Defaulting gives every layer but llm-d (whose presets bring one) an image.
	if s.Engine.Image != "" {
		errs = append(errs, imageRef(p.Child("image"), s.Engine.Image)...)
	}
	errs = append(errs, validateArgs(s, s.Engine.Args, p.Child("args"))...)
	errs = append(errs, validateEnv(s.Engine.Env, p.Child("env"))...)
	return append(errs, ruleErrors(p.Child("args").String(), m, pl, gated)...)
}

// validateArgs checks one list of engine args, the model's or a pool's.
func validateArgs(s *ServedModelSpec, args []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, a := range args {
		if why := badArg(a); why != "" {
			errs = append(errs, field.Invalid(p.Index(i), a, why))
		}
	}
	argErrs, _ := checkArgs(s, args, p)
	return append(errs, argErrs...)
}

// validateEnv checks one list of engine env, the model's or a pool's.
func validateEnv(env []EnvVar, ep *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, e := range env {
		p := ep.Index(i)
		if ref := e.SecretKeyRef; ref != nil {
			rp := p.Child("secretKeyRef")
			if e.Value != "" {
				errs = append(errs, field.Forbidden(rp, "set value or secretKeyRef, not both"))
			}
			errs = append(errs, dnsSubdomain(rp.Child("name"), ref.Name)...)
			for _, msg := range validation.IsConfigMapKey(ref.Key) {
				errs = append(errs, field.Invalid(rp.Child("key"), ref.Key, msg))
			}
		}
		np := p.Child("name")
		switch {
		case !envNameRE.MatchString(e.Name):
			errs = append(errs, field.Invalid(np, e.Name, "must be a C identifier-like environment variable name"))
		case seen[e.Name]:
			errs = append(errs, field.Duplicate(np, e.Name))
		case reservedEnv[e.Name]:
			errs = append(errs, field.Forbidden(np, e.Name+" is set by servelayer; remove it"))
		}
		seen[e.Name] = true
	}
	return errs
}

func validateResources(r *Resources, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, positiveQuantity(p.Child("cpu"), r.CPU, true)...)
	if merrs := positiveQuantity(p.Child("memory"), r.Memory, true); len(merrs) > 0 {
		errs = append(errs, merrs...)
	} else {
		errs = append(errs, bytesQuantity(p.Child("memory"), r.Memory)...)
	}
	if r.GPUs < 0 || r.GPUs > 64 {
		errs = append(errs, field.Invalid(p.Child("gpus"), r.GPUs, "must be between 0 and 64"))
	}
	if r.Limits == nil {
		return errs
	}
	lp := p.Child("limits")
	for _, c := range []struct {
		name     string
		req, lim Quantity
	}{{"cpu", r.CPU, r.Limits.CPU}, {"memory", r.Memory, r.Limits.Memory}} {
		if c.lim == c.req { // defaulted from the request, already checked
			continue
		}
		lerrs := positiveQuantity(lp.Child(c.name), c.lim, false)
		if c.name == "memory" && len(lerrs) == 0 {
			lerrs = bytesQuantity(lp.Child(c.name), c.lim)
		}
		errs = append(errs, lerrs...)
		req, rerr := c.req.Parse()
		lim, lerr := c.lim.Parse()
		if len(lerrs) == 0 && rerr == nil && lerr == nil && c.lim.IsSet() && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(lp.Child(c.name), string(c.lim),
				fmt.Sprintf("must be at least the request %s (%s)", p.Child(c.name), c.req)))
		}
	}
	return errs
}

func validateReplicas(m *ServedModel, p *PlatformSpec, gated bool, sp *field.Path) field.ErrorList {
	s := &m.Spec
	var errs field.ErrorList
	if s.Replicas != nil && (*s.Replicas < 0 || *s.Replicas > 1000) {
		errs = append(errs, field.Invalid(sp.Child("replicas"), *s.Replicas, "must be between 0 and 1000"))
	}
	sc := s.Scaling
	if sc == nil {
		return append(errs, ruleErrors(sp.Child("replicas").String(), m, p, gated)...)
	}
	scp := sp.Child("scaling")
	if s.Replicas != nil {
		errs = append(errs, field.Forbidden(scp, fmt.Sprintf("replicas (%d) and scaling (maxReplicas %d) are mutually exclusive; remove spec.replicas or spec.scaling", *s.Replicas, sc.MaxReplicas)))
	}
	errs = append(errs, ruleErrors(scp.String(), m, p, gated)...)
	min := int32(1)
	if sc.MinReplicas != nil {
		min = *sc.MinReplicas
	}
	if min < 0 || min > 1000 {
		errs = append(errs, field.Invalid(scp.Child("minReplicas"), min, "must be between 0 and 1000"))
	}
	if sc.MaxReplicas < 1 || sc.MaxReplicas > 1000 {
		errs = append(errs, field.Invalid(scp.Child("maxReplicas"), sc.MaxReplicas, "must be between 1 and 1000"))
	} else if sc.MaxReplicas < min {
		errs = append(errs, field.Invalid(scp.Child("maxReplicas"), sc.MaxReplicas, fmt.Sprintf("must be at least minReplicas (%d)", min)))
	}
	errs = append(errs, validateMetric(sc, scp)...)
	errs = append(errs, ruleErrors(scp.Child("metric").String(), m, p, gated)...)
	return append(errs, ruleErrors(scp.Child("minReplicas").String(), m, p, gated)...)
}

// validateMetric checks spec.scaling's metric and target, which go together.
func validateMetric(sc *Scaling, scp *field.Path) field.ErrorList {
	mp, tp := scp.Child("metric"), scp.Child("target")
	switch {
	case sc.Metric == "" && sc.Target == "":
		return nil
	case sc.Metric == "":
		return field.ErrorList{field.Required(mp, "target "+sc.Target+" needs the metric it is a target for: one of "+metricStrings())}
	case !slices.Contains(ScalingMetrics, sc.Metric):
		return field.ErrorList{field.NotSupported(mp, sc.Metric, strings.Split(metricStrings(), ", "))}
	case sc.Target == "":
		return field.ErrorList{field.Required(tp, "the value of "+string(sc.Metric)+" per replica to scale at, such as \""+exampleTarget(sc.Metric)+"\"")}
	}
	v, err := strconv.ParseFloat(sc.Target, 64)
	switch {
	case !targetRE.MatchString(sc.Target) || err != nil:
		return field.ErrorList{field.Invalid(tp, sc.Target, "must be a decimal number such as \""+exampleTarget(sc.Metric)+"\" (up to 9 digits, and 6 after the point)")}
	case v <= 0:
		return field.ErrorList{field.Invalid(tp, sc.Target, "must be above 0: a target of 0 scales to maxReplicas at any load")}
	case sc.Metric == MetricKVCacheUsage && v > 1:
		return field.ErrorList{field.Invalid(tp, sc.Target, "kv-cache-usage is a fraction of the KV cache (vllm:kv_cache_usage_perc, 1 = full): use a value up to 1, such as \"0.8\"")}
	}
	return nil
}

var targetRE = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,6})?$`)

func metricStrings() string {
	s := make([]string, len(ScalingMetrics))
	for i, m := range ScalingMetrics {
		s[i] = string(m)
	}
	return strings.Join(s, ", ")
}

func exampleTarget(m ScalingMetric) string {
	switch m {
	case MetricKVCacheUsage:
		return "0.8"
	case MetricTokensPerSecond:
		return "500"
	}
	return "4"
}

// VLLMMetric reports whether m is read from vLLM's own /metrics, which only
// a Prometheus query reaches (not Knative's autoscaler).
func VLLMMetric(m ScalingMetric) bool {
	switch m {
	case MetricRequestsWaiting, MetricRequestsRunning, MetricKVCacheUsage, MetricTokensPerSecond:
		return true
	}
	return false
}

func validateRollout(m *ServedModel, p *PlatformSpec, gated bool, sp *field.Path) field.ErrorList {
	r := m.Spec.Rollout
	if r == nil || r.CanaryTrafficPercent == nil {
		return nil
	}
	cp := sp.Child("rollout", "canaryTrafficPercent")
	if v := *r.CanaryTrafficPercent; v < 0 || v > 100 {
		return field.ErrorList{field.Invalid(cp, v, "must be between 0 and 100")}
	}
	return ruleErrors(cp.String(), m, p, gated)
}

func validateDisaggregation(m *ServedModel, p *PlatformSpec, gated bool, sp *field.Path) field.ErrorList {
	s := &m.Spec
	d := s.Disaggregation
	if d == nil {
		return nil
	}
	dp := sp.Child("disaggregation")
	if errs := ruleErrors(dp.String(), m, p, gated); len(errs) > 0 {
		return errs // the pools mean nothing on this layer
	}
	var errs field.ErrorList
	sideChannel := func(env []EnvVar, ep *field.Path) {
		for i, e := range env {
			if e.Name == "VLLM_NIXL_SIDE_CHANNEL_HOST" {
				errs = append(errs, field.Forbidden(ep.Index(i).Child("name"), "with disaggregation servelayer sets VLLM_NIXL_SIDE_CHANNEL_HOST to the pod IP; remove it"))
			}
		}
	}
	sideChannel(s.Engine.Env, sp.Child("engine", "env"))
	if d.KVConnector != KVConnectorNIXL {
		errs = append(errs, field.NotSupported(dp.Child("kvConnector"), d.KVConnector, []string{string(KVConnectorNIXL)}))
	}
	if s.Replicas != nil {
		errs = append(errs, field.Forbidden(sp.Child("replicas"), "with disaggregation, set spec.disaggregation.decode.replicas and spec.disaggregation.prefill.replicas instead"))
	}
	if s.Scaling != nil {
		errs = append(errs, field.Forbidden(sp.Child("scaling"), "with disaggregation, pools have fixed replicas (spec.disaggregation.*.replicas)"))
	}
	for _, pool := range []struct {
		name string
		p    *Pool
	}{{"prefill", &d.Prefill}, {"decode", &d.Decode}} {
		pp := dp.Child(pool.name)
		errs = append(errs, validateParallelism(pool.p.Parallelism, pp.Child("parallelism"))...)
		if e := pool.p.Engine; e != nil {
			errs = append(errs, validateArgs(s, e.Args, pp.Child("engine", "args"))...)
			errs = append(errs, validateEnv(e.Env, pp.Child("engine", "env"))...)
			sideChannel(e.Env, pp.Child("engine", "env"))
		}
		if r := pool.p.Replicas; r != nil && (*r < 0 || *r > 1000) {
			errs = append(errs, field.Invalid(pp.Child("replicas"), *r, "must be between 0 and 1000"))
		}
		if pool.p.Resources != nil {
			errs = append(errs, validateResources(pool.p.Resources, pp.Child("resources"))...)
			if pool.p.Resources.SharedMemory != s.Resources.SharedMemory { // defaulted from the model's, already checked
				errs = append(errs, validateSharedMemory(pool.p.Resources, pp.Child("resources"))...)
			}
			if pool.p.Resources.GPUClass != s.Resources.GPUClass { // an inherited class was checked with the model's resources
				errs = append(errs, validateGPUClassChoice(pool.p.Resources, p, pp.Child("resources"))...)
			}
		}
	}
	return errs
}

func positiveQuantity(p *field.Path, q Quantity, required bool) field.ErrorList {
	if !q.IsSet() {
		if required {
			return field.ErrorList{field.Required(p, "a quantity such as 4, 500m or 16Gi")}
		}
		return nil
	}
	v, err := q.Parse()
	if err != nil {
		return field.ErrorList{field.Invalid(p, string(q), "must be a Kubernetes quantity such as 4, 500m or 16Gi")}
	}
	if v.Sign() <= 0 {
		return field.ErrorList{field.Invalid(p, string(q), "must be greater than zero")}
	}
	if v.Cmp(resource.MustParse("1Ei")) > 0 {
		return field.ErrorList{field.Invalid(p, string(q), "is implausibly large")}
	}
	return nil
}

func printable(p *field.Path, v string, max int) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "")}
	case utf8.RuneCountInString(v) > max: // characters, as the CRD's maxLength counts
		return field.ErrorList{field.Invalid(p, v, fmt.Sprintf("must be no more than %d characters", max))}
	case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		return field.ErrorList{field.Invalid(p, v, "must be printable UTF-8 without spaces")}
	}
	return nil
}

func dnsLabel(p *field.Path, v string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func dnsSubdomain(p *field.Path, v string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func layerStrings() []string {
	out := make([]string, len(LayerValues))
	for i, l := range LayerValues {
		out[i] = string(l)
	}
	return out
}

func validateStartup(m *ServedModel, p *PlatformSpec, gated bool, fp *field.Path) field.ErrorList {
	t := m.Spec.Engine.StartupTimeoutSeconds
	if t == nil {
		return nil
	}
	if *t < 60 || *t > 86400 {
		return field.ErrorList{field.Invalid(fp, *t, "must be between 60 and 86400 (seconds)")}
	}
	return ruleErrors(fp.String(), m, p, gated)
}

// validateSharedMemory checks /dev/shm's size: a quantity that fits in the
// memory limit, which a memory-backed volume counts against.
func validateSharedMemory(r *Resources, p *field.Path) field.ErrorList {
	if !r.SharedMemory.IsSet() {
		return nil
	}
	fp := p.Child("sharedMemory")
	if errs := positiveQuantity(fp, r.SharedMemory, false); len(errs) > 0 {
		return errs
	}
	shm, _ := r.SharedMemory.Parse()
	lim := r.Memory
	if r.Limits != nil && r.Limits.Memory.IsSet() {
		lim = r.Limits.Memory
	}
	if l, err := lim.Parse(); err == nil && shm.Cmp(l) >= 0 {
		return field.ErrorList{field.Invalid(fp, string(r.SharedMemory), fmt.Sprintf(
			"must be less than the memory limit (%s): /dev/shm is memory-backed and counts against it, so vLLM would be OOM-killed before it filled", lim))}
	}
	return nil
}

// validateGPUNodes checks one GPU class: the default (spec.gpuNodes) or a
// spec.gpuClasses entry.
func validateGPUNodes(gp *field.Path, g *GPUNodes) field.ErrorList {
	var errs field.ErrorList
	if g.GPUsPerNode != nil && *g.GPUsPerNode < 0 {
		errs = append(errs, field.Invalid(gp.Child("gpusPerNode"), *g.GPUsPerNode, "must be 0 or more"))
	}
	if r := g.Resource; r != "" {
		for _, msg := range validation.IsQualifiedName(r) {
			errs = append(errs, field.Invalid(gp.Child("resource"), r, msg))
		}
		if !strings.Contains(r, "/") {
			errs = append(errs, field.Invalid(gp.Child("resource"), r, "must be a domain-prefixed extended resource such as nvidia.com/gpu"))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(g.NodeSelector)) { // sorted: output must not depend on map order
		v := g.NodeSelector[k]
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(gp.Child("nodeSelector").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(gp.Child("nodeSelector").Key(k), v, msg))
		}
	}
	for i, t := range g.Tolerations {
		tp := gp.Child("tolerations").Index(i)
		switch t.Operator {
		case "", "Equal":
			if t.Key == "" {
				errs = append(errs, field.Required(tp.Child("key"), "operator Equal needs a key"))
			}
		case "Exists":
			if t.Value != "" {
				errs = append(errs, field.Invalid(tp.Child("value"), t.Value, "must be empty with operator Exists"))
			}
		default:
			errs = append(errs, field.NotSupported(tp.Child("operator"), t.Operator, []string{"Exists", "Equal"}))
		}
		switch t.Effect {
		case "", "NoSchedule", "PreferNoSchedule", "NoExecute":
		default:
			errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}))
		}
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(tp.Child("key"), t.Key, msg))
			}
		}
	}
	if a := g.Affinity; a != nil && a.NodeAffinity != nil {
		ap := gp.Child("affinity", "nodeAffinity")
		na := a.NodeAffinity
		if r := na.RequiredDuringSchedulingIgnoredDuringExecution; r != nil {
			rp := ap.Child("requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
			if len(r.NodeSelectorTerms) == 0 {
				errs = append(errs, field.Required(rp, "at least one term"))
			}
			for i, t := range r.NodeSelectorTerms {
				errs = append(errs, validateNodeSelectorTerm(rp.Index(i), t)...)
			}
		}
		for i, t := range na.PreferredDuringSchedulingIgnoredDuringExecution {
			tp := ap.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i)
			if t.Weight < 1 || t.Weight > 100 {
				errs = append(errs, field.Invalid(tp.Child("weight"), t.Weight, "must be between 1 and 100"))
			}
			errs = append(errs, validateNodeSelectorTerm(tp.Child("preference"), t.Preference)...)
		}
	}
	return errs
}

func validateNodeSelectorTerm(tp *field.Path, t NodeSelectorTerm) field.ErrorList {
	var errs field.ErrorList
	if len(t.MatchExpressions) == 0 {
		errs = append(errs, field.Required(tp.Child("matchExpressions"), "at least one requirement"))
	}
	for i, r := range t.MatchExpressions {
		rp := tp.Child("matchExpressions").Index(i)
		for _, msg := range validation.IsQualifiedName(r.Key) {
			errs = append(errs, field.Invalid(rp.Child("key"), r.Key, msg))
		}
		switch r.Operator {
		case "In", "NotIn":
			if len(r.Values) == 0 {
				errs = append(errs, field.Required(rp.Child("values"), "at least one value with operator "+r.Operator))
			}
		case "Exists", "DoesNotExist":
			if len(r.Values) > 0 {
				errs = append(errs, field.Forbidden(rp.Child("values"), "must be empty with operator "+r.Operator))
			}
		case "Gt", "Lt":
			if len(r.Values) != 1 {
				errs = append(errs, field.Required(rp.Child("values"), "exactly one integer with operator "+r.Operator))
			} else if _, err := strconv.ParseInt(r.Values[0], 10, 64); err != nil {
				errs = append(errs, field.Invalid(rp.Child("values").Index(0), r.Values[0], "must be an integer with operator "+r.Operator))
			}
		default:
			errs = append(errs, field.NotSupported(rp.Child("operator"), r.Operator, []string{"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"}))
		}
		for j, v := range r.Values {
			for _, msg := range validation.IsValidLabelValue(v) {
				errs = append(errs, field.Invalid(rp.Child("values").Index(j), v, msg))
			}
		}
	}
	return errs
}

func validateGPUClasses(cp *field.Path, classes []GPUClass) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i := range classes {
		c := &classes[i]
		ip := cp.Index(i)
		switch {
		case c.Name == "":
			errs = append(errs, field.Required(ip.Child("name"), "a DNS label, such as h100"))
		case seen[c.Name]:
			errs = append(errs, field.Duplicate(ip.Child("name"), c.Name))
		default:
			errs = append(errs, dnsLabel(ip.Child("name"), c.Name)...)
		}
		seen[c.Name] = true
		errs = append(errs, validateGPUNodes(ip, &c.GPUNodes)...)
	}
	return errs
}

// validateGPUClassChoice checks spec.resources.gpuClass (or a pool's): a
// class the Platform declares, on resources that request GPUs.
func validateGPUClassChoice(r *Resources, p *PlatformSpec, rp *field.Path) field.ErrorList {
	if r.GPUClass == "" {
		return nil
	}
	fp := rp.Child("gpuClass")
	if n := utf8.RuneCountInString(r.GPUClass); n > validation.DNS1123LabelMaxLength {
		return field.ErrorList{field.TooLong(fp, r.GPUClass, validation.DNS1123LabelMaxLength)}
	}
	if _, ok := p.GPUClass(r.GPUClass); !ok {
		names := make([]string, 0, len(p.GPUClasses))
		for _, c := range p.GPUClasses {
			names = append(names, strconv.Quote(c.Name))
		}
		if len(names) == 0 {
			return field.ErrorList{field.Invalid(fp, r.GPUClass, "the Platform declares no GPU class (its spec.gpuClasses is empty); declare it there, or unset gpuClass for spec.gpuNodes")}
		}
		return field.ErrorList{field.Invalid(fp, r.GPUClass, "is not a GPU class of the Platform (spec.gpuClasses: "+strings.Join(names, ", ")+")")}
	}
	if r.GPUs == 0 {
		return field.ErrorList{field.Invalid(fp, r.GPUClass, "needs gpus: a GPU class places only pods that request GPUs")}
	}
	return nil
}

// Pod label and annotation keys servelayer and the layers' controllers
// own: a user value would fight theirs (on llm-d a label would even reach
// the Deployment's selector under KServe's own).
var (
	reservedLabelDomains      = []string{"app.kubernetes.io", "servelayer.dev", "kserve.io", "knative.dev", "llm-d.ai", "kubernetes.io", "k8s.io"}
	reservedLabelKeys         = []string{"app", "component", "pod-template-hash"}
	reservedAnnotationDomains = []string{"servelayer.dev", "kserve.io", "knative.dev"}
)

// reservedKey reports whether key's prefix is one of domains or a
// subdomain of one, or key is one of keys.
func reservedKey(key string, domains, keys []string) bool {
	if slices.Contains(keys, key) {
		return true
	}
	prefix, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	return slices.ContainsFunc(domains, func(d string) bool { return prefix == d || strings.HasSuffix(prefix, "."+d) })
}

// validatePod checks spec.pod.
func validatePod(m *ServedModel, p *PlatformSpec, gated bool, pp *field.Path) field.ErrorList {
	pod := m.Spec.Pod
	if pod == nil {
		return nil
	}
	var errs field.ErrorList
	for _, n := range []struct {
		name, v string
	}{{"serviceAccountName", pod.ServiceAccountName}, {"priorityClassName", pod.PriorityClassName}} {
		if n.v != "" {
			errs = append(errs, dnsSubdomain(pp.Child(n.name), n.v)...)
			errs = append(errs, ruleErrors(pp.Child(n.name).String(), m, p, gated)...)
		}
	}
	seen := map[string]bool{}
	for i, name := range pod.ImagePullSecrets {
		ip := pp.Child("imagePullSecrets").Index(i)
		switch {
		case name == "":
			errs = append(errs, field.Required(ip, "the name of a kubernetes.io/dockerconfigjson Secret"))
		case seen[name]:
			errs = append(errs, field.Duplicate(ip, name))
		default:
			errs = append(errs, dnsSubdomain(ip, name)...)
		}
		seen[name] = true
	}
	lp := pp.Child("labels")
	for _, k := range slices.Sorted(maps.Keys(pod.Labels)) { // sorted: output must not depend on map order
		kp := lp.Key(k)
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(kp, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(pod.Labels[k]) {
			errs = append(errs, field.Invalid(kp, pod.Labels[k], msg))
		}
		if reservedKey(k, reservedLabelDomains, reservedLabelKeys) {
			errs = append(errs, field.Forbidden(kp, "this label key is set by servelayer or the layer's controller (it selects the model's pods); choose another key"))
		}
	}
	if len(pod.Labels) > 0 {
		errs = append(errs, ruleErrors(lp.String(), m, p, gated)...)
	}
	ap := pp.Child("annotations")
	for _, k := range slices.Sorted(maps.Keys(pod.Annotations)) {
		for _, msg := range validation.IsQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(ap.Key(k), k, msg))
		}
		if reservedKey(k, reservedAnnotationDomains, nil) {
			errs = append(errs, field.Forbidden(ap.Key(k), "annotations under this domain steer servelayer, KServe or Knative; set what they control through the spec"))
		}
		if m.Spec.Metrics != nil && m.Spec.Metrics.Scrape && strings.HasPrefix(k, "prometheus.io/") {
			errs = append(errs, field.Forbidden(ap.Key(k), "spec.metrics.scrape sets the prometheus.io annotations (with the port vLLM listens on in each pod); remove this one or spec.metrics"))
		}
	}
	if err := apivalidation.ValidateAnnotationsSize(pod.Annotations); err != nil {
		errs = append(errs, field.TooLong(ap, "", apivalidation.TotalAnnotationSizeLimitB))
	}
	tp := pp.Child("topologySpread")
	type key struct{ topology, when string }
	spreads := map[key]bool{}
	for i, t := range pod.TopologySpread {
		ip := tp.Index(i)
		if t.TopologyKey == "" {
			errs = append(errs, field.Required(ip.Child("topologyKey"), "a node label such as topology.kubernetes.io/zone"))
		} else {
			for _, msg := range validation.IsQualifiedName(t.TopologyKey) {
				errs = append(errs, field.Invalid(ip.Child("topologyKey"), t.TopologyKey, msg))
			}
		}
		if t.MaxSkew != nil && (*t.MaxSkew < 1 || *t.MaxSkew > 1000) {
			errs = append(errs, field.Invalid(ip.Child("maxSkew"), *t.MaxSkew, "must be between 1 and 1000"))
		}
		switch t.WhenUnsatisfiable {
		case "", "DoNotSchedule", "ScheduleAnyway":
		default:
			errs = append(errs, field.NotSupported(ip.Child("whenUnsatisfiable"), t.WhenUnsatisfiable, []string{"DoNotSchedule", "ScheduleAnyway"}))
		}
		k := key{t.TopologyKey, t.WhenUnsatisfiableOrDefault()}
		if spreads[k] {
			errs = append(errs, field.Duplicate(ip, fmt.Sprintf("%s/%s", k.topology, k.when)))
		}
		spreads[k] = true
	}
	if len(pod.TopologySpread) > 0 {
		errs = append(errs, ruleErrors(tp.String(), m, p, gated)...)
	}
	if pod.Template != nil {
		errs = append(errs, validatePodTemplate(pod, pp.Child("template"))...)
		errs = append(errs, ruleErrors(pp.Child("template").String(), m, p, gated)...)
	}
	return errs
}

func validateDisruptionBudget(m *ServedModel, p *PlatformSpec, gated bool, dp *field.Path) field.ErrorList {
	d := m.Spec.DisruptionBudget
	if d == nil {
		return nil
	}
	if v := d.MaxUnavailable; v != nil && (*v < 1 || *v > 1000) {
		return field.ErrorList{field.Invalid(dp.Child("maxUnavailable"), *v, "must be between 1 and 1000")}
	}
	return ruleErrors(dp.String(), m, p, gated)
}

// validateCredentials checks spec.model.credentials: a Secret name, for a
// source something downloads.
func validateCredentials(m *ServedModel, p *PlatformSpec, gated bool, cp *field.Path) field.ErrorList {
	c := m.Spec.Model.Credentials
	if c == nil {
		return nil
	}
	np := cp.Child("secretName")
	if c.SecretName == "" {
		return field.ErrorList{field.Required(np, "a Secret holding HF_TOKEN (hf) or a kubernetes.io/dockerconfigjson Secret (oci)")}
	}
	errs := dnsSubdomain(np, c.SecretName)
	if pvc := m.Spec.Model.Source.PVC; pvc != nil && pvc.Stage == nil {
		errs = append(errs, field.Forbidden(cp, "a pvc source without stage is pre-staged: nothing downloads it, so no credentials reach anything; remove spec.model.credentials, or add spec.model.source.pvc.stage"))
	}
	return append(errs, ruleErrors(cp.String(), m, p, gated)...)
}

// StageJobSuffix is what the staging Job's name adds to the model's name:
// "-stage-" and 8 hex digits of what it stages.
const StageJobSuffix = "-stage-12345678"

// validateStage checks spec.model.source.pvc.stage.
func validateStage(p *field.Path, st *PVCStage, name string) field.ErrorList {
	var errs field.ErrorList
	if (st.HF == "") == (st.OCI == "") {
		set := "none set"
		if st.HF != "" {
			set = "hf, oci"
		}
		errs = append(errs, field.Invalid(p, set, "set exactly one of hf, oci"))
	}
	if st.HF != "" {
		repo := strings.TrimPrefix(st.HF, "hf://")
		if !hfRepoRE.MatchString(repo) || strings.Contains(repo, "..") || strings.HasSuffix(repo, ".git") {
			errs = append(errs, field.Invalid(p.Child("hf"), st.HF, "must be a Hugging Face repo id org/name (letters, digits, '.', '_', '-'), optionally prefixed hf://"))
		}
	}
	if st.Revision != "" {
		if st.HF == "" {
			errs = append(errs, field.Forbidden(p.Child("revision"), "a revision is of an hf repo; an oci image is pinned by its digest"))
		} else if !hfRevisionRE.MatchString(st.Revision) || strings.Contains(st.Revision, "..") {
			errs = append(errs, field.Invalid(p.Child("revision"), st.Revision, "must be a commit hash, branch or tag (letters, digits, '.', '_', '-', '/')"))
		}
	}
	if st.OCI != "" {
		errs = append(errs, validateOCI(p.Child("oci"), st.OCI)...)
	}
	if st.Image != "" {
		if st.HF == "" {
			errs = append(errs, field.Forbidden(p.Child("image"), "the oci image itself does the copy; image runs an hf download"))
		}
		errs = append(errs, printable(p.Child("image"), st.Image, 512)...)
	}
	// A Job's pods carry its name in the job-name label: 63 characters.
	if n := len(name) + len(StageJobSuffix); n > 63 {
		errs = append(errs, field.TooLong(field.NewPath("metadata", "name"), name, 63-len(StageJobSuffix)))
	}
	return errs
}

var hfRevisionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$`)

// validateParallelism checks the sizes' bounds (the CRD's markers); how
// they lay out on pods is the rule table's.
func validateParallelism(par *Parallelism, p *field.Path) field.ErrorList {
	if par == nil {
		return nil
	}
	var errs field.ErrorList
	for _, f := range []struct {
		name string
		v    *int32
		max  int32
	}{{"tensor", par.Tensor, 64}, {"pipeline", par.Pipeline, 64}, {"data", par.Data, 512}} {
		if f.v != nil && (*f.v < 1 || *f.v > f.max) {
			errs = append(errs, field.Invalid(p.Child(f.name), *f.v, fmt.Sprintf("must be between 1 and %d", f.max)))
		}
	}
	return errs
}

// validateNetwork checks every spec.network.rdma the model's pools use:
// the rule table's rows first (a layer without a form for it), then the
// values, and that RDMA carries something between pods.
func validateNetwork(m *ServedModel, p *PlatformSpec, gated bool) field.ErrorList {
	s := &m.Spec
	if errs := append(ruleErrors("spec.network.rdma", m, p, gated), ruleErrors("spec.disaggregation.prefill.network.rdma.networks", m, p, gated)...); len(errs) > 0 {
		return errs
	}
	var errs field.ErrorList
	seen := map[*RDMA]bool{}
	var with, without []PoolView
	for _, v := range s.Pools() {
		if v.RDMA == nil {
			without = append(without, v)
			continue
		}
		with = append(with, v)
		if !seen[v.RDMA] {
			seen[v.RDMA] = true
			errs = append(errs, validateRDMA(v.RDMA, p, fieldPath(v.RDMAPath))...)
		}
	}
	if s.Disaggregation == nil && len(with) == 1 {
		if sh, _ := with[0].Shape(); !sh.MultiNode() {
			errs = append(errs, field.Forbidden(fieldPath(with[0].RDMAPath),
				"RDMA carries the KV cache prefill hands to decode (spec.disaggregation) or the traffic between the pods of a replica spanning pods (spec.parallelism); "+
					"this model's pods exchange neither, so the devices and the capabilities (which Pod Security baseline refuses) would buy nothing: remove it"))
		}
	}
	envSeen := map[string]bool{} // both pools may inherit the model's variable
	for _, v := range with {
		for _, e := range rdmaEnv(s, v) {
			if !envSeen[e.Error()] {
				envSeen[e.Error()] = true
				errs = append(errs, e)
			}
		}
	}
	if pod := s.Pod; pod != nil && len(with) > 0 {
		if _, ok := pod.Annotations[AnnotationNetworks]; ok && slices.ContainsFunc(with, func(v PoolView) bool { return len(v.RDMA.Networks) > 0 }) {
			errs = append(errs, field.Forbidden(field.NewPath("spec", "pod", "annotations").Key(AnnotationNetworks),
				"spec.network.rdma.networks renders this annotation; list the networks there"))
		}
	}
	if len(with) > 0 && len(without) > 0 {
		// Both ends of NIXL's transfer need the fabric, or UCX falls back to TCP.
		v := without[0]
		errs = append(errs, field.Required(fieldPath(v.Path+".network.rdma"), fmt.Sprintf(
			"the %s pool has RDMA (%s) but the %s pool has none: NIXL moves the KV cache between the two, and with RDMA on one end only it falls back to TCP; "+
				"give this pool RDMA too (or set spec.network.rdma for both)", with[0].Name, with[0].RDMAPath, v.Name)))
	}
	return errs
}

func validateRDMA(r *RDMA, p *PlatformSpec, rp *field.Path) field.ErrorList {
	var errs field.ErrorList
	res := rp.Child("resource")
	prefix, name, qualified := strings.Cut(r.Resource, "/")
	switch {
	case !qualified || prefix == "" || name == "":
		errs = append(errs, field.Invalid(res, r.Resource, "must be an extended resource name such as rdma/ib or rdma/roce_gdr (domain/name)"))
	case prefix == "kubernetes.io" || strings.HasSuffix(prefix, ".kubernetes.io"):
		errs = append(errs, field.Invalid(res, r.Resource, "must be a device plugin's extended resource, outside the kubernetes.io domain"))
	default:
		for _, msg := range validation.IsQualifiedName(r.Resource) {
			errs = append(errs, field.Invalid(res, r.Resource, msg))
		}
	}
	gpus := []string{p.GPUNodes.Resource}
	for _, c := range p.GPUClasses {
		gpus = append(gpus, c.Resource)
	}
	if slices.Contains(gpus, r.Resource) {
		errs = append(errs, field.Invalid(res, r.Resource, "is the Platform's GPU resource; name the RDMA device plugin's resource, such as rdma/ib"))
	}
	if r.Count != nil && (*r.Count < 1 || *r.Count > 64) {
		errs = append(errs, field.Invalid(rp.Child("count"), *r.Count, "must be between 1 and 64"))
	}
	if len(r.Networks) > 16 {
		errs = append(errs, field.TooMany(rp.Child("networks"), len(r.Networks), 16))
	}
	nets := map[string]bool{}
	for i, n := range r.Networks {
		np := rp.Child("networks").Index(i)
		ns, nm, namespaced := strings.Cut(n, "/")
		if !namespaced {
			ns, nm = "", n
		}
		bad := len(validation.IsDNS1123Subdomain(nm)) > 0 || (namespaced && len(validation.IsDNS1123Label(ns)) > 0)
		switch {
		case bad:
			errs = append(errs, field.Invalid(np, n, "must be a NetworkAttachmentDefinition's name or namespace/name (DNS-1123)"))
		case nets[n]:
			errs = append(errs, field.Duplicate(np, n))
		}
		nets[n] = true
	}
	caps := map[RDMACapability]bool{}
	for i, c := range r.Capabilities {
		cp := rp.Child("capabilities").Index(i)
		switch {
		case c != CapIPCLock && c != CapSysRawIO && c != CapNetRaw:
			errs = append(errs, field.NotSupported(cp, c, []string{string(CapIPCLock), string(CapSysRawIO), string(CapNetRaw)}))
		case caps[c]:
			errs = append(errs, field.Duplicate(cp, c))
		}
		caps[c] = true
	}
	return errs
}

// rdmaEnv refuses, in a pool with RDMA, environment that keeps the
// transfers off it: with prefill/decode pools, a UCX_TLS naming no RDMA
// transport (NIXL's KV transfer); always, NCCL_IB_DISABLE=1 (the
// collectives between pods).
func rdmaEnv(s *ServedModelSpec, v PoolView) field.ErrorList {
	var errs field.ErrorList
	for _, e := range v.Env {
		var why string
		switch {
		case e.Name == "UCX_TLS" && s.Disaggregation != nil && e.SecretKeyRef == nil && !ucxRDMA(e.Value):
			// Only NIXL's KV transfer (prefill/decode) runs over UCX; a
			// replica spanning pods talks NCCL.
			why = "names no RDMA transport (rc, ud, dc, ib or all): NIXL would move the KV cache over TCP despite " + v.RDMAPath + "; add rc (InfiniBand and RoCE), or unset it for UCX's own choice"
		case e.Name == "NCCL_IB_DISABLE" && e.SecretKeyRef == nil && e.Value == "1":
			why = "turns off NCCL's InfiniBand/RoCE transport: the traffic between pods would go over TCP despite " + v.RDMAPath
		default:
			continue
		}
		errs = append(errs, field.Invalid(envPath(s, v, e.Name), e.Value, why))
	}
	return errs
}

// ucxRDMA reports whether a UCX_TLS value lets UCX use an RDMA transport.
func ucxRDMA(tls string) bool {
	if rest, ok := strings.CutPrefix(tls, "^"); ok {
		return !slices.Contains(strings.Split(rest, ","), "ib")
	}
	for _, t := range strings.Split(tls, ",") {
		t = strings.TrimSpace(t)
		if t == "all" || t == "ib" || strings.HasPrefix(t, "rc") || strings.HasPrefix(t, "ud") || strings.HasPrefix(t, "dc") {
			return true
		}
	}
	return false
}

// envPath is where a pool's variable was set: the pool's engine env
// (which wins) or the model's.
func envPath(s *ServedModelSpec, v PoolView, name string) *field.Path {
	if v.Pool != nil && v.Pool.Engine != nil {
		if i := slices.IndexFunc(v.Pool.Engine.Env, func(e EnvVar) bool { return e.Name == name }); i >= 0 {
			return fieldPath(v.Path + ".engine.env").Index(i).Child("value")
		}
	}
	i := slices.IndexFunc(s.Engine.Env, func(e EnvVar) bool { return e.Name == name })
	return field.NewPath("spec", "engine", "env").Index(i).Child("value")
}
