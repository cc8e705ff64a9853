package schema

import (
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
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
	if s.GPUNodes.GPUsPerNode != nil && *s.GPUNodes.GPUsPerNode < 0 {
		errs = append(errs, field.Invalid(sp.Child("gpuNodes", "gpusPerNode"), *s.GPUNodes.GPUsPerNode, "must be 0 or more"))
	}
	nsp := sp.Child("namespaces")
	for _, n := range []struct {
		name, v string
	}{{"rawVLLM", s.Namespaces.RawVLLM}, {"kserve", s.Namespaces.KServe}, {"llmd", s.Namespaces.LLMD}} {
		if n.v != "" {
			errs = append(errs, dnsLabel(nsp.Child(n.name), n.v)...)
		}
	}
	gp := sp.Child("gpuNodes")
	if r := s.GPUNodes.Resource; r != "" {
		for _, msg := range validation.IsQualifiedName(r) {
			errs = append(errs, field.Invalid(gp.Child("resource"), r, msg))
		}
		if !strings.Contains(r, "/") {
			errs = append(errs, field.Invalid(gp.Child("resource"), r, "must be a domain-prefixed extended resource such as nvidia.com/gpu"))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.GPUNodes.NodeSelector)) { // sorted: output must not depend on map order
		v := s.GPUNodes.NodeSelector[k]
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(gp.Child("nodeSelector").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, field.Invalid(gp.Child("nodeSelector").Key(k), v, msg))
		}
	}
	for i, t := range s.GPUNodes.Tolerations {
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
	if m := s.KServe.DeploymentMode; m != "" && m != DeploymentModeStandard && m != DeploymentModeKnative {
		errs = append(errs, field.NotSupported(sp.Child("kserve", "deploymentMode"), m, []DeploymentMode{DeploymentModeStandard, DeploymentModeKnative}))
	}
	if v := s.LiteLLM.Namespace; v != "" {
		errs = append(errs, dnsLabel(sp.Child("litellm", "namespace"), v)...)
	}
	for _, g := range []struct {
		layer string
		gw    Gateway
	}{{"kserve", s.KServe.Gateway}, {"llmd", s.LLMD.Gateway}} {
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
	errs = append(errs, validateEngine(m, p, gated, sp.Child("engine"))...)
	errs = append(errs, validateResources(&s.Resources, sp.Child("resources"))...)
	errs = append(errs, ruleErrors("spec.resources.gpus", m, p, gated)...)
	errs = append(errs, validateReplicas(m, p, gated, sp)...)
	errs = append(errs, validateRollout(m, p, gated, sp)...)
	errs = append(errs, validateDisaggregation(m, p, gated, sp)...)
	if r := s.Routing; r != nil {
		errs = append(errs, printable(sp.Child("routing", "alias"), r.Alias, 256)...)
	}
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
	return errs
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
	for i, a := range s.Engine.Args {
		if why := badArg(a); why != "" {
			errs = append(errs, field.Invalid(p.Child("args").Index(i), a, why))
		}
	}
	argErrs, _ := engineArgs(s, p.Child("args"))
	errs = append(errs, argErrs...)
	seen := map[string]bool{}
	for i, e := range s.Engine.Env {
		if ref := e.SecretKeyRef; ref != nil {
			rp := p.Child("env").Index(i).Child("secretKeyRef")
			if e.Value != "" {
				errs = append(errs, field.Forbidden(rp, "set value or secretKeyRef, not both"))
			}
			errs = append(errs, dnsSubdomain(rp.Child("name"), ref.Name)...)
			for _, msg := range validation.IsConfigMapKey(ref.Key) {
				errs = append(errs, field.Invalid(rp.Child("key"), ref.Key, msg))
			}
		}
		ep := p.Child("env").Index(i).Child("name")
		switch {
		case !envNameRE.MatchString(e.Name):
			errs = append(errs, field.Invalid(ep, e.Name, "must be a C identifier-like environment variable name"))
		case seen[e.Name]:
			errs = append(errs, field.Duplicate(ep, e.Name))
		case reservedEnv[e.Name]:
			errs = append(errs, field.Forbidden(ep, e.Name+" is set by servelayer; remove it"))
		}
		seen[e.Name] = true
	}
	return append(errs, ruleErrors(p.Child("args").String(), m, pl, gated)...)
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
	return append(errs, ruleErrors(scp.Child("minReplicas").String(), m, p, gated)...)
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
	for i, e := range s.Engine.Env {
		if e.Name == "VLLM_NIXL_SIDE_CHANNEL_HOST" {
			errs = append(errs, field.Forbidden(sp.Child("engine", "env").Index(i).Child("name"), "with disaggregation servelayer sets VLLM_NIXL_SIDE_CHANNEL_HOST to the pod IP; remove it"))
		}
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
		if r := pool.p.Replicas; r != nil && (*r < 0 || *r > 1000) {
			errs = append(errs, field.Invalid(pp.Child("replicas"), *r, "must be between 0 and 1000"))
		}
		if pool.p.Resources != nil {
			errs = append(errs, validateResources(pool.p.Resources, pp.Child("resources"))...)
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
