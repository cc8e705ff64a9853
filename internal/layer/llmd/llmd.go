// Package llmd is the llm-d layer's home: one LLMInferenceService, merged
// by KServe into its llm-d presets, with the router (HTTPRoute, InferencePool
// and endpoint picker) on llm-d's own gateway.
package llmd

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

const (
	// Container is the container name llm-d's presets merge into.
	Container = "main"
	// ModelsDir is where KServe's storage puts the weights.
	ModelsDir = "/mnt/models"
	// nixlKVTransfer is vLLM's KV-transfer config for prefill/decode over
	// NIXL: both pools kv_both, as llm-d's P/D guides run them.
	nixlKVTransfer = `{"kv_connector":"NixlConnector","kv_role":"kv_both"}`
	// annotationStorageSecret is the shipped credentials config's
	// storageSecretNameAnnotation.
	annotationStorageSecret = "serving.kserve.io/storageSecretName"
	apiVersion              = "serving.kserve.io/v1alpha2"
	kind                    = "LLMInferenceService"
)

// Layer is llm-d.
type Layer struct{}

var _ layer.Layer = Layer{}

func (Layer) Name() schema.Layer                      { return schema.LayerLLMD }
func (Layer) Gate() string                            { return "llmd" }
func (Layer) Enabled(p *schema.PlatformSpec) bool     { return p.Features.LLMD }
func (Layer) Enable(p *schema.PlatformSpec)           { p.Features.LLMD = true }
func (Layer) Namespace(p *schema.PlatformSpec) string { return p.Namespaces.LLMD }
func (Layer) NameSuffix() string                      { return "-kserve-router-scheduler" }
func (Layer) Plan() layer.Planner                     { return planner{} }

// APIBase is the path KServe's managed HTTPRoute serves on llm-d's gateway.
func (Layer) APIBase(m *schema.ServedModel, p *schema.PlatformSpec) string {
	return fmt.Sprintf("%s/%s/%s/v1", strings.TrimSuffix(p.LLMD.Gateway.URL, "/"), m.Namespace, m.Name)
}

// Default leaves the image empty: llm-d's presets bring their own (built
// with NIXL for prefill/decode KV transfer); only an explicit one overrides it.
func (Layer) Default(m *schema.ServedModel, p *schema.PlatformSpec) {
	if m.Namespace == "" {
		m.Namespace = p.Namespaces.LLMD
	}
}

// certStorm is what KServe v0.17's LLMInferenceService controller does
// while a workload pod has no IP: collectIPAddresses adds the Pending
// pod's empty address, which no certificate can cover, so
// ShouldRecreateCertificate is true on every reconcile; the new
// certificate's hash is on the router-scheduler's pod template, so it
// rolls (pkg/controller/v1alpha2/llmisvc/workload_tls_self_signed.go,
// scheduler.go).
func certStorm(name string) string {
	return "and while a pod waits without an IP KServe v0.17's LLMInferenceService controller re-issues the model's self-signed certificate on every reconcile " +
		"(the Pending pod adds an empty address no certificate covers) and so rolls the " + name + "-kserve-router-scheduler Deployment again and again"
}

// Validate refuses "{{" in what KServe's controller runs through Go's
// text/template and what the pod template cannot change, and warns about
// pools that cannot serve as asked.
func (Layer) Validate(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (field.ErrorList, []layer.Warning) {
	s := &m.Spec
	errs := append(templateErrors(s), podBraces(m)...)
	if s.MultiNode() && ShellQuote(s.Model.Name) != s.Model.Name {
		// The worker presets paste the name into the string they eval
		// ("--served-model-name \"{{ .Spec.Model.Name }}\"" inside a
		// double-quoted eval): bash would re-read a space, a quote or '$'.
		errs = append(errs, field.Invalid(field.NewPath("spec", "model", "name"), s.Model.Name,
			"with a replica spanning pods, KServe v0.17's worker presets pass the name through bash's eval unquoted: use letters, digits and @%+=:,./_- only"))
	}
	errs = append(errs, layer.TemplateErrors(m, p, gated, func() ([]k8s.Object, field.ErrorList) { return build(m, p) })...)
	d := s.Disaggregation
	ws := layer.DisruptionWarnings(m, pools(m))
	if s.Precise() && len(s.Model.Adapters) > 0 {
		// vLLM adds the LoRA id to an adapter request's block hashes and
		// publishes them under the base model's name; the scheduler
		// (llm-d-kv-cache-manager v0.4.0) hashes the prompt without it,
		// under the adapter's name.
		ws = append(ws, layer.Warning{Field: "spec.model.adapters", Value: len(s.Model.Adapters),
			Message: "the precise-prefix-cache scorer never finds an adapter request's blocks (vLLM hashes them with the adapter's id, the scheduler without): adapter requests are routed on load alone"})
	}
	if d == nil {
		return errs, append(singlePoolWarnings(m, p, gated), ws...)
	}
	for _, pool := range []struct {
		path string
		p    *schema.Pool
	}{{"spec.disaggregation.prefill", &d.Prefill}, {"spec.disaggregation.decode", &d.Decode}} {
		if s.PoolResources(pool.p).GPUs == 0 && s.Resources.GPUs > 0 {
			ws = append(ws, layer.Warning{Field: pool.path + ".resources.gpus", Value: 0,
				Message: "this pool's resources override the model's and request no GPU; set gpus in the pool's resources"})
		}
	}
	if *d.Decode.Replicas == 0 {
		ws = append(ws, layer.Warning{Field: "spec.disaggregation.decode.replicas", Value: 0,
			Message: "no decode replica: nothing serves tokens; use spec.paused: true to idle the model"})
	}
	if gated && p.GPUs != nil {
		pre := s.PoolView("prefill", &d.Prefill).ReplicaGPUs() * *d.Prefill.Replicas
		dec := s.PoolView("decode", &d.Decode).ReplicaGPUs() * *d.Decode.Replicas
		if pre+dec > *p.GPUs {
			ws = append(ws, layer.Warning{Field: "spec.disaggregation", Message: fmt.Sprintf(
				"prefill needs %d GPU(s) and decode %d, but the Platform has %d: rendered anyway, but pods of one pool stay Pending until more GPUs join, %s; "+
					"until the GPUs are there, serve one pool (remove spec.disaggregation) so no pod waits without an IP",
				pre, dec, *p.GPUs, certStorm(m.Name))})
		}
	}
	return errs, ws
}

// singlePoolWarnings: more replicas than the Platform's GPUs leave some
// Pending, which on llm-d also sets off the certificate re-issue.
func singlePoolWarnings(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) []layer.Warning {
	s := &m.Spec
	if !gated || p.GPUs == nil || s.Resources.GPUs == 0 {
		return nil
	}
	path, n := "spec.replicas", int32(1)
	switch {
	case s.Replicas != nil:
		n = *s.Replicas
	case s.Scaling != nil:
		path, n = "spec.scaling.minReplicas", max(*s.Scaling.MinReplicas, 1)
	}
	per := s.Pools()[0].ReplicaGPUs()
	if s.Paused || per*n <= *p.GPUs {
		return nil
	}
	fix := fmt.Sprintf("keep it at %d until more GPUs join", *p.GPUs/per)
	if *p.GPUs < per {
		fix = "no replica fits: pause the model (spec.paused) until GPUs join"
	}
	return []layer.Warning{{Field: path, Value: n, Message: fmt.Sprintf(
		"%d replica(s) of %d GPU(s) do not fit the Platform's %d GPU(s): the rest stay Pending, %s; %s",
		n, per, *p.GPUs, certStorm(m.Name), fix)}}
}

// templateErrors: KServe's LLMInferenceService controller merges the spec
// into its presets and runs the result through Go's text/template
// (ReplaceVariables), so "{{" in an argument or environment value would be
// evaluated, or fail the reconcile, instead of reaching vLLM.
func templateErrors(s *schema.ServedModelSpec) field.ErrorList {
	const why = "on llm-d KServe's controller evaluates \"{{\" as a Go template; put the text in a file (a ConfigMap mount) and pass its path"
	var errs field.ErrorList
	ep := field.NewPath("spec", "engine")
	for i, a := range s.Engine.Args {
		if strings.Contains(a, "{{") {
			errs = append(errs, field.Invalid(ep.Child("args").Index(i), a, why))
		}
	}
	for i, e := range s.Engine.Env {
		if strings.Contains(e.Value, "{{") {
			errs = append(errs, field.Invalid(ep.Child("env").Index(i).Child("value"), e.Value, why))
		}
	}
	return errs
}

// Objects renders one LLMInferenceService. KServe's llm-d presets own the
// vLLM command line (the model at /mnt/models, port, TLS); servelayer adds
// the image, the user's args and env, and explicit resources. The router
// block makes KServe create the HTTPRoute on llm-d's own gateway and the
// InferencePool with its KV/prefix-aware endpoint picker.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
	objs, _ := build(m, p) // validation refused what the pod template cannot change
	return objs
}

// build renders the objects, with spec.pod.template merged into every
// pool's template (KServe then merges those into its presets).
func build(m *schema.ServedModel, p *schema.PlatformSpec) ([]k8s.Object, field.ErrorList) {
	s := &m.Spec
	sched, inline := scheduler(m)
	spec := k8s.LLMInferenceServiceSpec{
		Model: k8s.LLMModel{URI: URI(s.Model.Source), Name: s.Model.Name},
		Router: &k8s.LLMRouter{
			Route:     &struct{}{},
			Scheduler: sched,
			Gateway: &k8s.LLMGateway{Refs: []k8s.UntypedObjectRef{{
				Name: p.LLMD.Gateway.Name, Namespace: p.LLMD.Gateway.Namespace,
			}}},
		},
	}
	if d := s.Disaggregation; d != nil {
		spec.LLMWorkload = workload(m, p, d.Decode.Replicas, nil, s.PoolView("decode", &d.Decode), componentWorkload)
		pre := workload(m, p, d.Prefill.Replicas, nil, s.PoolView("prefill", &d.Prefill), componentPrefill)
		spec.Prefill = &pre
	} else {
		spec.LLMWorkload = workload(m, p, s.Replicas, s.Scaling, s.Pools()[0], componentWorkload)
	}
	// The workload's labels and annotations reach every pool's pods
	// (propagateDeploymentMetadata in workload_single_node.go); see the
	// llm-d-pod-labels rule for what KServe does with the labels.
	// With a prefill pool, decode's vLLM listens on 8001 behind the routing
	// sidecar on 8000 (config-llm-decode-template.yaml); prefill's, and a
	// single pool's, on 8000. The prefill pool's annotations override the
	// workload's for its pods.
	port := int32(llmdPort)
	if s.Disaggregation != nil {
		port = llmdDecodePort
		spec.Prefill.Annotations = scrapeOnly(m, llmdPort)
	}
	spec.Labels, spec.Annotations = k8s.UserPodLabels(m), k8s.PodAnnotations(m, port)
	// Multus networks: the workload's annotations reach every pool's pods,
	// the prefill pool's override them (rule llm-d-prefill-inherits-networks).
	for _, v := range s.Pools() {
		if v.RDMA == nil || len(v.RDMA.Networks) == 0 {
			continue
		}
		nets := map[string]string{k8s.AnnotationNetworks: strings.Join(v.RDMA.Networks, ",")}
		if v.Name == "prefill" {
			spec.Prefill.Annotations = k8s.MergeMaps(spec.Prefill.Annotations, nets)
		} else {
			spec.Annotations = k8s.MergeMaps(spec.Annotations, nets)
		}
	}

	budgets := k8s.DisruptionBudgets(m, pools(m))
	obj := &k8s.LLMInferenceService{
		TypeMeta: k8s.TypeMeta{APIVersion: apiVersion, Kind: kind},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec:     spec,
	}
	// The CRD is too large for client-side apply's last-applied annotation.
	k8s.AddSyncOptions(&obj.Metadata, "ServerSideApply=true")
	if c := s.Model.Credentials; c != nil && s.Model.Source.HF != "" {
		// KServe's storage initializer takes credentials only from this
		// annotation or the ServiceAccount's secrets, and reads HF_TOKEN
		// from the Secret (workload_storage.go attachHfModelArtifact,
		// credentials/service_account_credentials.go); engine env reaches
		// only main.
		obj.Metadata.Annotations[annotationStorageSecret] = c.SecretName
	}
	if s.Paused {
		obj.Metadata.Annotations[k8s.AnnotationStop] = "true"
	}
	paths := [][]string{{"spec", "template"}}
	if spec.Worker != nil {
		paths = append(paths, []string{"spec", "worker"})
	}
	if s.Disaggregation != nil {
		paths = append(paths, []string{"spec", "prefill", "template"})
		if spec.Prefill.Worker != nil {
			paths = append(paths, []string{"spec", "prefill", "worker"})
		}
	}
	o, errs := k8s.ApplyPodTemplate(k8s.NewObject(apiVersion, kind, m, m.Name, obj), m, Container, paths...)
	if inline != nil {
		var err error
		if o, err = k8s.SetJSON(o, []string{"spec", "router", "scheduler", "config", "inline"}, inline); err != nil {
			errs = append(errs, field.InternalError(field.NewPath("spec", "scheduler"), err))
		}
	}
	return append([]k8s.Object{o}, budgets...), errs
}

// pools are the model's pools of pods: decode (or the one pool) and
// prefill. KServe v0.17 renders no PodDisruptionBudget for them.
func pools(m *schema.ServedModel) []k8s.DisruptionPool {
	s := &m.Spec
	if d := s.Disaggregation; d != nil {
		return []k8s.DisruptionPool{
			{Name: m.Name, Selector: PoolSelector(m, componentWorkload), MaxPods: k8s.Deref(d.Decode.Replicas)},
			{Name: m.Name + "-prefill", Selector: PoolSelector(m, componentPrefill), MaxPods: k8s.Deref(d.Prefill.Replicas)},
		}
	}
	return []k8s.DisruptionPool{{Name: m.Name, Selector: PoolSelector(m, componentWorkload), MaxPods: k8s.MaxPods(s)}}
}

// The ports vLLM listens on in the presets: 8000, or 8001 in the decode
// pool behind the routing sidecar.
const (
	llmdPort       = 8000
	llmdDecodePort = 8001
)

// scrapeOnly are the Prometheus annotations of a pool whose vLLM port
// differs from the workload's, nil unless spec.metrics.scrape.
func scrapeOnly(m *schema.ServedModel, port int32) map[string]string {
	if m.Spec.Metrics == nil || !m.Spec.Metrics.Scrape {
		return nil
	}
	return k8s.Scrape(port)
}

// The app.kubernetes.io/component of the pods of each pool, as KServe
// labels them (constants.LLMComponentWorkload, LLMComponentWorkloadPrefill).
const (
	componentWorkload = "llminferenceservice-workload"
	componentPrefill  = "llminferenceservice-workload-prefill"
)

// workload renders one pool: its template (the leader, when a replica
// spans pods) and, spanning pods, its worker and parallelism, which
// KServe's data parallel worker presets run as a LeaderWorkerSet.
func workload(m *schema.ServedModel, p *schema.PlatformSpec, replicas *int32, sc *schema.Scaling, v schema.PoolView, component string) k8s.LLMWorkload {
	s := &m.Spec
	res := v.Resources
	sh, _ := v.Shape() // validation refused a shape that does not fit
	args := append(k8s.LoRAArgs(s, k8s.AdaptersDir), k8s.ContainerArgs(v.Args, v.Env)...)
	env := k8s.EnvVars(v.Env)
	if s.Disaggregation != nil {
		// Prefill hands its KV cache to decode over NIXL (the only
		// spec.disaggregation.kvConnector). KServe's presets add only the
		// routing sidecar; vLLM needs the connector and the side-channel
		// address on both pools, or decode recomputes prefill.
		args = append(args, "--kv-transfer-config", nixlKVTransfer)
		env = append(env, k8s.EnvVar{Name: "VLLM_NIXL_SIDE_CHANNEL_HOST",
			ValueFrom: &k8s.EnvVarSource{FieldRef: &k8s.FieldSelector{FieldPath: "status.podIP"}}})
	}
	if s.Precise() {
		var more []k8s.EnvVar
		args, more = preciseEngine(m, args)
		env = append(env, more...)
		if !slices.ContainsFunc(v.Env, func(e schema.EnvVar) bool { return e.Name == "PYTHONHASHSEED" }) {
			env = append(env, k8s.EnvVar{Name: "PYTHONHASHSEED", Value: s.Scheduler.HashSeed})
		}
	}
	if sh.MultiNode() {
		// The worker presets run `eval "vllm serve ... $@"`: bash re-reads
		// the arguments, so each is quoted to reach vLLM as written.
		for i, a := range args {
			args[i] = ShellQuote(a)
		}
	} else {
		args = append(k8s.ParallelArgs(sh), args...)
	}
	main := k8s.Container{
		Name:      Container,
		Image:     s.Engine.Image,
		Args:      args,
		Env:       env,
		Resources: k8s.Resources(res, p),
		// Only the budget: the preset's handler (/health on the pool's
		// vLLM port, 8000, or 8001 behind the decode routing sidecar)
		// survives KServe's strategic merge, and its 60 x 10 s would
		// restart a model loading for more than 10 minutes
		// (config/llmisvcconfig/config-llm-*-template.yaml).
		StartupProbe:    &k8s.Probe{PeriodSeconds: k8s.ProbePeriodSeconds, FailureThreshold: k8s.StartupFailures(s.StartupSeconds())},
		SecurityContext: k8s.Hardened(false),
	}
	if v.RDMA != nil {
		// KServe's worker presets add IPC_LOCK, SYS_RAWIO and NET_RAW to
		// main themselves, and a list of ours would replace theirs in the
		// merge; the annotations are the workload's (build).
		k8s.AddRDMA(&main, v.RDMA, !sh.MultiNode())
	}
	w := k8s.LLMWorkload{Template: pod(m, p, res, component, main)}
	mountAdapters(s, w.Template)
	if sh.MultiNode() {
		w.Parallelism = &k8s.LLMParallelism{Data: k8s.Ptr(sh.Data), DataLocal: k8s.Ptr(sh.DataLocal), Expert: sh.Expert}
		if sh.Tensor > 1 {
			w.Parallelism.Tensor = k8s.Ptr(sh.Tensor)
		}
		// The worker preset's container has no probes: it serves no API.
		worker := main
		worker.StartupProbe = nil
		w.Worker = pod(m, p, res, component, worker)
		mountAdapters(s, w.Worker)
	}
	if sc == nil {
		w.Replicas = k8s.Ptr(*replicas)
		return w
	}
	// llm-d autoscales through the Workload Variant Autoscaler, whose CEL
	// rules require an actuator. KEDA, as on the other layers: it queries
	// Prometheus itself, where HPA would need a Prometheus Adapter. The
	// rule table refuses minReplicas 0 (llm-d's floor is 1) and a metric
	// (WVA picks its own).
	w.Scaling = &k8s.LLMScaling{MinReplicas: k8s.Ptr(*sc.MinReplicas), MaxReplicas: k8s.Ptr(sc.MaxReplicas),
		WVA: &k8s.LLMWVA{KEDA: &struct{}{}}}
	return w
}

// adaptersVolume is the model's claim, mounted whole for its adapters.
const adaptersVolume = "model-claim"

// adaptersOnClaim reports whether an adapter lives on the model's claim.
func adaptersOnClaim(s *schema.ServedModelSpec) bool {
	return slices.ContainsFunc(s.Model.Adapters, func(a schema.Adapter) bool { return a.Path != "" })
}

// mountAdapters mounts the model's claim whole at k8s.AdaptersDir when an
// adapter lives on it: KServe mounts only the model's directory of the
// claim (subPath, workload_storage.go).
func mountAdapters(s *schema.ServedModelSpec, ps *k8s.PodSpec) {
	src := s.Model.Source.PVC
	if src == nil || !adaptersOnClaim(s) {
		return
	}
	ps.Volumes = append(ps.Volumes, k8s.Volume{Name: adaptersVolume,
		PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.ClaimName, ReadOnly: true}})
	main := &ps.Containers[0]
	main.VolumeMounts = append(main.VolumeMounts, k8s.VolumeMount{Name: adaptersVolume, MountPath: k8s.AdaptersDir, ReadOnly: true})
}

// pod is a pool's pod around its main container, which KServe merges into
// the preset's.
func pod(m *schema.ServedModel, p *schema.PlatformSpec, res *schema.Resources, component string, main k8s.Container) *k8s.PodSpec {
	ps := &k8s.PodSpec{
		// KServe's presets merge into this template; the decode preset adds
		// a routing sidecar without a seccomp profile, so set it pod-wide.
		SecurityContext: &k8s.PodSecurityContext{SeccompProfile: k8s.RuntimeDefaultSeccomp()},
		Containers:      []k8s.Container{main},
	}
	sched := k8s.GPUScheduling(res, p)
	ps.NodeSelector, ps.Tolerations, ps.Affinity = sched.NodeSelector, sched.Tolerations, sched.Affinity
	k8s.PodKnobsOf(m, PoolSelector(m, component), k8s.PullCredentials(m)...).Apply(ps)
	if res.SharedMemory.IsSet() {
		// KServe merges the template into the preset's volumes by name
		// (strategic merge): this raises the presets' 1Gi dshm, which their
		// main container already mounts at /dev/shm.
		shm, _ := k8s.SharedMemory(res.SharedMemory)
		ps.Volumes = []k8s.Volume{shm}
	}
	return ps
}

// ShellQuote quotes s for bash, leaving a plain word as it is.
func ShellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// URI is the model URI KServe's storage stages for llm-d.
func URI(src schema.ModelSource) string {
	switch {
	case src.PVC != nil:
		return "pvc://" + src.PVC.ClaimName + "/" + src.PVC.Path
	case src.OCI != "":
		repo, digest := schema.SplitOCI(src.OCI)
		return "oci://" + repo + "@" + digest
	default:
		return "hf://" + strings.TrimPrefix(src.HF, "hf://")
	}
}

// PoolSelector selects the pods of one pool of m, by the labels KServe
// gives them (workload_single_node.go singleNodeLabels, and the prefill
// Deployment's).
func PoolSelector(m *schema.ServedModel, component string) map[string]string {
	return map[string]string{k8s.LabelName: m.Name, k8s.LabelComponent: component}
}

// podBraces: the pod annotations and the pod template reach the same Go
// template evaluation (the workload's annotations and template are part of
// the merged config ReplaceVariables executes), so "{{" there is refused
// for the same reason as in the engine's args.
func podBraces(m *schema.ServedModel) field.ErrorList {
	const why = "on llm-d KServe's controller evaluates \"{{\" as a Go template (ReplaceVariables, config_merge.go)"
	pod := m.Spec.Pod
	if pod == nil {
		return nil
	}
	var errs field.ErrorList
	ap := field.NewPath("spec", "pod", "annotations")
	for _, k := range slices.Sorted(maps.Keys(pod.Annotations)) {
		if strings.Contains(pod.Annotations[k], "{{") {
			errs = append(errs, field.Invalid(ap.Key(k), pod.Annotations[k], why))
		}
	}
	if k8s.HasTemplate(m) && strings.Contains(string(pod.Template.Raw), "{{") {
		errs = append(errs, field.Invalid(field.NewPath("spec", "pod", "template"), "{{", "holds \"{{\": "+why))
	}
	return errs
}
