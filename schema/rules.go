package schema

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Rule is one row of the field-versus-layer table: a spec field, in a
// given state, that a layer cannot honour (an error) or honours only in a
// degraded way (a warning). Validation, layer auto, plan's blockers and
// the README's gotcha list all read these rows, so a rule is stated once.
// +kubebuilder:object:generate=false
type Rule struct {
	// ID is stable: results, plans and the README name the rule by it.
	ID string
	// Field is the path the finding is reported at. Platform fields are
	// prefixed "Platform ".
	Field string
	// When says, in Markdown, what state of the field the rule is about.
	When string
	// On are the layers the rule fires on.
	On []Layer
	// Mode, when set, limits the rule on kserve to that deployment mode
	// (the rule's other layers are not limited).
	Mode DeploymentMode
	// Warning rules degrade the layer; the others refuse it.
	Warning bool
	// Problem says what goes wrong on those layers; Fix what to do.
	Problem func(m *ServedModel, p *PlatformSpec) string
	Fix     func(m *ServedModel, p *PlatformSpec) string
	// Check, for a warning about how the cluster is configured, is the
	// command that shows the setting (plan runs no command itself).
	Check string

	// match reports whether m's field is in the rule's state, and its value.
	match func(m *ServedModel, p *PlatformSpec, gated bool) (value any, ok bool)
	// invalid: report field.Invalid with the value; otherwise Forbidden.
	invalid bool
	// without, when set, rewrites m into what the layers of On serve
	// instead (the field dropped or clamped): what a move plan assumes the
	// old layer runs, and what the new layer renders once the blocker is
	// fixed. Rows without it have no such translation.
	without func(m *ServedModel)
}

// Rules returns the field-versus-layer table, in the order validation
// reports and layer auto cites its rows. The result is a copy.
func Rules() []Rule {
	out := slices.Clone(rules)
	for i := range out {
		out[i].On = slices.Clone(out[i].On)
	}
	return out
}

// RuleByID returns the row with that ID.
func RuleByID(id string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// Matches reports whether the model's field is in the rule's state, on
// any layer; gated says whether p was given by the user (rules about
// cluster facts, such as GPUs per node, need a real Platform).
func (r Rule) Matches(m *ServedModel, p *PlatformSpec, gated bool) (value any, ok bool) {
	return r.match(m, p, gated)
}

// FiresOn reports whether the rule fires for m placed on layer l.
func (r Rule) FiresOn(l Layer, m *ServedModel, p *PlatformSpec, gated bool) bool {
	if !slices.Contains(r.On, l) || (r.Mode != "" && l == LayerKServe && p.KServe.DeploymentMode != r.Mode) {
		return false
	}
	_, ok := r.match(m, p, gated)
	return ok
}

// Translatable reports whether the row has a translation (see Without).
func (r Rule) Translatable() bool { return r.without != nil }

// Without rewrites m into what the row's layers serve without the field.
func (r Rule) Without(m *ServedModel) {
	if r.without != nil {
		r.without(m)
	}
}

// Message is the finding's text: the problem, then the fix.
func (r Rule) Message(m *ServedModel, p *PlatformSpec) string {
	msg := r.Problem(m, p)
	if r.Fix != nil {
		msg += "; " + r.Fix(m, p)
	}
	return msg
}

// Error is the field error of an error rule that fires for m.
func (r Rule) Error(m *ServedModel, p *PlatformSpec, gated bool) *field.Error {
	v, _ := r.match(m, p, gated)
	path := fieldPath(r.Field)
	msg := r.Message(m, p)
	if others := HonouringLayers(r.Field, m, p, gated); len(others) > 0 && !r.Warning {
		msg += " (or use layer " + joinLayers(others, " or ") + ")"
	}
	if r.invalid {
		return field.Invalid(path, v, msg)
	}
	return field.Forbidden(path, msg)
}

// About reports whether the row is about path: the field itself, or a
// field that contains it (a layer that refuses spec.scaling cannot honour
// spec.scaling.minReplicas either).
func (r Rule) About(path string) bool {
	return r.Field == path || strings.HasPrefix(path, r.Field+".")
}

// HonouringLayers are the concrete layers, other than m's own, on which no
// error rule about path (or a field containing it) fires for m.
func HonouringLayers(path string, m *ServedModel, p *PlatformSpec, gated bool) []Layer {
	var out []Layer
	for _, l := range Layers {
		if l == m.Spec.Layer {
			continue
		}
		refused := slices.ContainsFunc(rules, func(r Rule) bool {
			return !r.Warning && r.About(path) && r.FiresOn(l, m, p, gated)
		})
		if !refused {
			out = append(out, l)
		}
	}
	return out
}

// ruleErrors are the errors of the error rows reported at path that fire
// for m on its own layer.
func ruleErrors(path string, m *ServedModel, p *PlatformSpec, gated bool) field.ErrorList {
	var errs field.ErrorList
	for _, r := range rules {
		if !r.Warning && r.Field == path && r.FiresOn(m.Spec.Layer, m, p, gated) {
			errs = append(errs, r.Error(m, p, gated))
		}
	}
	return errs
}

// RuleWarning is a warning rule that fired.
// +kubebuilder:object:generate=false
// +kubebuilder:skip
type RuleWarning struct {
	Rule    string
	Field   string
	Value   any
	Message string
}

// RuleWarnings are the warning rows that fire for a valid, defaulted m on
// its layer, in table order.
func RuleWarnings(m *ServedModel, p *PlatformSpec, gated bool) []RuleWarning {
	var out []RuleWarning
	for _, r := range rules {
		if r.Warning && r.FiresOn(m.Spec.Layer, m, p, gated) {
			v, _ := r.match(m, p, gated)
			out = append(out, RuleWarning{Rule: r.ID, Field: r.Field, Value: v, Message: r.Message(m, p)})
		}
	}
	return out
}

func fieldPath(s string) *field.Path {
	parts := strings.Split(s, ".")
	return field.NewPath(parts[0], parts[1:]...)
}

func joinLayers(ls []Layer, sep string) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, sep)
}

func text(s string) func(*ServedModel, *PlatformSpec) string {
	return func(*ServedModel, *PlatformSpec) string { return s }
}

// WorldSize is tensor x pipeline parallel: the GPUs one vLLM replica spans,
// as vLLM reads its arguments (any spelling; absent means 1).
func WorldSize(args []string) (world, tp, pp int32) {
	tp = vllmInt(args, "tensor_parallel_size")
	pp = vllmInt(args, "pipeline_parallel_size")
	return tp * pp, tp, pp
}

// argsPastPod is the first pool whose vLLM flags (no spec.parallelism)
// ask for more GPUs than its pod has.
func argsPastPod(m *ServedModel) (*PoolView, Shape) {
	if !anyArgs(&m.Spec) {
		return nil, Shape{} // no flags: vLLM's sizes are 1
	}
	for _, v := range m.Spec.Pools() {
		if sh, _ := v.Shape(); !sh.Declared && sh.World() > 1 && sh.World() > sh.GPUs {
			return &v, sh
		}
	}
	return nil, Shape{}
}

// anyArgs reports whether the model or a pool has engine args.
func anyArgs(s *ServedModelSpec) bool {
	if len(s.Engine.Args) > 0 {
		return true
	}
	if d := s.Disaggregation; d != nil {
		for _, p := range []*Pool{&d.Prefill, &d.Decode} {
			if p.Engine != nil && len(p.Engine.Args) > 0 {
				return true
			}
		}
	}
	return false
}

// shapeProblem is the first pool whose declared parallelism does not lay
// out on its pods, and why.
func shapeProblem(m *ServedModel) (*PoolView, string) {
	if !m.Spec.HasParallelism() {
		return nil, "" // only declared sizes lay out on pods
	}
	for _, v := range m.Spec.Pools() {
		if _, why := v.Shape(); why != "" {
			return &v, why
		}
	}
	return nil, ""
}

// spanning is the first pool whose replica spans pods (and matches which).
func spanning(m *ServedModel, which func(Shape) bool) (*PoolView, Shape) {
	if !m.Spec.HasParallelism() {
		return nil, Shape{} // vLLM flags alone never span pods
	}
	for _, v := range m.Spec.Pools() {
		if sh, why := v.Shape(); why == "" && sh.MultiNode() && (which == nil || which(sh)) {
			return &v, sh
		}
	}
	return nil, Shape{}
}

// poolName names a pool in a message.
func poolName(v *PoolView) string {
	if v == nil || v.Name == "" {
		return "the model"
	}
	return v.Path
}

// inPool prefixes a message about a pool with the pool's path.
func inPool(v *PoolView) string {
	if v == nil || v.Name == "" {
		return ""
	}
	return v.Path + ": "
}

// podGPUs are the GPUs of the pods of m: one entry per pool.
func podGPUs(s *ServedModelSpec) []int32 {
	var out []int32
	for _, v := range s.Pools() {
		out = append(out, v.Resources.GPUs)
	}
	return out
}

// cudaWithoutGPU: a CUDA vLLM image (the defaulted spec.engine.image) on
// a pod without GPUs. llm-d without an image runs its controller's default,
// which servelayer does not know, so only an explicit image counts there.
func cudaWithoutGPU(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	img := m.Spec.Engine.Image
	return img, img != "" && slices.Min(podGPUs(&m.Spec)) == 0 && isCUDAVLLM(img)
}

// isCUDAVLLM reports whether image is vLLM's CUDA image (a repository
// named vllm-openai: vllm/vllm-openai or a mirror of it) or any repository
// whose name says CUDA (such as ghcr.io/llm-d/llm-d-cuda). vLLM's CPU and
// ROCm images are named otherwise.
func isCUDAVLLM(image string) bool {
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i] // the tag, not a registry port
	}
	name := strings.ToLower(repo[strings.LastIndex(repo, "/")+1:])
	return name == "vllm-openai" || strings.Contains(name, "cuda")
}

func minReplicasZero(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	sc := m.Spec.Scaling
	return 0, sc != nil && sc.MinReplicas != nil && *sc.MinReplicas == 0
}

// startupPastProgressDeadline: a startup budget the user set beyond the
// 600 s progress deadline KServe's Deployments keep. The default budget is
// past it too; the README says so once rather than every model warning.
func startupPastProgressDeadline(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	t := m.Spec.Engine.StartupTimeoutSeconds
	if t == nil {
		return nil, false
	}
	return *t, *t > 600
}

func canarySet(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	r := m.Spec.Rollout
	if r == nil || r.CanaryTrafficPercent == nil {
		return nil, false
	}
	return *r.CanaryTrafficPercent, true
}

func stageOnClaim(src string) func(*ServedModel, *PlatformSpec) string {
	return func(m *ServedModel, _ *PlatformSpec) string {
		return fmt.Sprintf("stage the weights on a PersistentVolumeClaim in %s and replace %s with spec.model.source.pvc {claimName, path}", namespaceOf(m), src)
	}
}

// llmdDeployments names the workload Deployments KServe creates for m on llm-d.
func llmdDeployments(m *ServedModel) string {
	if m.Spec.Disaggregation != nil {
		return "Deployments " + m.Name + "-kserve and " + m.Name + "-kserve-prefill"
	}
	return "Deployment " + m.Name + "-kserve"
}

// namespaceOf names m's namespace for a message.
func namespaceOf(m *ServedModel) string {
	if m.Namespace == "" {
		return "the model's namespace"
	}
	return "namespace " + m.Namespace
}

var (
	allLayers       = []Layer{LayerRawVLLM, LayerKServe, LayerLLMD}
	finishCanaryFix = text("remove spec.rollout (a canary running on kserve must be finished first: promote it to 100% or roll it back)")
	knativeFlag     = func(flag string) func(*ServedModel, *PlatformSpec) string {
		return text("KServe Knative mode: Knative rejects this unless config-features sets " + flag + ": enabled (off by default)")
	}
)

// checkModelcar shows KServe's storage config.
const checkModelcar = "kubectl get configmap -A -l app.kubernetes.io/name=kserve -o yaml | grep enableModelcar"

// placeholderClaim stands in for a source the layer cannot read; it
// changes no object's identity.
// AnnotationNetworks is Multus' annotation naming a pod's secondary
// networks, which spec.network.rdma.networks renders.
const AnnotationNetworks = "k8s.v1.cni.cncf.io/networks"

// rdmaPools matches a model with RDMA in any pool, valued by where.
func rdmaPools(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	for _, v := range m.Spec.Pools() {
		if v.RDMA != nil {
			return v.RDMA.Resource, true
		}
	}
	return nil, false
}

// rdmaCapPools are the pools with RDMA whose capabilities servelayer
// adds: on llm-d a pool spanning pods gets KServe's worker presets' own
// (rule llm-d-multi-node-capabilities).
func rdmaCapPools(m *ServedModel) []PoolView {
	var out []PoolView
	for _, v := range m.Spec.Pools() {
		if v.RDMA == nil {
			continue
		}
		if sh, _ := v.Shape(); m.Spec.Layer == LayerLLMD && sh.MultiNode() {
			continue
		}
		out = append(out, v)
	}
	return out
}

func capStrings(cs []RDMACapability) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func placeholderClaim(m *ServedModel) {
	m.Spec.Model.Source = ModelSource{PVC: &PVCSource{ClaimName: m.Name, Path: m.Name}}
}

// rules is the table. Order matters: it is the order validation reports
// rows of one field, and the order layer auto cites them.
var rules = []Rule{
	{
		ID: "disaggregation-needs-llm-d", Field: "spec.disaggregation", When: "`spec.disaggregation` is set",
		On:      []Layer{LayerRawVLLM, LayerKServe},
		Problem: text("prefill/decode disaggregation exists only on llm-d: the prefill pool and KV-aware routing would be dropped"),
		Fix: func(m *ServedModel, _ *PlatformSpec) string {
			d := m.Spec.Disaggregation
			r := m.Spec.PoolResources(&d.Decode)
			n := int32(1)
			if d.Decode.Replicas != nil {
				n = *d.Decode.Replicas
			}
			return fmt.Sprintf("remove spec.disaggregation and serve one pool: set spec.replicas: %d and spec.resources from the decode pool (cpu %s, memory %s, gpus %d)",
				n, r.CPU, r.Memory, r.GPUs)
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) { return nil, m.Spec.Disaggregation != nil },
		without: func(m *ServedModel) {
			s := &m.Spec
			d := s.Disaggregation
			v := s.PoolView("decode", &d.Decode)
			s.Engine.Args, s.Engine.Env, s.Parallelism = v.Args, v.Env, v.Parallelism
			s.Resources = *s.PoolResources(&d.Decode).DeepCopy()
			s.Replicas = ptr(int32(1))
			if d.Decode.Replicas != nil {
				s.Replicas = ptr(*d.Decode.Replicas)
			}
			s.Disaggregation = nil
		},
	},
	{
		ID: "parallelism-exceeds-pod", Field: "spec.engine.args",
		When: "the engine's parallel flags (`--tensor-parallel-size` x `--pipeline-parallel-size`) ask for more GPUs than a pod has",
		On:   allLayers,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			v, sh := argsPastPod(m)
			return fmt.Sprintf("%s's vLLM flags shard the model over %d GPUs (tensor-parallel %d x pipeline-parallel %d) but a pod gets %d: vLLM fails to start, and flags alone never span pods",
				poolName(v), sh.World(), sh.Tensor, sh.Pipeline, sh.GPUs)
		},
		Fix: func(m *ServedModel, _ *PlatformSpec) string {
			_, sh := argsPastPod(m)
			return fmt.Sprintf("give each pod %d GPUs, or replace the flags with spec.parallelism {tensor: %d, pipeline: %d} so one replica spans pods of spec.resources.gpus GPUs",
				sh.World(), sh.Tensor, sh.Pipeline)
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			v, _ := argsPastPod(m)
			return nil, v != nil
		},
	},
	{
		ID: "parallelism-gpus-mismatch", Field: "spec.parallelism",
		When: "the parallel sizes of `spec.parallelism` (or a pool's) do not lay out on whole pods of `spec.resources.gpus` GPUs",
		On:   allLayers, invalid: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			v, why := shapeProblem(m)
			return inPool(v) + why
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			v, _ := shapeProblem(m)
			if v == nil {
				return nil, false
			}
			return v.Parallelism, true
		},
	},
	{
		ID: "multi-node-on-kserve", Field: "spec.parallelism",
		When: "one replica spans more than one pod (`spec.parallelism` over `spec.resources.gpus`)",
		On:   []Layer{LayerKServe},
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			v, sh := spanning(m, nil)
			return fmt.Sprintf("%sa replica spans %d pods of %d GPUs, but KServe v0.17's only multi-node form (predictor.workerSpec) needs the model+runtime binding with a multi-node ServingRuntime "+
				"(kserve-huggingfaceserver-multinode: Ray, Standard mode, pvc:// or oci:// storage, autoscalerClass none), which servelayer does not render because it replaces vLLM's command line; "+
				"a custom-container predictor with workerSpec has no runtime worker to merge and KServe's controller fails it",
				inPool(v), sh.Pods, sh.GPUs)
		},
		Fix: text("serve it on raw-vllm (a LeaderWorkerSet) or llm-d (a worker), or fit a replica on one pod"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			v, _ := spanning(m, nil)
			return nil, v != nil
		},
	},
	{
		ID: "pipeline-across-pods-on-llm-d", Field: "spec.parallelism",
		When: "one replica spans pods by tensor or pipeline parallelism (no `data`)",
		On:   []Layer{LayerLLMD},
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			v, sh := spanning(m, func(sh Shape) bool { return !sh.DataParallel() })
			return fmt.Sprintf("%sa replica spans %d pods by tensor %d x pipeline %d, but KServe v0.17 ships LLMInferenceServiceConfig presets only for data-parallel workers "+
				"(kserve-config-llm-worker-data-parallel); a worker without data parallelism asks for kserve-config-llm-worker-pipeline-parallel, which it does not ship, and the reconcile fails",
				inPool(v), sh.Pods, sh.Tensor, sh.Pipeline)
		},
		Fix: text("serve it on raw-vllm (a LeaderWorkerSet running vLLM over Ray), or lay it out as data parallel ranks (spec.parallelism.data, with tensor GPUs each)"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			v, _ := spanning(m, func(sh Shape) bool { return !sh.DataParallel() })
			return nil, v != nil
		},
	},
	{
		ID: "llm-d-multi-node-capabilities", Field: "spec.parallelism",
		When: "one replica spans pods (a `worker`)",
		On:   []Layer{LayerLLMD}, Warning: true,
		Problem: text("KServe v0.17's data parallel worker presets add the capabilities IPC_LOCK, SYS_RAWIO and NET_RAW (for RDMA) to container main on the leader and every worker, " +
			"which Pod Security baseline refuses: in a namespace enforcing baseline or restricted, the LeaderWorkerSet's pods are never created"),
		Fix:   text("label the model's namespace pod-security.kubernetes.io/enforce: privileged (servelayer cannot drop what the preset adds)"),
		Check: "kubectl get namespace -L pod-security.kubernetes.io/enforce",
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			v, _ := spanning(m, func(sh Shape) bool { return sh.DataParallel() })
			return nil, v != nil
		},
	},
	{
		ID: "rdma-on-kserve", Field: "spec.network.rdma",
		When: "a pool has RDMA (`spec.network.rdma`, or a pool's `network.rdma`)",
		On:   []Layer{LayerKServe},
		Problem: text("RDMA carries the KV cache between prefill and decode pools or the traffic between the pods of a replica spanning pods, and a KServe v0.17 InferenceService has neither form for vLLM " +
			"(no prefill/decode pools; its multi-node workerSpec only with a multi-node ServingRuntime, see multi-node-on-kserve)"),
		Fix:   text("serve it on llm-d (prefill/decode pools, or a worker) or raw-vllm (a LeaderWorkerSet), or remove spec.network.rdma"),
		match: rdmaPools,
	},
	{
		ID: "rdma-capabilities", Field: "spec.network.rdma",
		When: "a pool whose capabilities servelayer adds has RDMA (on raw-vllm every pool; on llm-d a pool on one pod, since a `worker` gets KServe's presets' own, see `llm-d-multi-node-capabilities`)",
		On:   []Layer{LayerRawVLLM, LayerLLMD}, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			var parts []string
			for _, v := range rdmaCapPools(m) {
				parts = append(parts, fmt.Sprintf("%s%s", inPool(&v), strings.Join(capStrings(v.RDMA.Capabilities), ", ")))
			}
			msg := "RDMA adds capabilities to the vLLM container (" + strings.Join(parts, "; ") + "), which Pod Security baseline refuses: in a namespace enforcing baseline or restricted the pods are never created"
			if m.Spec.Layer == LayerRawVLLM {
				msg += "; and the capabilities take effect only for root, so with RDMA raw-vllm runs vLLM as the image's user (root) instead of uid 1000"
			}
			return msg
		},
		Fix:   text("label the model's namespace pod-security.kubernetes.io/enforce: privileged (baseline admits none of these capabilities)"),
		Check: "kubectl get namespace -L pod-security.kubernetes.io/enforce",
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			ps := rdmaCapPools(m)
			if len(ps) == 0 {
				return nil, false
			}
			return capStrings(ps[0].RDMA.Capabilities), true
		},
	},
	{
		ID: "llm-d-prefill-inherits-networks", Field: "spec.disaggregation.prefill.network.rdma.networks",
		When: "the decode pool attaches Multus networks and the prefill pool's RDMA lists none",
		On:   []Layer{LayerLLMD}, invalid: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return fmt.Sprintf("KServe v0.17 gives the prefill pods the decode workload's annotations (workload_single_node.go), so they would attach decode's networks %s too", strings.Join(m.Spec.Pools()[0].RDMA.Networks, ","))
		},
		Fix: text("list the prefill pool's own networks (the same ones, if prefill shares decode's fabric)"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			if m.Spec.Disaggregation == nil {
				return nil, false
			}
			ps := m.Spec.Pools()
			dec, pre := ps[0].RDMA, ps[1].RDMA
			return "[]", dec != nil && len(dec.Networks) > 0 && pre != nil && len(pre.Networks) == 0
		},
	},
	{
		ID: "rwo-claim-across-pods", Field: "spec.model.source.pvc.provision.accessMode",
		When: "one replica spans pods and the provisioned claim is `ReadWriteOnce` (the default)",
		On:   allLayers, invalid: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			_, sh := spanning(m, nil)
			return fmt.Sprintf("every pod of a replica (%d pods) mounts the claim, and they land on different nodes (each takes a node's GPUs), but a ReadWriteOnce volume attaches to one node: the other pods never start", sh.Pods)
		},
		Fix: text("provision it ReadOnlyMany (weights are read-only) or ReadWriteMany"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			src := m.Spec.Model.Source.PVC
			if src == nil || src.Provision == nil || (src.Provision.AccessMode != "" && src.Provision.AccessMode != "ReadWriteOnce") {
				return nil, false
			}
			v, _ := spanning(m, nil)
			return "ReadWriteOnce", v != nil
		},
	},
	{
		ID: "cuda-image-without-gpu", Field: "spec.engine.image",
		When: "the engine image (`spec.engine.image`, or on raw-vllm and kserve the Platform's `spec.images.vllm`, default `" + DefaultVLLM + "`) is a CUDA build of vLLM (a repository named `vllm-openai`, such as `vllm/vllm-openai`, or `*cuda*`) and a pod requests no GPU",
		On:   allLayers, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return fmt.Sprintf("%s is vLLM's CUDA build, but a pod of this model requests no GPU (spec.resources.gpus: 0): vLLM finds no device and exits at start-up", m.Spec.Engine.Image)
		},
		Fix:   text("request GPUs (spec.resources.gpus, or the pools' resources), or set spec.engine.image to a CPU build of vLLM"),
		match: cudaWithoutGPU,
	},
	{
		ID: "gpus-exceed-node", Field: "spec.resources.gpus",
		When: "`spec.resources.gpus` exceeds the `gpusPerNode` of its GPU class (the Platform's `spec.gpuNodes` or `spec.gpuClasses[]`)",
		On:   allLayers, invalid: true,
		Problem: func(m *ServedModel, p *PlatformSpec) string {
			r := &m.Spec.Resources
			return fmt.Sprintf("a pod asks for %d GPUs but a node has at most %d (Platform %s.gpusPerNode): the pod never schedules",
				r.GPUs, *p.GPUNodesOf(r).GPUsPerNode, p.GPUClassPath(r))
		},
		Fix: func(m *ServedModel, p *PlatformSpec) string {
			return fmt.Sprintf("request at most %d GPUs per pod, and let a replica span pods with spec.parallelism", *p.GPUNodesOf(&m.Spec.Resources).GPUsPerNode)
		},
		match: func(m *ServedModel, p *PlatformSpec, gated bool) (any, bool) {
			g := p.GPUNodesOf(&m.Spec.Resources).GPUsPerNode
			return m.Spec.Resources.GPUs, gated && g != nil && *g >= 0 && m.Spec.Resources.GPUs > *g // a negative g is the Platform's error
		},
	},
	{
		ID: "scheduler-needs-llm-d", Field: "spec.scheduler", When: "`spec.scheduler` is set",
		On:      []Layer{LayerRawVLLM, LayerKServe},
		Problem: text("only llm-d has an endpoint picker (KServe v0.17's router scheduler): the scheduler's profile or config would be dropped"),
		Fix:     text("remove spec.scheduler (routing falls back to the Service's or gateway's balancing)"),
		match:   func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) { return nil, m.Spec.Scheduler != nil },
		without: func(m *ServedModel) { m.Spec.Scheduler = nil },
	},
	{
		ID: "hf-on-raw-vllm", Field: "spec.model.source.hf", When: "`spec.model.source.hf` is set",
		On:      []Layer{LayerRawVLLM},
		Problem: text("raw-vllm runs with HF_HUB_OFFLINE=1 and never downloads from the hub"),
		Fix:     stageOnClaim("spec.model.source.hf"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return m.Spec.Model.Source.HF, m.Spec.Model.Source.HF != ""
		},
		without: placeholderClaim,
	},
	{
		ID: "hf-on-kserve", Field: "spec.model.source.hf", When: "`spec.model.source.hf` is set",
		On:      []Layer{LayerKServe},
		Problem: text("kserve would stage hf:// with its storage initializer, which breaks behind restricted egress"),
		Fix: func(m *ServedModel, _ *PlatformSpec) string {
			return "replace spec.model.source.hf with spec.model.source.pvc (weights staged on a claim in " + namespaceOf(m) +
				") or a digest-pinned spec.model.source.oci modelcar"
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return m.Spec.Model.Source.HF, m.Spec.Model.Source.HF != ""
		},
		without: placeholderClaim,
	},
	{
		ID: "canary-on-raw-vllm", Field: "spec.rollout.canaryTrafficPercent", When: "`spec.rollout.canaryTrafficPercent` is set",
		On:      []Layer{LayerRawVLLM},
		Problem: text("raw-vllm has no traffic split (it rolls out with Recreate): the canary would be dropped"),
		Fix:     finishCanaryFix,
		match:   canarySet,
		without: func(m *ServedModel) { m.Spec.Rollout = nil },
	},
	{
		ID: "canary-on-llm-d", Field: "spec.rollout.canaryTrafficPercent", When: "`spec.rollout.canaryTrafficPercent` is set",
		On:      []Layer{LayerLLMD},
		Problem: text("llm-d's router manages rollout and has no canaryTrafficPercent: the canary would be dropped"),
		Fix:     finishCanaryFix,
		match:   canarySet,
		without: func(m *ServedModel) { m.Spec.Rollout = nil },
	},
	{
		ID: "canary-needs-knative", Field: "spec.rollout.canaryTrafficPercent", When: "`spec.rollout.canaryTrafficPercent` is set",
		On: []Layer{LayerKServe}, Mode: DeploymentModeStandard, invalid: true,
		Problem: text("KServe Standard mode silently ignores canaryTrafficPercent"),
		Fix:     text("set Platform spec.kserve.deploymentMode: Knative, or remove spec.rollout"),
		match:   canarySet,
		without: func(m *ServedModel) { m.Spec.Rollout = nil },
	},
	{
		ID: "scaling-on-raw-vllm", Field: "spec.scaling", When: "`spec.scaling` is set without `spec.scaling.metric`",
		On:      []Layer{LayerRawVLLM},
		Problem: text("raw-vllm scales only through KEDA on a load metric: a replica range without spec.scaling.metric has nothing to scale on"),
		Fix: func(m *ServedModel, _ *PlatformSpec) string {
			sc := m.Spec.Scaling
			lo := int32(1)
			if sc.MinReplicas != nil {
				lo = *sc.MinReplicas
			}
			return fmt.Sprintf("set spec.scaling.metric and target (such as metric: requests-waiting, target: \"4\"), or replace spec.scaling (minReplicas %d, maxReplicas %d) with a fixed spec.replicas, such as spec.replicas: %d",
				lo, sc.MaxReplicas, max(lo, 1))
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Scaling != nil && m.Spec.Scaling.Metric == ""
		},
		without: func(m *ServedModel) {
			s := &m.Spec
			n := int32(1)
			if s.Scaling.MinReplicas != nil {
				n = max(*s.Scaling.MinReplicas, 1)
			}
			s.Replicas, s.Scaling = &n, nil
		},
	},
	{
		ID: "metric-on-llm-d", Field: "spec.scaling.metric", When: "`spec.scaling.metric` is set",
		On: []Layer{LayerLLMD}, invalid: true,
		Problem: text("llm-d scales through the Workload Variant Autoscaler, which decides from its own saturation model (KV-cache usage and queue depth against the thresholds in WVA's configuration), not from a per-model metric and target"),
		Fix:     text("remove spec.scaling.metric and spec.scaling.target"),
		match:   metricSet,
		without: dropMetric,
	},
	{
		ID: "vllm-metric-on-knative", Field: "spec.scaling.metric",
		When: "`spec.scaling.metric` is one of vLLM's own metrics (requests-waiting, requests-running, kv-cache-usage, tokens-per-second)",
		On:   []Layer{LayerKServe}, Mode: DeploymentModeKnative, invalid: true,
		Problem: text("KServe Knative mode scales with Knative's autoscaler, which counts requests at each pod's queue-proxy (concurrency, rps) and never reads vLLM's /metrics"),
		Fix:     text("use metric concurrency or requests-per-second, or Platform spec.kserve.deploymentMode: Standard (KServe's KEDA autoscaler class)"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			sc := m.Spec.Scaling
			if sc == nil {
				return nil, false
			}
			return string(sc.Metric), VLLMMetric(sc.Metric)
		},
		without: dropMetric,
	},
	{
		ID: "metric-needs-prometheus", Field: "spec.scaling.metric",
		When: "`spec.scaling.metric` is set and the Platform's `spec.prometheus.url` is not",
		On:   []Layer{LayerRawVLLM, LayerKServe}, Mode: DeploymentModeStandard, invalid: true,
		Problem: text("the metric is read by KEDA's Prometheus trigger, and the Platform names no Prometheus"),
		Fix:     text("set Platform spec.prometheus.url to the Prometheus KEDA queries, such as http://prometheus-operated.monitoring:9090"),
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			v, ok := metricSet(m, p, false)
			return v, ok && p.Prometheus.URL == ""
		},
	},
	{
		ID: "scale-to-zero-needs-knative", Field: "spec.scaling.minReplicas", When: "`spec.scaling.minReplicas` is 0 without `spec.scaling.metric`",
		On: []Layer{LayerKServe}, Mode: DeploymentModeStandard, invalid: true,
		Problem: text("KServe Standard mode's default autoscaler (a CPU HPA) clamps minReplicas below 1 to 1: scale-to-zero would be dropped"),
		Fix:     text("set spec.scaling.metric (KServe's KEDA autoscaler class scales to zero), Platform spec.kserve.deploymentMode: Knative, or spec.scaling.minReplicas: 1"),
		match: func(m *ServedModel, p *PlatformSpec, g bool) (any, bool) {
			v, ok := minReplicasZero(m, p, g)
			return v, ok && m.Spec.Scaling.Metric == ""
		},
		without: func(m *ServedModel) { m.Spec.Scaling.MinReplicas = ptr(int32(1)) },
	},
	{
		ID: "scale-to-zero-on-llm-d", Field: "spec.scaling.minReplicas", When: "`spec.scaling.minReplicas` is 0",
		On: []Layer{LayerLLMD}, invalid: true,
		Problem: text("llm-d cannot scale to zero: KServe's LLMInferenceService needs scaling.minReplicas >= 1 (and KEDA idleReplicaCount >= 1)"),
		Fix:     text("set spec.scaling.minReplicas: 1 and idle with spec.paused: true (the serving.kserve.io/stop annotation)"),
		match:   minReplicasZero,
		without: func(m *ServedModel) { m.Spec.Scaling.MinReplicas = ptr(int32(1)) },
	},
	{
		ID: "keda-wake-from-zero", Field: "spec.scaling.minReplicas", When: "`spec.scaling.minReplicas` is 0 with `spec.scaling.metric`",
		On: []Layer{LayerRawVLLM, LayerKServe}, Mode: DeploymentModeStandard, Warning: true,
		Problem: text("at zero replicas no pod exports vLLM's metrics, so KEDA's query reads 0 and never wakes the model: requests fail (nothing behind the Service) until something scales the Deployment up; KEDA then holds it while the metric is above 0 and returns it to zero after its cooldown (300 s)"),
		Fix:     text("wake it on demand (kubectl scale deployment to 1), or keep spec.scaling.minReplicas: 1 and idle with spec.paused; KServe Knative mode wakes on the first request"),
		match: func(m *ServedModel, p *PlatformSpec, g bool) (any, bool) {
			v, ok := minReplicasZero(m, p, g)
			return v, ok && m.Spec.Scaling.Metric != ""
		},
	},
	{
		ID: "llm-d-scaling-not-reconciled", Field: "spec.scaling", When: "`spec.scaling` is set",
		On: []Layer{LayerLLMD}, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return "KServe v0.17 validates the LLMInferenceService's scaling block but its controller creates neither the VariantAutoscaling nor the KEDA ScaledObject (pkg/controller/v1alpha2/llmisvc has no scaling code): until a release that does, or the Workload Variant Autoscaler is installed to act on it, " +
				"Deployment " + m.Name + "-kserve keeps the replica count it was created with (1)"
		},
		Fix:   text("install the Workload Variant Autoscaler with its KEDA actuator, or serve on kserve or raw-vllm to scale on a vLLM metric today"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) { return nil, m.Spec.Scaling != nil },
	},
	{
		ID: "zero-replicas-need-knative", Field: "spec.replicas", When: "`spec.replicas` is 0",
		On: []Layer{LayerKServe}, Mode: DeploymentModeStandard, invalid: true,
		Problem: text("KServe Standard mode clamps 0 replicas to 1: the idle model would start serving"),
		Fix:     text("set spec.paused: true (the serving.kserve.io/stop annotation) and spec.replicas: 1, or use Knative mode (Platform spec.kserve.deploymentMode) for scale-to-zero"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return 0, m.Spec.Scaling == nil && m.Spec.Replicas != nil && *m.Spec.Replicas == 0
		},
		without: func(m *ServedModel) { m.Spec.Replicas = ptr(int32(1)) },
	},
	{
		ID: "oci-on-raw-vllm", Field: "spec.model.source.oci", When: "`spec.model.source.oci` is set",
		On:      []Layer{LayerRawVLLM},
		Problem: text("raw-vllm cannot mount an OCI modelcar: it serves pre-staged weights from a claim"),
		Fix:     stageOnClaim("spec.model.source.oci"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return m.Spec.Model.Source.OCI, m.Spec.Model.Source.OCI != ""
		},
		without: placeholderClaim,
	},
	{
		ID: "modelcar-disabled", Field: "spec.model.source.oci", When: "`spec.model.source.oci` is set and the Platform's `spec.kserve.modelcar` is false",
		On: []Layer{LayerKServe}, Warning: true,
		Problem: text("KServe injects a modelcar only when its storage config sets enableModelcar: true (shipped: false)"),
		Fix:     text("enable it in the inferenceservice-config ConfigMap and declare it with Platform spec.kserve.modelcar: true"),
		Check:   checkModelcar,
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			return m.Spec.Model.Source.OCI, m.Spec.Model.Source.OCI != "" && !p.KServe.Modelcar
		},
	},
	{
		ID: "llm-d-modelcar-disabled", Field: "spec.model.source.oci", When: "`spec.model.source.oci` is set and the Platform's `spec.kserve.modelcar` is false",
		On: []Layer{LayerLLMD}, Warning: true,
		Problem: text("KServe's LLMInferenceService controller refuses an oci:// model (\"OCI modelcars is not enabled\") unless its storage config sets enableModelcar: true (shipped: false)"),
		Fix:     text("enable it in the inferenceservice-config ConfigMap and declare it with Platform spec.kserve.modelcar: true"),
		Check:   checkModelcar,
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			return m.Spec.Model.Source.OCI, m.Spec.Model.Source.OCI != "" && !p.KServe.Modelcar
		},
	},
	{
		ID: "knative-pvc", Field: "spec.model.source.pvc", When: "`spec.model.source.pvc` is set",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-persistent-volume-claim"),
		match:   func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) { return nil, m.Spec.Model.Source.PVC != nil },
	},
	{
		ID: "knative-node-selector", Field: "Platform spec.gpuNodes.nodeSelector", When: "the model requests GPUs and its GPU class (the Platform's `spec.gpuNodes` or a `spec.gpuClasses[]` entry) sets a `nodeSelector`",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-nodeselector"),
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Resources.GPUs > 0 && len(p.GPUNodesOf(&m.Spec.Resources).NodeSelector) > 0
		},
	},
	{
		ID: "knative-tolerations", Field: "Platform spec.gpuNodes.tolerations", When: "the model requests GPUs and its GPU class sets `tolerations`",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-tolerations"),
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Resources.GPUs > 0 && len(p.GPUNodesOf(&m.Spec.Resources).Tolerations) > 0
		},
	},
	{
		ID: "knative-affinity", Field: "Platform spec.gpuNodes.affinity", When: "the model requests GPUs and its GPU class sets `affinity`",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-affinity"),
		match: func(m *ServedModel, p *PlatformSpec, _ bool) (any, bool) {
			a := p.GPUNodesOf(&m.Spec.Resources).Affinity
			return nil, m.Spec.Resources.GPUs > 0 && a != nil && a.NodeAffinity != nil
		},
	},
	{
		ID: "kserve-progress-deadline", Field: "spec.engine.startupTimeoutSeconds",
		When: "`spec.engine.startupTimeoutSeconds` is set above 600",
		On:   []Layer{LayerKServe}, Mode: DeploymentModeStandard, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return fmt.Sprintf("the startup probe allows %d s, but KServe v0.17 gives the predictor Deployment progressDeadlineSeconds: 600 and no InferenceService field or annotation raises it: "+
				"a load past 10 minutes marks the Deployment ProgressDeadlineExceeded (kubectl rollout status fails, and KServe reports it as the predictor's reason) until vLLM is ready; status only, the pod is not restarted",
				m.Spec.StartupSeconds())
		},
		Fix:   text("wait on the InferenceService's Ready condition with a timeout past the budget rather than on the Deployment's rollout status"),
		match: startupPastProgressDeadline,
	},
	{
		ID: "llm-d-progress-deadline", Field: "spec.engine.startupTimeoutSeconds",
		When: "`spec.engine.startupTimeoutSeconds` is set above 600",
		On:   []Layer{LayerLLMD}, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return fmt.Sprintf("the startup probe allows %d s, but KServe v0.17 creates the workload Deployments without progressDeadlineSeconds (the API server's 600 applies) and the LLMInferenceService has no field for it: "+
				"a load past 10 minutes marks them ProgressDeadlineExceeded (kubectl rollout status fails) until vLLM is ready; status only, the pod is not restarted",
				m.Spec.StartupSeconds())
		},
		Fix:   text("wait on the LLMInferenceService's Ready condition with a timeout past the budget rather than on the Deployments' rollout status"),
		match: startupPastProgressDeadline,
	},
	{
		ID: "knative-priority-class", Field: "spec.pod.priorityClassName", When: "`spec.pod.priorityClassName` is set",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-priorityclassname"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			if m.Spec.Pod == nil || m.Spec.Pod.PriorityClassName == "" {
				return nil, false
			}
			return m.Spec.Pod.PriorityClassName, true
		},
	},
	{
		ID: "knative-topology-spread", Field: "spec.pod.topologySpread", When: "`spec.pod.topologySpread` is set",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: knativeFlag("kubernetes.podspec-topologyspreadconstraints"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Pod != nil && len(m.Spec.Pod.TopologySpread) > 0
		},
	},
	{
		ID: "llm-d-pod-labels", Field: "spec.pod.labels", When: "`spec.pod.labels` is set",
		On: []Layer{LayerLLMD}, Warning: true,
		Problem: func(m *ServedModel, _ *PlatformSpec) string {
			return "KServe v0.17 puts the workload's labels into the selector of the Deployments it creates (" + llmdDeployments(m) + "), which is immutable: " +
				"adding, changing or removing one of these labels later makes KServe's update of them fail " +
				"(workload_single_node.go shares one label map between the selector and the pod template)"
		},
		Fix: func(m *ServedModel, _ *PlatformSpec) string {
			return "settle the labels before the first apply; to change them later, delete " + llmdDeployments(m) + " and KServe recreates them (the pods restart)"
		},
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Pod != nil && len(m.Spec.Pod.Labels) > 0
		},
	},
	{
		ID: "knative-pod-template", Field: "spec.pod.template", When: "`spec.pod.template` is set",
		On: []Layer{LayerKServe}, Mode: DeploymentModeKnative, Warning: true,
		Problem: text("KServe Knative mode: Knative accepts only the pod fields its config-features flags enable (init containers, affinity, tolerations, node selector, a pod securityContext, host namespaces, ... are off by default), so a field the pod template adds may be rejected"),
		Fix:     text("check the template's fields against Knative's config-features, or use KServe Standard mode"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return nil, m.Spec.Pod != nil && m.Spec.Pod.Template != nil
		},
	},
	{
		ID: "adapter-hf-offline", Field: "spec.model.adapters", When: "an adapter of `spec.model.adapters` sets `hf`",
		On:      []Layer{LayerRawVLLM, LayerKServe},
		Problem: text("raw-vllm and kserve run vLLM with HF_HUB_OFFLINE=1, so vLLM cannot download the adapter from the hub"),
		Fix:     text("stage the adapter on the model's claim and set its path instead of hf"),
		invalid: true,
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return adapterNames(m, func(a *Adapter) bool { return a.HF != "" })
		},
	},
	{
		ID: "adapter-oci", Field: "spec.model.adapters", When: "an adapter of `spec.model.adapters` sets `oci`",
		On: allLayers, invalid: true,
		Problem: text("no layer stages an adapter image: KServe v0.17 injects a modelcar only for the model's own storage URI (the first of its storage URIs, storage_initializer_injector.go) and raw-vllm mounts no image"),
		Fix:     text("copy the adapter onto the model's claim and set its path, or publish it on the Hugging Face hub and set hf (llm-d)"),
		match: func(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
			return adapterNames(m, func(a *Adapter) bool { return a.OCI != "" })
		},
	},
}

// adapterNames are the names of m's adapters that keep, and whether any does.
func adapterNames(m *ServedModel, keep func(*Adapter) bool) (any, bool) {
	var names []string
	for i := range m.Spec.Model.Adapters {
		if a := &m.Spec.Model.Adapters[i]; keep(a) {
			names = append(names, a.Name)
		}
	}
	return strings.Join(names, ", "), len(names) > 0
}

func metricSet(m *ServedModel, _ *PlatformSpec, _ bool) (any, bool) {
	sc := m.Spec.Scaling
	if sc == nil || sc.Metric == "" {
		return nil, false
	}
	return string(sc.Metric), true
}

// dropMetric leaves the layer's default autoscaler.
func dropMetric(m *ServedModel) { m.Spec.Scaling.Metric, m.Spec.Scaling.Target = "", "" }
