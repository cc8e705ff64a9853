package k8s

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// Labels every rendered object carries, so a GitOps repo can find (and
// prune) one layer's objects after a move.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelLayer     = "servelayer.dev/layer"

	// AnnotationStop pauses a KServe or llm-d workload without deleting it.
	AnnotationStop = "serving.kserve.io/stop"
	// AnnotationArgoSyncOptions carries Argo CD sync options.
	AnnotationArgoSyncOptions = "argocd.argoproj.io/sync-options"
	// AnnotationArgoSyncWave orders Argo CD's sync inside one Application:
	// it applies a wave only once every object of the waves before it is
	// healthy, and (with PruneLast) prunes after the last wave.
	AnnotationArgoSyncWave = "argocd.argoproj.io/sync-wave"
	// SyncWaveStage is the staged weights' wave (the staging Job and the
	// claim it fills): before the server that reads them.
	SyncWaveStage = "-1"
	// SyncWaveRoute is the LiteLLM ConfigMaps' wave: the alias moves only
	// after every model workload (the default wave 0) is healthy.
	SyncWaveRoute = "1"

	// ComponentModelServer labels the objects that serve the model.
	ComponentModelServer = "model-server"
	// VLLMPort is the port vLLM listens on where servelayer picks it.
	VLLMPort = 8000
	// ModelsDir is where a pre-staged claim is mounted (read-only).
	ModelsDir = "/models"
	// ProbePeriodSeconds is how often the startup probe checks a loading
	// model; its failure threshold is the budget over this period.
	ProbePeriodSeconds = 10
	// ProgressSlackSeconds is how far past the startup budget a layer's
	// progress deadline lies, so a slow load is not reported as a failed
	// rollout before the startup probe gives up on it.
	ProgressSlackSeconds = 300
)

// Object is one built object: its identity and its typed manifest.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	// Manifest is one of this package's typed structs.
	Manifest any
}

// NewObject names a manifest in the model's namespace.
func NewObject(apiVersion, kind string, m *schema.ServedModel, name string, manifest any) Object {
	return Object{APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: name, Manifest: manifest}
}

// Labels are the labels of an object of m with the given component.
func Labels(m *schema.ServedModel, component string) map[string]string {
	return map[string]string{
		LabelName:      m.Name,
		LabelComponent: component,
		LabelPartOf:    "servelayer",
		LabelManagedBy: "servelayer",
		LabelLayer:     string(m.Spec.Layer),
	}
}

// AddSyncOptions adds Argo CD sync options to the object's annotation,
// after those it holds, each once, so the value is the same however often
// and in whatever order builders add them.
func AddSyncOptions(meta *ObjectMeta, opts ...string) {
	var have []string
	if v := meta.Annotations[AnnotationArgoSyncOptions]; v != "" {
		have = strings.Split(v, ",")
	}
	for _, o := range opts {
		if !slices.Contains(have, o) {
			have = append(have, o)
		}
	}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[AnnotationArgoSyncOptions] = strings.Join(have, ",")
}

// SetSyncWave puts the object in an Argo CD sync wave.
func SetSyncWave(meta *ObjectMeta, wave string) {
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[AnnotationArgoSyncWave] = wave
}

// Meta is the metadata of an object of m, in m's namespace.
func Meta(m *schema.ServedModel, name, component string) ObjectMeta {
	return ObjectMeta{Name: name, Namespace: m.Namespace, Labels: Labels(m, component)}
}

// Resources renders explicit requests AND limits. Limits always appear:
// KServe defaults a missing cpu limit to 1, which breaks requests.cpu > 1.
// GPUs are extended resources, so their request equals their limit.
func Resources(res *schema.Resources, p *schema.PlatformSpec) ResourceRequirements {
	rr := ResourceRequirements{
		Requests: map[string]string{"cpu": string(res.CPU), "memory": string(res.Memory)},
		Limits:   map[string]string{"cpu": string(res.Limits.CPU), "memory": string(res.Limits.Memory)},
	}
	if res.GPUs > 0 {
		n := strconv.Itoa(int(res.GPUs))
		gpu := p.GPUNodesOf(res).Resource
		rr.Requests[gpu] = n
		rr.Limits[gpu] = n
	}
	return rr
}

// AnnotationNetworks is Multus' annotation naming a pod's secondary
// networks (NetworkAttachmentDefinitions).
const AnnotationNetworks = schema.AnnotationNetworks

// AddRDMA gives c a pool's RDMA devices, with the limit equal to the
// request, and, when caps, its capabilities, running c as the image's
// user (added capabilities take effect for root only). It returns the
// pods' annotations for the pool's networks, nil without any.
func AddRDMA(c *Container, r *schema.RDMA, caps bool) map[string]string {
	n := strconv.Itoa(int(*r.Count))
	c.Resources.Requests[r.Resource] = n
	c.Resources.Limits[r.Resource] = n
	if caps {
		sc := c.SecurityContext
		sc.RunAsNonRoot, sc.RunAsUser = nil, nil
		if sc.Capabilities == nil {
			sc.Capabilities = &Capabilities{}
		}
		for _, cp := range r.Capabilities {
			sc.Capabilities.Add = append(sc.Capabilities.Add, string(cp))
		}
	}
	if len(r.Networks) == 0 {
		return nil
	}
	return map[string]string{AnnotationNetworks: strings.Join(r.Networks, ",")}
}

// MergeMaps is a copy of a with b's entries over it; nil when both are
// empty.
func MergeMaps(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, b)
	return out
}

// SmallResources fit a helper container such as an initContainer.
func SmallResources() ResourceRequirements {
	return ResourceRequirements{
		Requests: map[string]string{"cpu": "100m", "memory": "64Mi"},
		Limits:   map[string]string{"cpu": "100m", "memory": "64Mi"},
	}
}

// EnvVars are pre, then the user's variables.
func EnvVars(in []schema.EnvVar, pre ...EnvVar) []EnvVar {
	out := append([]EnvVar(nil), pre...)
	for _, e := range in {
		v := EnvVar{Name: e.Name, Value: e.Value}
		if ref := e.SecretKeyRef; ref != nil {
			v.ValueFrom = &EnvVarSource{SecretKeyRef: &SecretKeySelector{Name: ref.Name, Key: ref.Key}}
		}
		out = append(out, v)
	}
	return out
}

// OfflineEnv switches the Hugging Face hub off: the weights are staged.
func OfflineEnv() []EnvVar {
	return []EnvVar{{Name: "HF_HUB_OFFLINE", Value: "1"}, {Name: "TRANSFORMERS_OFFLINE", Value: "1"}}
}

// Scheduling is where a pod of GPU class may run.
type Scheduling struct {
	NodeSelector map[string]string
	Tolerations  []Toleration
	Affinity     *schema.Affinity
}

// GPUScheduling returns the node selector, tolerations and affinity of
// the GPU class of res (spec.resources.gpuClass, or the Platform's
// spec.gpuNodes) for a pod that requests GPUs, and nothing for one that
// does not.
func GPUScheduling(res *schema.Resources, p *schema.PlatformSpec) Scheduling {
	if res.GPUs == 0 {
		return Scheduling{}
	}
	g := p.GPUNodesOf(res)
	out := Scheduling{NodeSelector: g.NodeSelector}
	for _, t := range g.Tolerations {
		out.Tolerations = append(out.Tolerations, Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
	}
	if a := g.Affinity; a != nil && a.NodeAffinity != nil {
		out.Affinity = a.DeepCopy() // schema's affinity is Kubernetes' shape
	}
	return out
}

// SharedMemoryVolume is the name of the /dev/shm volume on every layer
// (llm-d's presets call theirs dshm too, so servelayer's merges into it).
const SharedMemoryVolume = "dshm"

// SharedMemory is the memory-backed /dev/shm volume and its mount: vLLM's
// workers share tensors through it, and NCCL needs more than the 64 MiB a
// container gets by default. size is spec.resources.sharedMemory; empty
// leaves it bounded only by the memory limit.
func SharedMemory(size schema.Quantity) (Volume, VolumeMount) {
	return Volume{Name: SharedMemoryVolume, EmptyDir: &EmptyDirVolumeSource{Medium: "Memory", SizeLimit: string(size)}},
		VolumeMount{Name: SharedMemoryVolume, MountPath: "/dev/shm"}
}

// VLLMArgs are the arguments servelayer owns, then the user's (EngineArgs).
func VLLMArgs(modelPath, served string, port int, s *schema.ServedModelSpec) []string {
	args := []string{"--model=" + modelPath, "--served-model-name", served, "--port", strconv.Itoa(port)}
	args = append(args, LoRAArgs(s, ModelsDir)...)
	return append(args, EngineArgs(s)...)
}

// EngineArgs are spec.engine.args as the container's args: Kubernetes
// expands $(NAME) in them, so every "$(" and "$$" is escaped to stay
// literal, except $(NAME) naming a variable of spec.engine.env, which the
// user means Kubernetes to expand (schema.EnvRefs).
func EngineArgs(s *schema.ServedModelSpec) []string {
	refs := schema.EnvRefs(s)
	out := make([]string, len(s.Engine.Args))
	for i, a := range s.Engine.Args {
		out[i] = EscapeExpansion(a, refs)
	}
	return out
}

// EscapeExpansion makes Kubernetes' $(VAR) expansion of a container's
// command, args and env values yield s: a '$' before '(' or '$' is doubled
// ("$$" expands to "$"), except in $(NAME) references to refs.
func EscapeExpansion(s string, refs map[string]bool) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) || (s[i+1] != '(' && s[i+1] != '$') {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == '(' {
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 && refs[s[i+2:i+2+end]] {
				b.WriteString(s[i : i+3+end])
				i += 2 + end
				continue
			}
		}
		b.WriteString("$$")
	}
	return b.String()
}

// HealthProbes are tuned for slow model loads: the startup probe allows
// the model's startup budget (spec.engine.startupTimeoutSeconds) to load
// weights; readiness and liveness only start after it.
func HealthProbes(port, budget int32) (startup, readiness, liveness *Probe) {
	get := func() *HTTPGetAction { return &HTTPGetAction{Path: "/health", Port: port} }
	startup = &Probe{HTTPGet: get(), PeriodSeconds: ProbePeriodSeconds, TimeoutSeconds: 5, FailureThreshold: StartupFailures(budget)}
	readiness = &Probe{HTTPGet: get(), PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3}
	liveness = &Probe{HTTPGet: get(), PeriodSeconds: 20, TimeoutSeconds: 10, FailureThreshold: 6}
	return startup, readiness, liveness
}

// StartupFailures is the startup probe's failure threshold for a budget:
// the budget in probe periods, rounded up.
func StartupFailures(budget int32) int32 {
	return (budget + ProbePeriodSeconds - 1) / ProbePeriodSeconds
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Hardened is the container security context every servelayer container
// gets where servelayer owns the whole pod.
func Hardened(nonRoot bool) *SecurityContext {
	sc := &SecurityContext{
		AllowPrivilegeEscalation: Ptr(false),
		Capabilities:             &Capabilities{Drop: []string{"ALL"}},
	}
	if nonRoot {
		sc.RunAsNonRoot = Ptr(true)
		sc.RunAsUser = Ptr(int64(1000))
	}
	return sc
}

// RuntimeDefaultSeccomp is the seccomp profile every pod gets.
func RuntimeDefaultSeccomp() *SeccompProfile { return &SeccompProfile{Type: "RuntimeDefault"} }

// PodKnobs are the pod fields spec.pod renders, for a pod whose labels
// selector matches (the spread constraints' label selector).
type PodKnobs struct {
	TopologySpreadConstraints []TopologySpreadConstraint
	PriorityClassName         string
	ServiceAccountName        string
	ImagePullSecrets          []LocalObjectReference
}

// PodKnobsOf renders spec.pod's identity, priority, pull secrets and
// spreading for pods matching selector; pull adds pull secrets after the
// user's (an oci:// source's credentials).
func PodKnobsOf(m *schema.ServedModel, selector map[string]string, pull ...string) PodKnobs {
	var k PodKnobs
	pod := m.Spec.Pod
	if pod == nil {
		pod = &schema.Pod{}
	}
	k.ServiceAccountName, k.PriorityClassName = pod.ServiceAccountName, pod.PriorityClassName
	for _, n := range append(slices.Clone(pod.ImagePullSecrets), pull...) {
		if !slices.ContainsFunc(k.ImagePullSecrets, func(r LocalObjectReference) bool { return r.Name == n }) {
			k.ImagePullSecrets = append(k.ImagePullSecrets, LocalObjectReference{Name: n})
		}
	}
	for _, t := range pod.TopologySpread {
		k.TopologySpreadConstraints = append(k.TopologySpreadConstraints, TopologySpreadConstraint{
			MaxSkew: t.MaxSkewOrDefault(), TopologyKey: t.TopologyKey, WhenUnsatisfiable: t.WhenUnsatisfiableOrDefault(),
			LabelSelector: LabelSelector{MatchLabels: maps.Clone(selector)},
		})
	}
	return k
}

// Apply sets the knobs on a pod spec.
func (k PodKnobs) Apply(ps *PodSpec) {
	ps.TopologySpreadConstraints, ps.PriorityClassName = k.TopologySpreadConstraints, k.PriorityClassName
	ps.ServiceAccountName, ps.ImagePullSecrets = k.ServiceAccountName, k.ImagePullSecrets
}

// PodLabels are the model's labels of a component plus spec.pod.labels
// (validation refuses keys that would override servelayer's own).
func PodLabels(m *schema.ServedModel, component string) map[string]string {
	l := Labels(m, component)
	if m.Spec.Pod != nil {
		maps.Copy(l, m.Spec.Pod.Labels)
	}
	return l
}

// PodAnnotations are spec.pod.annotations, plus the Prometheus
// annotations for vLLM on port when spec.metrics.scrape is set (or port
// is 0); nil when there are none.
func PodAnnotations(m *schema.ServedModel, port int32) map[string]string {
	var out map[string]string
	if m.Spec.Pod != nil && len(m.Spec.Pod.Annotations) > 0 {
		out = maps.Clone(m.Spec.Pod.Annotations)
	}
	if mt := m.Spec.Metrics; mt != nil && mt.Scrape && port != 0 {
		if out == nil {
			out = map[string]string{}
		}
		maps.Copy(out, Scrape(port))
	}
	return out
}

// Scrape are the annotations Prometheus' kubernetes-pods scrape
// configuration reads: vLLM serves /metrics on its serving port.
func Scrape(port int32) map[string]string {
	return map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(int(port)),
		"prometheus.io/path":   "/metrics",
	}
}

// UserPodLabels are spec.pod.labels, nil when there are none.
func UserPodLabels(m *schema.ServedModel) map[string]string {
	if m.Spec.Pod == nil || len(m.Spec.Pod.Labels) == 0 {
		return nil
	}
	return maps.Clone(m.Spec.Pod.Labels)
}

// DisruptionPool is one pool of a model's pods a PodDisruptionBudget can
// protect: its budget's name, the labels its pods carry, and the most
// pods it can run.
type DisruptionPool struct {
	Name     string
	Selector map[string]string
	MaxPods  int32
}

// Protected reports whether a budget of maxUnavailable protects anything:
// a pool that can run more pods than a drain may take down.
func (d DisruptionPool) Protected(maxUnavailable int32) bool { return d.MaxPods > maxUnavailable }

// DisruptionBudgets renders spec.disruptionBudget: a policy/v1
// PodDisruptionBudget for every pool it protects.
func DisruptionBudgets(m *schema.ServedModel, pools []DisruptionPool) []Object {
	b := m.Spec.DisruptionBudget
	if b == nil {
		return nil
	}
	var out []Object
	for _, pool := range pools {
		if !pool.Protected(b.MaxUnavailableOrDefault()) {
			continue
		}
		pdb := &PodDisruptionBudget{
			TypeMeta: TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
			Metadata: Meta(m, pool.Name, ComponentModelServer),
			Spec:     PDBSpec{MaxUnavailable: b.MaxUnavailableOrDefault(), Selector: LabelSelector{MatchLabels: maps.Clone(pool.Selector)}},
		}
		out = append(out, NewObject("policy/v1", "PodDisruptionBudget", m, pool.Name, pdb))
	}
	return out
}

// MaxPods is the most pods a single-pool model runs: scaling's maximum,
// or its fixed replicas (0 when neither is set, as in a model validation
// refuses).
func MaxPods(s *schema.ServedModelSpec) int32 {
	switch {
	case s.Scaling != nil:
		return s.Scaling.MaxReplicas
	case s.Replicas != nil:
		return *s.Replicas
	}
	return 0
}

// Deref is *p, or 0 for nil.
func Deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// PullCredentials are the pull secrets an oci:// source's credentials
// add: the kubelet pulls the modelcar with the pod's imagePullSecrets.
func PullCredentials(m *schema.ServedModel) []string {
	if c := m.Spec.Model.Credentials; c != nil && m.Spec.Model.Source.OCI != "" {
		return []string{c.SecretName}
	}
	return nil
}

// ContainerArgs are engine args as a container's args, escaped as
// EngineArgs escapes them, with $(NAME) of env left to Kubernetes.
func ContainerArgs(args []string, env []schema.EnvVar) []string {
	refs := map[string]bool{}
	for _, e := range env {
		refs[e.Name] = true
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = EscapeExpansion(a, refs)
	}
	return out
}

// ParallelArgs are vLLM's flags for a pool's declared parallel sizes
// (none when the engine's args carry them).
func ParallelArgs(sh schema.Shape) []string {
	if !sh.Declared {
		return nil
	}
	var out []string
	for _, f := range []struct {
		flag string
		n    int32
	}{{"--tensor-parallel-size", sh.Tensor}, {"--pipeline-parallel-size", sh.Pipeline}, {"--data-parallel-size", sh.Data}} {
		if f.n > 1 {
			out = append(out, f.flag, strconv.Itoa(int(f.n)))
		}
	}
	if sh.Expert {
		out = append(out, "--enable-expert-parallel")
	}
	return out
}

// LeaderWorkerSet labels and environment (sigs.k8s.io/lws v0.7.0).
const (
	// LabelLWSName is the label LWS gives every pod of a set.
	LabelLWSName = "leaderworkerset.sigs.k8s.io/name"
	// ComponentWorker labels the worker pods of a replica spanning pods.
	ComponentWorker = "model-worker"
)
