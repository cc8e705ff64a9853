// Package schema holds the servelayer.dev/v1alpha1 API: the ServedModel and
// Platform types, their defaults, their validation, and the CRDs generated
// from them (see crd/).
//
// +kubebuilder:object:generate=true
// +groupName=servelayer.dev
// +versionName=v1alpha1
package schema

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// API identity of the two kinds.
const (
	Group         = "servelayer.dev"
	Version       = "v1alpha1"
	APIVersion    = Group + "/" + Version
	KindModel     = "ServedModel"
	KindPlatform  = "Platform"
	DefaultVLLM   = "vllm/vllm-openai:v0.11.0"
	defaultNSRaw  = "serving"
	defaultNSKS   = "kserve"
	defaultNSLLMD = "llm-d"
)

// Layer names the serving layer a model is rendered for, or auto.
// +kubebuilder:validation:Enum=raw-vllm;kserve;llm-d;auto
type Layer string

// The three serving layers, and auto.
const (
	LayerRawVLLM Layer = "raw-vllm"
	LayerKServe  Layer = "kserve"
	LayerLLMD    Layer = "llm-d"

	// LayerAuto lets render pick the layer by the runbook's rules (see
	// render.ChooseLayer). It is resolved before defaulting and validation;
	// rendered objects always carry the concrete layer.
	LayerAuto Layer = "auto"
)

// Layers lists every concrete layer in the order servelayer documents them.
// It does not include LayerAuto.
var Layers = []Layer{LayerRawVLLM, LayerKServe, LayerLLMD}

// LayerValues are the values spec.layer accepts: every concrete layer, then auto.
var LayerValues = []Layer{LayerRawVLLM, LayerKServe, LayerLLMD, LayerAuto}

// ServedModel is one model, declared once, renderable on any serving layer.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=sm,categories=servelayer
// +kubebuilder:printcolumn:name=Layer,type=string,JSONPath=`.spec.layer`
// +kubebuilder:printcolumn:name=Model,type=string,JSONPath=`.spec.model.name`
type ServedModel struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ServedModelSpec `json:"spec"`
}

// ServedModelSpec is the layer-independent description of a served model.
type ServedModelSpec struct {
	// Layer is the serving layer to render: raw-vllm, kserve or llm-d; auto
	// picks one by the rules in the README ("Pick the layer").
	Layer Layer `json:"layer"`

	// Model names the model and where its weights come from.
	Model Model `json:"model"`

	// Engine is the vLLM container: image, extra args and env.
	// +optional
	Engine Engine `json:"engine,omitempty"`

	// Resources are the requests of one pod; limits default to the
	// requests. A replica spanning pods (spec.parallelism) gets them on
	// every pod.
	Resources Resources `json:"resources"`

	// Parallelism shards one replica over GPUs: tensor x pipeline x data
	// GPUs in all, spec.resources.gpus of them per pod, so a replica spans
	// (tensor x pipeline x data) / gpus pods. Past one pod, raw-vllm runs a
	// LeaderWorkerSet and llm-d a LeaderWorkerSet-backed worker; kserve has
	// no such form for vLLM. Set it instead of vLLM's parallel flags.
	// +optional
	Parallelism *Parallelism `json:"parallelism,omitempty"`

	// Network gives every pod RDMA: for the KV cache prefill hands to
	// decode (spec.disaggregation, llm-d) and the traffic between the pods
	// of a replica spanning pods (raw-vllm, llm-d). kserve has no such form.
	// +optional
	Network *Network `json:"network,omitempty"`

	// Replicas is a fixed replica count. Mutually exclusive with scaling.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// Scaling asks the layer's autoscaler for a replica range and,
	// optionally, the load metric to scale on. Mutually exclusive with
	// replicas. raw-vllm needs a metric (it scales through KEDA).
	// +optional
	Scaling *Scaling `json:"scaling,omitempty"`

	// Paused idles the model without deleting it: replicas 0 on raw-vllm,
	// the serving.kserve.io/stop annotation on kserve and llm-d.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// Rollout configures a KServe canary. kserve only.
	// +optional
	Rollout *Rollout `json:"rollout,omitempty"`

	// Disaggregation splits serving into prefill and decode pools. llm-d only.
	// +optional
	Disaggregation *Disaggregation `json:"disaggregation,omitempty"`

	// Routing publishes the model to LiteLLM under a tenant-facing alias.
	// +optional
	Routing *Routing `json:"routing,omitempty"`

	// Scheduler configures llm-d's endpoint picker, which picks the pod
	// each request goes to. llm-d only. Unset: KServe's built-in profile.
	// +optional
	Scheduler *Scheduler `json:"scheduler,omitempty"`

	// Pod is what every pod that serves the model gets, on every layer:
	// its identity, priority, pull secrets, metadata and spreading.
	// +optional
	Pod *Pod `json:"pod,omitempty"`

	// DisruptionBudget limits voluntary evictions of the model's pods (node
	// drains, cluster-autoscaler scale-down): servelayer renders a
	// PodDisruptionBudget for every pool that can run more replicas than
	// maxUnavailable. Rollouts are not evictions and are not held back.
	// +optional
	DisruptionBudget *DisruptionBudget `json:"disruptionBudget,omitempty"`

	// Metrics makes vLLM's Prometheus metrics (/metrics on its serving
	// port) scrapeable.
	// +optional
	Metrics *Metrics `json:"metrics,omitempty"`
}

// Metrics is how the model's metrics are scraped.
type Metrics struct {
	// Scrape adds the prometheus.io/scrape, prometheus.io/port and
	// prometheus.io/path annotations to every vLLM pod, with the port vLLM
	// listens on in that pod (8000; 8080 on kserve; 8001 behind llm-d's
	// decode routing sidecar). Every layer passes them to its pods.
	Scrape bool `json:"scrape"`
}

// DisruptionBudget is how many pods of a pool may be evicted at once.
type DisruptionBudget struct {
	// MaxUnavailable is how many of a pool's pods a drain may take down at
	// once; default 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxUnavailable *int32 `json:"maxUnavailable,omitempty"`
}

// Pod is what every model-server pod gets. servelayer renders each field
// where the layer's pods take it: the Deployment's template on raw-vllm,
// the predictor on kserve, every pool's template on llm-d.
type Pod struct {
	// ServiceAccountName runs the pods as this existing ServiceAccount. On
	// llm-d its secrets also reach KServe's storage initializer (hf://
	// credentials) and, with prefill/decode, the routing sidecar's Role is
	// bound to it.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// PriorityClassName is the pods' PriorityClass, so a model can preempt
	// (or yield to) other workloads for GPUs.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PriorityClassName string `json:"priorityClassName,omitempty"`

	// ImagePullSecrets name Secrets of type kubernetes.io/dockerconfigjson
	// in the model's namespace that the kubelet pulls the pods' images
	// with: the vLLM image, and an oci:// modelcar.
	// +optional
	// +kubebuilder:validation:items:MaxLength=253
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`

	// Labels are added to the pods, such as a team or cost-centre label.
	// Keys servelayer or the layer's controller set (app.kubernetes.io/*,
	// servelayer.dev/*, *kserve.io/*, *knative.dev/*, llm-d.ai/*,
	// *kubernetes.io/*, app, component) are refused.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations are added to the pods, such as
	// k8s.v1.cni.cncf.io/networks for a Multus network. Keys under
	// servelayer.dev, *kserve.io and *knative.dev are refused.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// TopologySpread spreads the replicas over failure domains; servelayer
	// fills each constraint's label selector with the layer's pod labels
	// (per pool on llm-d).
	// +optional
	TopologySpread []TopologySpread `json:"topologySpread,omitempty"`

	// Template is the escape hatch for what the spec does not name: a
	// partial pod template, {spec: {...}} with PodSpec fields, merged into
	// every model-server pod the layer renders, the way a strategic merge
	// patch merges (containers, volumes, env, mounts and ports by their
	// keys; tolerations are added). It may add, never change: a value
	// servelayer renders, a field a named spec field sets, the model
	// container's image, command, args, env, ports, resources and startup
	// probe, the weights and /dev/shm volumes and mounts, and containers
	// servelayer or KServe run are refused with their field path. The model
	// container is named vllm here on every layer. See the README for
	// what each layer lets it change.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Template *runtime.RawExtension `json:"template,omitempty"`
}

// TopologySpread is one topology spread constraint.
type TopologySpread struct {
	// TopologyKey is the node label whose values are the domains, such as
	// topology.kubernetes.io/zone or kubernetes.io/hostname.
	TopologyKey string `json:"topologyKey"`

	// MaxSkew is the most the number of the model's pods may differ
	// between two domains; default 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxSkew *int32 `json:"maxSkew,omitempty"`

	// WhenUnsatisfiable is ScheduleAnyway (default: a preference) or
	// DoNotSchedule (a hard rule: a pod stays Pending rather than skew).
	// +optional
	// +kubebuilder:validation:Enum=DoNotSchedule;ScheduleAnyway
	WhenUnsatisfiable string `json:"whenUnsatisfiable,omitempty"`
}

// Model is the served model name and its weights.
type Model struct {
	// Name is the served model name: the OpenAI model id clients send.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// Source says where the weights are. Set exactly one of its fields.
	Source ModelSource `json:"source"`

	// Adapters are LoRA adapters served on top of the base model: vLLM
	// loads them at start (--enable-lora, --lora-modules) and clients call
	// each by its name; with spec.routing each is published to LiteLLM
	// under its own alias.
	// +optional
	// +listType=map
	// +listMapKey=name
	Adapters []Adapter `json:"adapters,omitempty"`

	// AdapterLimits are vLLM's LoRA limits; they apply only with adapters.
	// +optional
	AdapterLimits *AdapterLimits `json:"adapterLimits,omitempty"`

	// Credentials authenticate whatever downloads the weights, for gated
	// or private models: KServe's storage initializer for hf (llm-d), the
	// kubelet pulling the modelcar image for oci, the staging Job for a
	// pvc with stage. A pvc source without stage downloads nothing and
	// takes none.
	// +optional
	Credentials *ModelCredentials `json:"credentials,omitempty"`
}

// Adapter is one LoRA adapter. Set exactly one of path, hf and oci.
type Adapter struct {
	// Name is the adapter's model id: what clients send as "model".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// Path is the adapter's directory on the model's claim
	// (spec.model.source.pvc), relative, without "..".
	// +optional
	Path string `json:"path,omitempty"`

	// HF is a Hugging Face repo id (org/name) vLLM downloads at start:
	// llm-d only (raw-vllm and kserve run offline). A gated repo needs
	// HF_TOKEN in spec.engine.env.
	// +optional
	HF string `json:"hf,omitempty"`

	// OCI is a digest-pinned image holding the adapter. No layer stages
	// one in KServe v0.17 (its modelcar serves only the model's own
	// storage URI); the field is refused with the reason on every layer.
	// +optional
	OCI string `json:"oci,omitempty"`

	// Alias is the LiteLLM model_name tenants call for the adapter;
	// default its name. Published only with spec.routing.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Alias string `json:"alias,omitempty"`
}

// AdapterLimits are what vLLM sizes its LoRA slots by.
type AdapterLimits struct {
	// MaxRank is the largest rank of any adapter (--max-lora-rank): one
	// of 8, 16, 32, 64, 128, 256, 320, 512; vLLM's default 16.
	// +optional
	// +kubebuilder:validation:Minimum=8
	// +kubebuilder:validation:Maximum=512
	MaxRank *int32 `json:"maxRank,omitempty"`

	// MaxLoaded is how many adapters one batch may use at once
	// (--max-loras); default: the number of adapters, so none waits for a
	// slot (vLLM's own default is 1).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	MaxLoaded *int32 `json:"maxLoaded,omitempty"`
}

// ModelCredentials name the Secret that fetches the weights.
type ModelCredentials struct {
	// SecretName is a Secret in the model's namespace. For hf: one holding
	// the key HF_TOKEN (a Hugging Face token), passed to KServe's storage
	// initializer by the serving.kserve.io/storageSecretName annotation
	// (KServe skips a Secret without that key). For oci: a
	// kubernetes.io/dockerconfigjson Secret, added to the pods'
	// imagePullSecrets.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
}

// ModelSource is where the weights come from; exactly one field is set.
type ModelSource struct {
	// PVC is a claim holding pre-staged weights.
	// +optional
	PVC *PVCSource `json:"pvc,omitempty"`

	// OCI is a digest-pinned modelcar image: registry/repo@sha256:<64 hex>,
	// with or without the oci:// prefix. kserve and llm-d only.
	// +optional
	OCI string `json:"oci,omitempty"`

	// HF is a Hugging Face repo id (org/name) staged by KServe's storage
	// initializer. llm-d only; it needs egress to the hub.
	// +optional
	HF string `json:"hf,omitempty"`
}

// PVCSource points at weights on a PersistentVolumeClaim.
type PVCSource struct {
	// ClaimName is the PersistentVolumeClaim holding the weights.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`

	// Path is the weights' directory inside the claim, relative, without "..".
	// +kubebuilder:validation:MinLength=1
	Path string `json:"path"`

	// Provision makes servelayer render the claim itself. Leave it unset for
	// an existing pre-staged claim, which is referenced and never re-created.
	// +optional
	Provision *PVCProvision `json:"provision,omitempty"`

	// Stage renders a Job that downloads the weights into path once (a
	// marker file records what was staged; a later run finds it and
	// exits), so a provisioned, empty claim comes to serve. The model
	// server keeps running offline. Set exactly one of hf and oci.
	// +optional
	Stage *PVCStage `json:"stage,omitempty"`
}

// PVCStage is where the staging Job downloads the weights from. It needs
// egress to that source (README "Staging weights into a claim").
type PVCStage struct {
	// HF is a Hugging Face repo id (org/name), downloaded with
	// huggingface_hub's snapshot_download; spec.model.credentials names
	// the Secret whose HF_TOKEN it uses.
	// +optional
	HF string `json:"hf,omitempty"`

	// Revision of the hf repo: a commit hash (reproducible), branch or
	// tag. Defaults to main.
	// +optional
	// +kubebuilder:validation:MaxLength=255
	Revision string `json:"revision,omitempty"`

	// OCI is a digest-pinned modelcar image (registry/repo@sha256:<64
	// hex>, with or without oci://) whose /models is copied into the
	// claim; like KServe's modelcars it must have sh and cp.
	// spec.model.credentials names its image pull Secret.
	// +optional
	OCI string `json:"oci,omitempty"`

	// Image runs the hf download: any image with python3 and
	// huggingface_hub. Defaults to the model's vLLM image, which has both.
	// +optional
	Image string `json:"image,omitempty"`
}

// PVCProvision describes a model-cache claim servelayer renders.
type PVCProvision struct {
	// Size is the claim's storage request, such as 50Gi.
	Size Quantity `json:"size"`

	// StorageClassName is the claim's storage class; empty uses the
	// cluster default.
	// +optional
	StorageClassName string `json:"storageClassName,omitempty"`

	// AccessMode is ReadWriteOnce (default), ReadOnlyMany or ReadWriteMany.
	// +optional
	// +kubebuilder:validation:Enum=ReadWriteOnce;ReadOnlyMany;ReadWriteMany
	AccessMode string `json:"accessMode,omitempty"`
}

// Engine is the vLLM container.
type Engine struct {
	// Image is the vLLM image; defaults to the Platform's default image,
	// except on llm-d, whose presets supply their own unless this is set.
	// +optional
	Image string `json:"image,omitempty"`

	// Args are extra vLLM arguments, appended after the ones servelayer sets.
	// +optional
	Args []string `json:"args,omitempty"`

	// Env are extra environment variables for the vLLM container.
	// +optional
	Env []EnvVar `json:"env,omitempty"`

	// StartupTimeoutSeconds is how long vLLM may take to load the model
	// before its pod is restarted: the startup probe's budget on every
	// layer (and raw-vllm's progress deadline, KServe Knative's
	// progress-deadline). Default 1800 (30 minutes).
	// +optional
	// +kubebuilder:validation:Minimum=60
	// +kubebuilder:validation:Maximum=86400
	StartupTimeoutSeconds *int32 `json:"startupTimeoutSeconds,omitempty"`
}

// EnvVar is one environment variable with a literal value.
type EnvVar struct {
	// Name of the variable.
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// Value of the variable.
	// +optional
	Value string `json:"value,omitempty"`
	// SecretKeyRef takes the value from a Secret key instead, for tokens
	// such as HF_TOKEN. Set value or secretKeyRef, not both.
	// +optional
	SecretKeyRef *SecretKeyRef `json:"secretKeyRef,omitempty"`
}

// SecretKeyRef selects a key of a Secret in the model's namespace.
type SecretKeyRef struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key in the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// Resources are a replica's requests. Limits are always rendered
// explicitly; they default to the requests.
type Resources struct {
	// CPU request, such as "4" or 500m.
	CPU Quantity `json:"cpu"`

	// Memory request, such as 16Gi.
	Memory Quantity `json:"memory"`

	// GPUs is the number of GPUs per replica (the GPU class's resource,
	// default nvidia.com/gpu); requests equal limits.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=64
	GPUs int32 `json:"gpus,omitempty"`

	// GPUClass names one of the Platform's spec.gpuClasses: its extended
	// resource, node selector, tolerations and affinity. Unset: the
	// Platform's spec.gpuNodes. It needs gpus. In a pool's resources it
	// defaults to the model's.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	GPUClass string `json:"gpuClass,omitempty"`

	// Limits override the cpu and memory limits; each defaults to its request.
	// +optional
	Limits *ResourceLimits `json:"limits,omitempty"`

	// SharedMemory is the size of /dev/shm, a memory-backed volume vLLM's
	// workers share tensors through (NCCL needs more than the container
	// runtime's 64 MiB with tensor parallelism). It counts against the
	// memory limit. Unset: raw-vllm and kserve mount one without a size
	// limit (bounded by the memory limit); llm-d keeps its presets' 1Gi.
	// In a pool's resources it defaults to the model's.
	// +optional
	SharedMemory Quantity `json:"sharedMemory,omitempty"`
}

// ResourceLimits are explicit cpu and memory limits.
type ResourceLimits struct {
	// CPU limit; defaults to the cpu request.
	// +optional
	CPU Quantity `json:"cpu,omitempty"`
	// Memory limit; defaults to the memory request.
	// +optional
	Memory Quantity `json:"memory,omitempty"`
}

// Scaling is a replica range for the layer's autoscaler, and what load it
// tracks.
type Scaling struct {
	// MinReplicas; 0 means scale to zero (KServe Knative mode; with a vLLM
	// metric, also raw-vllm and KServe Standard mode through KEDA).
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas is the upper bound; at least minReplicas and at least 1.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplicas int32 `json:"maxReplicas"`

	// Metric is the load the autoscaler keeps at target per replica:
	// vLLM's own metrics (requests-waiting, requests-running,
	// kv-cache-usage, tokens-per-second) through KEDA's Prometheus trigger
	// (raw-vllm, KServe Standard mode), or in-flight requests
	// (concurrency) and requests-per-second (also KServe Knative mode's
	// autoscaler). Unset: the layer's default autoscaler (KServe: CPU in
	// Standard mode, concurrency in Knative mode; llm-d: the Workload
	// Variant Autoscaler's saturation model).
	// +optional
	Metric ScalingMetric `json:"metric,omitempty"`

	// Target is the metric's value per replica the autoscaler aims at, a
	// decimal such as "4" or "0.8" (kv-cache-usage is a fraction, 0 to 1).
	// Required with metric.
	// +optional
	// +kubebuilder:validation:Pattern=`^[0-9]{1,9}(\.[0-9]{1,6})?$`
	Target string `json:"target,omitempty"`
}

// ScalingMetric is a load metric of a vLLM server.
// +kubebuilder:validation:Enum=requests-waiting;requests-running;kv-cache-usage;tokens-per-second;concurrency;requests-per-second
type ScalingMetric string

// The scaling metrics.
const (
	// MetricRequestsWaiting is vLLM's queue: vllm:num_requests_waiting.
	MetricRequestsWaiting ScalingMetric = "requests-waiting"
	// MetricRequestsRunning is vLLM's running batch: vllm:num_requests_running.
	MetricRequestsRunning ScalingMetric = "requests-running"
	// MetricKVCacheUsage is vLLM's KV-cache usage, a fraction:
	// vllm:kv_cache_usage_perc (vLLM 0.11.0 hides the old
	// vllm:gpu_cache_usage_perc unless --show-hidden-metrics-for-version=0.10).
	MetricKVCacheUsage ScalingMetric = "kv-cache-usage"
	// MetricTokensPerSecond is generated tokens per second:
	// rate(vllm:generation_tokens_total).
	MetricTokensPerSecond ScalingMetric = "tokens-per-second"
	// MetricConcurrency is requests in flight: vLLM's running plus
	// waiting, Knative's concurrency.
	MetricConcurrency ScalingMetric = "concurrency"
	// MetricRPS is finished requests per second:
	// rate(vllm:request_success_total), Knative's rps.
	MetricRPS ScalingMetric = "requests-per-second"
)

// ScalingMetrics lists the metrics in the order servelayer documents them.
var ScalingMetrics = []ScalingMetric{MetricRequestsWaiting, MetricRequestsRunning, MetricKVCacheUsage, MetricTokensPerSecond, MetricConcurrency, MetricRPS}

// Parallelism is how one replica is sharded over GPUs and pods.
type Parallelism struct {
	// Tensor is vLLM's tensor parallel size (--tensor-parallel-size).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	Tensor *int32 `json:"tensor,omitempty"`

	// Pipeline is vLLM's pipeline parallel size (--pipeline-parallel-size).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	Pipeline *int32 `json:"pipeline,omitempty"`

	// Data is vLLM's data parallel size (--data-parallel-size): ranks
	// each holding the model sharded tensor ways. Spanning pods, each pod
	// runs gpus / tensor of them (--data-parallel-size-local).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=512
	Data *int32 `json:"data,omitempty"`

	// Expert turns on expert parallelism for mixture-of-experts models
	// (--enable-expert-parallel): the experts are spread over the tensor x
	// data ranks.
	// +optional
	Expert bool `json:"expert,omitempty"`
}

// Rollout is a KServe canary.
type Rollout struct {
	// CanaryTrafficPercent sends this share of traffic to the latest
	// revision (KServe Knative mode only).
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	CanaryTrafficPercent *int32 `json:"canaryTrafficPercent,omitempty"`
}

// Disaggregation splits serving into a prefill and a decode pool.
type Disaggregation struct {
	// Prefill is the prompt-processing pool.
	Prefill Pool `json:"prefill"`
	// Decode is the token-generation pool (the main workload).
	Decode Pool `json:"decode"`

	// KVConnector moves the KV cache from prefill to decode: nixl (the
	// default and, in KServe v0.17, the only one: its decode preset runs
	// the routing sidecar with --connector=nixlv2), vLLM's NixlConnector
	// with kv_role kv_both on both pools.
	// +optional
	// +kubebuilder:validation:Enum=nixl
	KVConnector KVConnector `json:"kvConnector,omitempty"`
}

// KVConnector is a KV-cache transfer connector between pools.
type KVConnector string

// KV connectors.
const (
	// KVConnectorNIXL is vLLM's NixlConnector (UCX by default).
	KVConnectorNIXL KVConnector = "nixl"
)

// Pool is one side of a disaggregated deployment.
type Pool struct {
	// Replicas of this pool; defaults to 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources override the model's resources for this pool.
	// +optional
	Resources *Resources `json:"resources,omitempty"`

	// Parallelism overrides spec.parallelism for this pool, such as decode
	// with tensor 4 and prefill with tensor 1.
	// +optional
	Parallelism *Parallelism `json:"parallelism,omitempty"`

	// Engine adds this pool's own vLLM arguments (after the model's
	// spec.engine.args) and environment variables (over the model's, by
	// name).
	// +optional
	Engine *PoolEngine `json:"engine,omitempty"`

	// Network replaces spec.network for this pool's pods, such as another
	// RDMA resource or network on the prefill nodes.
	// +optional
	Network *Network `json:"network,omitempty"`
}

// Network is a pod's networking beyond the cluster network.
type Network struct {
	// RDMA gives each pod RDMA devices, optional secondary networks, and
	// the capabilities RDMA needs.
	// +optional
	RDMA *RDMA `json:"rdma,omitempty"`
}

// RDMA is what each pod of a pool gets for RDMA.
type RDMA struct {
	// Resource is the extended resource the cluster's RDMA device plugin
	// advertises, such as rdma/ib, rdma/roce_gdr or rdma/hca_shared_devices_a.
	Resource string `json:"resource"`

	// Count of devices each pod requests, with the limit equal to the
	// request (an extended resource cannot be overcommitted); default 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=64
	Count *int32 `json:"count,omitempty"`

	// Networks are Multus NetworkAttachmentDefinitions to attach to each
	// pod (the k8s.v1.cni.cncf.io/networks annotation), each name or
	// namespace/name.
	// +optional
	Networks []string `json:"networks,omitempty"`

	// Capabilities added to the vLLM container: default [IPC_LOCK] (RDMA
	// registers memory, which it locks); SYS_RAWIO and NET_RAW as some
	// fabrics' guides add. Pod Security baseline refuses all three.
	// +optional
	Capabilities []RDMACapability `json:"capabilities,omitempty"`
}

// RDMACapability is a Linux capability RDMA may need.
// +kubebuilder:validation:Enum=IPC_LOCK;SYS_RAWIO;NET_RAW
type RDMACapability string

// RDMA capabilities.
const (
	CapIPCLock  RDMACapability = "IPC_LOCK"
	CapSysRawIO RDMACapability = "SYS_RAWIO"
	CapNetRaw   RDMACapability = "NET_RAW"
)

// PoolEngine is what one pool's vLLM adds to the model's engine.
type PoolEngine struct {
	// Args are appended after spec.engine.args in this pool.
	// +optional
	Args []string `json:"args,omitempty"`

	// Env are added to spec.engine.env in this pool; one with the same
	// name replaces the model's.
	// +optional
	Env []EnvVar `json:"env,omitempty"`
}

// Scheduler is llm-d's endpoint picker configuration: a profile, or the
// user's own EndpointPickerConfig.
type Scheduler struct {
	// Profile is default (KServe v0.17's built-in: queue and approximate
	// prefix-cache scorers, with the P/D filters when a prefill pool exists)
	// or precise-prefix-cache (the prefix-cache scorer fed by the KV-cache
	// events vLLM publishes over ZMQ, so it knows which pod holds which
	// blocks; servelayer sets vLLM's block size, hash algorithm, hash seed
	// and KV events to match the scorer's). Unset with config: custom.
	// +optional
	// +kubebuilder:validation:Enum=default;precise-prefix-cache
	Profile SchedulerProfile `json:"profile,omitempty"`

	// BlockSize is the KV block size, in tokens, of vLLM (--block-size)
	// and of the precise-prefix-cache scorer, which must agree or every
	// lookup misses; default 64. precise-prefix-cache only.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=128
	BlockSize *int32 `json:"blockSize,omitempty"`

	// HashSeed is PYTHONHASHSEED on vLLM, the seed of its block hashes,
	// and the precise-prefix-cache scorer's hashSeed; default "42".
	// precise-prefix-cache only.
	// +optional
	HashSeed string `json:"hashSeed,omitempty"`

	// Config is your own EndpointPickerConfig instead of a profile.
	// +optional
	Config *SchedulerConfig `json:"config,omitempty"`
}

// SchedulerProfile names a built-in scheduler configuration.
type SchedulerProfile string

// Scheduler profiles.
const (
	SchedulerDefault            SchedulerProfile = "default"
	SchedulerPrecisePrefixCache SchedulerProfile = "precise-prefix-cache"
)

// SchedulerConfig is an EndpointPickerConfig; set exactly one field.
type SchedulerConfig struct {
	// Inline is the EndpointPickerConfig itself (apiVersion
	// inference.networking.x-k8s.io/v1alpha1, kind EndpointPickerConfig).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Type=object
	Inline *runtime.RawExtension `json:"inline,omitempty"`

	// ConfigMapRef is a ConfigMap key in the model's namespace holding it.
	// +optional
	ConfigMapRef *ConfigMapKeyRef `json:"configMapRef,omitempty"`
}

// ConfigMapKeyRef selects a key of a ConfigMap in the model's namespace.
type ConfigMapKeyRef struct {
	// Name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key in the ConfigMap; default epp (KServe's default).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key,omitempty"`
}

// Routing publishes the model through LiteLLM.
type Routing struct {
	// Alias is the LiteLLM model_list model_name tenants call. It does not
	// change when the model moves between layers.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Alias string `json:"alias"`
}

// Platform is what is true of the cluster rather than of a model: which
// layers are enabled, how many GPUs exist, namespaces, gateways and images.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=servelayer
type Platform struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec PlatformSpec `json:"spec,omitempty"`
}

// PlatformSpec is the cluster's serving capabilities.
type PlatformSpec struct {
	// Features gates the optional layers; raw-vllm (serving-core) is always on.
	// +optional
	Features Features `json:"features,omitempty"`

	// GPUs is the number of GPUs the cluster can schedule. Unset: not checked.
	// +optional
	// +kubebuilder:validation:Minimum=0
	GPUs *int32 `json:"gpus,omitempty"`

	// GPUNodes says how pods that request GPUs reach GPU nodes: the
	// default GPU class, for models that name none.
	// +optional
	GPUNodes GPUNodes `json:"gpuNodes,omitempty"`

	// GPUClasses are the other kinds of GPU node the cluster has, declared
	// once; a model picks one with spec.resources.gpuClass. Each class's
	// resource defaults to spec.gpuNodes.resource.
	// +optional
	// +listType=map
	// +listMapKey=name
	GPUClasses []GPUClass `json:"gpuClasses,omitempty"`

	// Namespaces per layer; defaults serving, kserve and llm-d.
	// +optional
	Namespaces Namespaces `json:"namespaces,omitempty"`

	// KServe settings.
	// +optional
	KServe KServeSettings `json:"kserve,omitempty"`

	// LLMD settings.
	// +optional
	LLMD LLMDSettings `json:"llmd,omitempty"`

	// Images are the default images.
	// +optional
	Images Images `json:"images,omitempty"`

	// LiteLLM is where model_list entries are published.
	// +optional
	LiteLLM LiteLLM `json:"litellm,omitempty"`

	// Prometheus is the cluster's Prometheus, which KEDA queries for the
	// vLLM metrics models scale on (spec.scaling.metric).
	// +optional
	Prometheus Prometheus `json:"prometheus,omitempty"`

	// ArgoCD is the Argo CD Application that syncs the models' directory
	// in Git (servelayer applications renders it): every layer's models in
	// one Application, so a move is ordered by sync waves and pruned last.
	// +optional
	ArgoCD *ArgoCD `json:"argocd,omitempty"`
}

// ArgoCD describes the Application servelayer renders for the models.
type ArgoCD struct {
	// RepoURL is the Git repository holding the models' directory.
	RepoURL string `json:"repoURL"`
	// Path is the models' directory in the repository (ServedModel files,
	// and the Platform file), relative to its root.
	Path string `json:"path"`
	// TargetRevision is the branch, tag or commit to sync; default HEAD.
	// +optional
	TargetRevision string `json:"targetRevision,omitempty"`
	// Project is the Argo CD project; default default.
	// +optional
	Project string `json:"project,omitempty"`
	// Namespace is Argo CD's namespace, where the Application lives;
	// default argocd.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the Application; default servelayer-models.
	// +optional
	Name string `json:"name,omitempty"`
	// Destination is the cluster the models are synced to.
	// +optional
	Destination ArgoCDDestination `json:"destination,omitempty"`
	// PlatformFile is the plugin's platform parameter: this Platform's
	// file, relative to path (the plugin reads nothing outside it). Unset:
	// the plugin uses a platform.yaml in the directory, or none.
	// +optional
	PlatformFile string `json:"platformFile,omitempty"`
	// Automated syncs every commit without a click (automated, with prune
	// and selfHeal). Default false: a sync starts GPU workloads, so it is
	// manual (argocd app sync), and plan says what it will do.
	// +optional
	Automated bool `json:"automated,omitempty"`
}

// ArgoCDDestination is where Argo CD applies the models' objects.
type ArgoCDDestination struct {
	// Server is the cluster's API server URL as Argo CD knows it; default
	// https://kubernetes.default.svc (the cluster Argo CD runs in).
	// +optional
	Server string `json:"server,omitempty"`
}

// Prometheus is where the models' metrics are queried.
type Prometheus struct {
	// URL is the Prometheus HTTP API's base URL as KEDA reaches it, such
	// as http://prometheus-operated.monitoring:9090. Prometheus must
	// scrape vLLM (spec.metrics.scrape, or a PodMonitor) and label each
	// series with its namespace and pod, as PodMonitors and the usual
	// prometheus.io/scrape relabelling do.
	// +optional
	URL string `json:"url,omitempty"`
}

// GPUNodes is how GPU pods are scheduled onto GPU nodes.
type GPUNodes struct {
	// Resource is the extended resource name; default nvidia.com/gpu.
	// +optional
	Resource string `json:"resource,omitempty"`
	// NodeSelector is added to every pod that requests GPUs.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations are added to every pod that requests GPUs, such as one
	// for the nvidia.com/gpu:NoSchedule taint.
	// +optional
	Tolerations []Toleration `json:"tolerations,omitempty"`
	// GPUsPerNode is the most GPUs one node offers. A replica (one pod)
	// asking for more cannot schedule on one node, so layer auto picks
	// llm-d for it and plan's preflight fails. Unset: not checked.
	// +optional
	// +kubebuilder:validation:Minimum=0
	GPUsPerNode *int32 `json:"gpusPerNode,omitempty"`
	// Affinity is node affinity added to every pod that requests GPUs of
	// this class, such as a preference for one GPU product.
	// +optional
	Affinity *Affinity `json:"affinity,omitempty"`
}

// GPUClass is one kind of GPU node: a name models choose, and how their
// pods reach such nodes.
type GPUClass struct {
	// Name is what a model sets in spec.resources.gpuClass, such as h100.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	GPUNodes `json:",inline"`
}

// Affinity is the node affinity of GPU pods, in Kubernetes' shape.
type Affinity struct {
	// NodeAffinity constrains the nodes the pods may run on.
	// +optional
	NodeAffinity *NodeAffinity `json:"nodeAffinity,omitempty"`
}

// NodeAffinity is Kubernetes' node affinity.
type NodeAffinity struct {
	// RequiredDuringSchedulingIgnoredDuringExecution: the pod only
	// schedules on a node matching one of the terms.
	// +optional
	RequiredDuringSchedulingIgnoredDuringExecution *NodeSelector `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
	// PreferredDuringSchedulingIgnoredDuringExecution: the scheduler
	// prefers nodes matching these terms, by weight.
	// +optional
	PreferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm `json:"preferredDuringSchedulingIgnoredDuringExecution,omitempty"`
}

// NodeSelector is a list of node selector terms, ORed.
type NodeSelector struct {
	// NodeSelectorTerms are ORed.
	NodeSelectorTerms []NodeSelectorTerm `json:"nodeSelectorTerms"`
}

// NodeSelectorTerm is a list of requirements, ANDed.
type NodeSelectorTerm struct {
	// MatchExpressions are node label requirements, ANDed.
	// +optional
	MatchExpressions []NodeSelectorRequirement `json:"matchExpressions,omitempty"`
}

// NodeSelectorRequirement is one node label requirement.
type NodeSelectorRequirement struct {
	// Key is the node label.
	Key string `json:"key"`
	// Operator is In, NotIn, Exists, DoesNotExist, Gt or Lt.
	// +kubebuilder:validation:Enum=In;NotIn;Exists;DoesNotExist;Gt;Lt
	Operator string `json:"operator"`
	// Values: one or more for In and NotIn, none for Exists and
	// DoesNotExist, one integer for Gt and Lt.
	// +optional
	Values []string `json:"values,omitempty"`
}

// PreferredSchedulingTerm is a weighted node selector term.
type PreferredSchedulingTerm struct {
	// Weight of the term, 1 to 100.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Weight int32 `json:"weight"`
	// Preference is the term.
	Preference NodeSelectorTerm `json:"preference"`
}

// Toleration is a pod toleration (the subset GPU node taints need).
type Toleration struct {
	// Key of the taint; empty with operator Exists matches every taint.
	// +optional
	Key string `json:"key,omitempty"`
	// Operator is Exists or Equal (default).
	// +optional
	// +kubebuilder:validation:Enum=Exists;Equal
	Operator string `json:"operator,omitempty"`
	// Value of the taint, for operator Equal.
	// +optional
	Value string `json:"value,omitempty"`
	// Effect of the taint: NoSchedule, PreferNoSchedule, NoExecute, or
	// empty for all.
	// +optional
	// +kubebuilder:validation:Enum=NoSchedule;PreferNoSchedule;NoExecute
	Effect string `json:"effect,omitempty"`
}

// Features are the layer feature gates.
type Features struct {
	// KServe enables the kserve layer.
	// +optional
	KServe bool `json:"kserve,omitempty"`
	// LLMD enables the llm-d layer.
	// +optional
	LLMD bool `json:"llmd,omitempty"`
}

// Namespaces are the namespace of each layer.
type Namespaces struct {
	// RawVLLM is the raw-vllm namespace; default serving.
	// +optional
	RawVLLM string `json:"rawVLLM,omitempty"`
	// KServe is the kserve namespace; default kserve.
	// +optional
	KServe string `json:"kserve,omitempty"`
	// LLMD is the llm-d namespace; default llm-d.
	// +optional
	LLMD string `json:"llmd,omitempty"`
}

// DeploymentMode is KServe's deployment mode for InferenceServices.
// +kubebuilder:validation:Enum=Standard;Knative
type DeploymentMode string

// KServe deployment modes.
const (
	// DeploymentModeStandard runs the predictor as a Deployment with an HPA
	// (KServe calls it RawDeployment in older releases).
	DeploymentModeStandard DeploymentMode = "Standard"
	// DeploymentModeKnative runs the predictor as a Knative Service
	// (KServe's "Serverless"): revisions, canary, scale to zero.
	DeploymentModeKnative DeploymentMode = "Knative"
)

// KServeSettings are the KServe layer's cluster settings.
type KServeSettings struct {
	// DeploymentMode is written on every InferenceService, because KServe's
	// code default (Standard) and its shipped configmap (Serverless) differ.
	// +optional
	DeploymentMode DeploymentMode `json:"deploymentMode,omitempty"`

	// Gateway is the gateway KServe's HTTPRoutes attach to (KServe's
	// ingress config names it); the plan's preflight checks it exists.
	// +optional
	Gateway KServeGateway `json:"gateway,omitempty"`

	// Modelcar says KServe's storage config has enableModelcar: true (the
	// shipped config has false), so oci:// modelcars work.
	// +optional
	Modelcar bool `json:"modelcar,omitempty"`
}

// LLMDSettings are the llm-d layer's cluster settings.
type LLMDSettings struct {
	// Gateway is llm-d's own Gateway that the router attaches to.
	// +optional
	Gateway Gateway `json:"gateway,omitempty"`
}

// KServeGateway names the Gateway API gateway KServe's HTTPRoutes attach
// to. Its fields are Gateway's, described for KServe.
type KServeGateway struct {
	// Name of KServe's Gateway, as KServe's ingress config names it; when
	// it and namespace are set, the plan's preflight checks that Gateway
	// rather than only its class.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace of KServe's Gateway.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// ClassName is the GatewayClass of KServe's gateway; defaults to
	// agentgateway.
	// +optional
	ClassName string `json:"className,omitempty"`
	// URL is not used: kserve's api_base (LiteLLM's) is the predictor
	// Service, not the gateway. Validated like spec.llmd.gateway.url.
	// +optional
	URL string `json:"url,omitempty"`
}

// Gateway names llm-d's Gateway API gateway and how clients reach it.
type Gateway struct {
	// Name of the Gateway; llm-d defaults to llm-d-gateway.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace of the Gateway; llm-d defaults to its layer namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// ClassName is the GatewayClass, such as agentgateway.
	// +optional
	ClassName string `json:"className,omitempty"`
	// URL is the in-cluster base URL of llm-d's gateway, used for LiteLLM's
	// api_base; defaults to http://<name>.<namespace>. (kserve's api_base
	// is the predictor Service, so kserve ignores it.)
	// +optional
	URL string `json:"url,omitempty"`
}

// Images are default images.
type Images struct {
	// VLLM is the default vLLM image for models that set none.
	// +optional
	VLLM string `json:"vllm,omitempty"`
	// Init is the image of raw-vllm's weights check; defaults to busybox.
	// +optional
	Init string `json:"init,omitempty"`
}

// LiteLLM is where model_list entries go.
type LiteLLM struct {
	// Namespace of the LiteLLM proxy; entries are ConfigMaps there.
	// +optional
	Namespace string `json:"namespace,omitempty"`

	// ConfigMap, when set, publishes the whole fleet's model_list as ONE
	// ConfigMap of this name, key config.yaml: a LiteLLM config that the
	// proxy loads as is (--config) or through include. Every render must
	// then hold every routed model (a render of some models only omits it).
	// Unset: one ConfigMap litellm-<model> per routed model.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ConfigMap string `json:"configMap,omitempty"`
}
