// Package k8s holds the typed manifests every layer builds from, and the
// builders they share.
//
// The structs mirror only the fields servelayer sets, in the order kubectl
// users expect to read them. Field names are not trusted: the conformance
// module decodes every rendered object strictly into k8s.io/api and
// KServe's own Go types, so a misspelt field fails a test.
package k8s

import "github.com/servelayer/servelayer/schema"

type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type ObjectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type Deployment struct {
	TypeMeta
	Metadata ObjectMeta     `json:"metadata"`
	Spec     DeploymentSpec `json:"spec"`
}

type DeploymentSpec struct {
	Replicas                *int32          `json:"replicas,omitempty"` // nil: an autoscaler owns it
	ProgressDeadlineSeconds *int32          `json:"progressDeadlineSeconds,omitempty"`
	Selector                LabelSelector   `json:"selector"`
	Strategy                Strategy        `json:"strategy"`
	Template                PodTemplateSpec `json:"template"`
}

type LabelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type Strategy struct {
	Type string `json:"type"`
}

type PodTemplateSpec struct {
	Metadata ObjectMeta `json:"metadata"`
	Spec     PodSpec    `json:"spec"`
}

type PodSpec struct {
	NodeSelector                 map[string]string          `json:"nodeSelector,omitempty"`
	Tolerations                  []Toleration               `json:"tolerations,omitempty"`
	Affinity                     *schema.Affinity           `json:"affinity,omitempty"`
	TopologySpreadConstraints    []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	PriorityClassName            string                     `json:"priorityClassName,omitempty"`
	ServiceAccountName           string                     `json:"serviceAccountName,omitempty"`
	ImagePullSecrets             []LocalObjectReference     `json:"imagePullSecrets,omitempty"`
	AutomountServiceAccountToken *bool                      `json:"automountServiceAccountToken,omitempty"`
	SecurityContext              *PodSecurityContext        `json:"securityContext,omitempty"`
	InitContainers               []Container                `json:"initContainers,omitempty"`
	Containers                   []Container                `json:"containers"`
	Volumes                      []Volume                   `json:"volumes,omitempty"`
	RestartPolicy                string                     `json:"restartPolicy,omitempty"`
}

// Job is a batch/v1 Job.
type Job struct {
	TypeMeta
	Metadata ObjectMeta `json:"metadata"`
	Spec     JobSpec    `json:"spec"`
}

type JobSpec struct {
	BackoffLimit *int32          `json:"backoffLimit,omitempty"`
	Template     PodTemplateSpec `json:"template"`
}

type PodSecurityContext struct {
	RunAsNonRoot   *bool           `json:"runAsNonRoot,omitempty"`
	FSGroup        *int64          `json:"fsGroup,omitempty"`
	SeccompProfile *SeccompProfile `json:"seccompProfile,omitempty"`
}

type SeccompProfile struct {
	Type string `json:"type"`
}

type Container struct {
	Name            string               `json:"name"`
	Image           string               `json:"image,omitempty"`
	Command         []string             `json:"command,omitempty"`
	Args            []string             `json:"args,omitempty"`
	Env             []EnvVar             `json:"env,omitempty"`
	Ports           []ContainerPort      `json:"ports,omitempty"`
	Resources       ResourceRequirements `json:"resources"`
	VolumeMounts    []VolumeMount        `json:"volumeMounts,omitempty"`
	StartupProbe    *Probe               `json:"startupProbe,omitempty"`
	ReadinessProbe  *Probe               `json:"readinessProbe,omitempty"`
	LivenessProbe   *Probe               `json:"livenessProbe,omitempty"`
	SecurityContext *SecurityContext     `json:"securityContext,omitempty"`
}

type EnvVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *EnvVarSource `json:"valueFrom,omitempty"`
}

type EnvVarSource struct {
	SecretKeyRef *SecretKeySelector `json:"secretKeyRef,omitempty"`
	FieldRef     *FieldSelector     `json:"fieldRef,omitempty"`
}

type FieldSelector struct {
	FieldPath string `json:"fieldPath"`
}

type SecretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type Toleration struct {
	Key      string `json:"key,omitempty"`
	Operator string `json:"operator,omitempty"`
	Value    string `json:"value,omitempty"`
	Effect   string `json:"effect,omitempty"`
}

type TopologySpreadConstraint struct {
	MaxSkew           int32         `json:"maxSkew"`
	TopologyKey       string        `json:"topologyKey"`
	WhenUnsatisfiable string        `json:"whenUnsatisfiable"`
	LabelSelector     LabelSelector `json:"labelSelector"`
}

type LocalObjectReference struct {
	Name string `json:"name"`
}

type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type ResourceRequirements struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

type VolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type Probe struct {
	HTTPGet          *HTTPGetAction `json:"httpGet,omitempty"`
	PeriodSeconds    int32          `json:"periodSeconds,omitempty"`
	TimeoutSeconds   int32          `json:"timeoutSeconds,omitempty"`
	FailureThreshold int32          `json:"failureThreshold,omitempty"`
}

type HTTPGetAction struct {
	Path string `json:"path"`
	Port int32  `json:"port"`
}

type SecurityContext struct {
	SeccompProfile           *SeccompProfile `json:"seccompProfile,omitempty"`
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty"`
	Capabilities             *Capabilities   `json:"capabilities,omitempty"`
	RunAsNonRoot             *bool           `json:"runAsNonRoot,omitempty"`
	RunAsUser                *int64          `json:"runAsUser,omitempty"`
}

type Capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

type Volume struct {
	Name                  string                `json:"name"`
	PersistentVolumeClaim *PVCVolumeSource      `json:"persistentVolumeClaim,omitempty"`
	EmptyDir              *EmptyDirVolumeSource `json:"emptyDir,omitempty"`
}

type PVCVolumeSource struct {
	ClaimName string `json:"claimName"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type EmptyDirVolumeSource struct {
	Medium    string `json:"medium,omitempty"`
	SizeLimit string `json:"sizeLimit,omitempty"`
}

type Service struct {
	TypeMeta
	Metadata ObjectMeta  `json:"metadata"`
	Spec     ServiceSpec `json:"spec"`
}

type ServiceSpec struct {
	Type     string            `json:"type"`
	Selector map[string]string `json:"selector"`
	Ports    []ServicePort     `json:"ports"`
}

type ServicePort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort string `json:"targetPort"`
	Protocol   string `json:"protocol"`
}

type PersistentVolumeClaim struct {
	TypeMeta
	Metadata ObjectMeta `json:"metadata"`
	Spec     PVCSpec    `json:"spec"`
}

type PVCSpec struct {
	AccessModes      []string             `json:"accessModes"`
	StorageClassName *string              `json:"storageClassName,omitempty"`
	Resources        ResourceRequirements `json:"resources"`
}

type ConfigMap struct {
	TypeMeta
	Metadata ObjectMeta        `json:"metadata"`
	Data     map[string]string `json:"data"`
}

// inferenceService mirrors serving.kserve.io/v1beta1 InferenceService.
type InferenceService struct {
	TypeMeta
	Metadata ObjectMeta           `json:"metadata"`
	Spec     InferenceServiceSpec `json:"spec"`
}

type InferenceServiceSpec struct {
	Predictor PredictorSpec `json:"predictor"`
}

// isvcPredictor is KServe's PredictorSpec: ComponentExtensionSpec and an
// inline PodSpec (the custom-container form).
type PredictorSpec struct {
	MinReplicas          *int32            `json:"minReplicas,omitempty"`
	MaxReplicas          int32             `json:"maxReplicas,omitempty"`
	ScaleTarget          *int32            `json:"scaleTarget,omitempty"`
	ScaleMetric          string            `json:"scaleMetric,omitempty"`
	AutoScaling          *AutoScaling      `json:"autoScaling,omitempty"`
	CanaryTrafficPercent *int64            `json:"canaryTrafficPercent,omitempty"`
	DeploymentStrategy   *Strategy         `json:"deploymentStrategy,omitempty"`
	Labels               map[string]string `json:"labels,omitempty"`
	Annotations          map[string]string `json:"annotations,omitempty"`
	NodeSelector         map[string]string `json:"nodeSelector,omitempty"`
	Tolerations          []Toleration      `json:"tolerations,omitempty"`
	Affinity             *schema.Affinity  `json:"affinity,omitempty"`
	// The pod fields spec.pod renders.
	TopologySpreadConstraints []TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	PriorityClassName         string                     `json:"priorityClassName,omitempty"`
	ServiceAccountName        string                     `json:"serviceAccountName,omitempty"`
	ImagePullSecrets          []LocalObjectReference     `json:"imagePullSecrets,omitempty"`
	Containers                []Container                `json:"containers"`
	Volumes                   []Volume                   `json:"volumes,omitempty"`
	SecurityContext           *PodSecurityContext        `json:"securityContext,omitempty"`
}

// LLMInferenceService mirrors serving.kserve.io/v1alpha2
// LLMInferenceService, KServe v0.17's storage version. Its spec has the
// v1alpha1 shape less model.criticality (which servelayer never set), so
// the same structs serve both.
type LLMInferenceService struct {
	TypeMeta
	Metadata ObjectMeta              `json:"metadata"`
	Spec     LLMInferenceServiceSpec `json:"spec"`
}

type LLMInferenceServiceSpec struct {
	Model LLMModel `json:"model"`
	LLMWorkload
	Router  *LLMRouter   `json:"router,omitempty"`
	Prefill *LLMWorkload `json:"prefill,omitempty"`
}

type LLMModel struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

type LLMWorkload struct {
	Replicas    *int32            `json:"replicas,omitempty"`
	Scaling     *LLMScaling       `json:"scaling,omitempty"`
	Parallelism *LLMParallelism   `json:"parallelism,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Template    *PodSpec          `json:"template,omitempty"`
	Worker      *PodSpec          `json:"worker,omitempty"`
}

// LLMParallelism is the workload's parallelism, which KServe's worker
// presets write into vLLM's command line.
type LLMParallelism struct {
	Tensor    *int32 `json:"tensor,omitempty"`
	Pipeline  *int32 `json:"pipeline,omitempty"`
	Data      *int32 `json:"data,omitempty"`
	DataLocal *int32 `json:"dataLocal,omitempty"`
	Expert    bool   `json:"expert,omitempty"`
}

type LLMScaling struct {
	MinReplicas *int32  `json:"minReplicas,omitempty"`
	MaxReplicas *int32  `json:"maxReplicas,omitempty"`
	WVA         *LLMWVA `json:"wva,omitempty"`
}

// LLMWVA is the Workload Variant Autoscaler with its actuator.
type LLMWVA struct {
	HPA  *struct{} `json:"hpa,omitempty"`
	KEDA *struct{} `json:"keda,omitempty"`
}

// AutoScaling is KServe's ComponentExtensionSpec.AutoScaling, with the
// External (KEDA Prometheus) metrics servelayer renders.
type AutoScaling struct {
	Metrics []KServeMetric `json:"metrics"`
}

type KServeMetric struct {
	Type     string          `json:"type"`
	External *KServeExternal `json:"external,omitempty"`
}

type KServeExternal struct {
	Metric KServeExternalMetric `json:"metric"`
	Target KServeMetricTarget   `json:"target"`
}

type KServeExternalMetric struct {
	Backend       string `json:"backend"`
	ServerAddress string `json:"serverAddress"`
	Query         string `json:"query"`
}

type KServeMetricTarget struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ScaledObject mirrors keda.sh/v1alpha1 ScaledObject.
type ScaledObject struct {
	TypeMeta
	Metadata ObjectMeta       `json:"metadata"`
	Spec     ScaledObjectSpec `json:"spec"`
}

type ScaledObjectSpec struct {
	ScaleTargetRef        ScaleTargetRef `json:"scaleTargetRef"`
	MinReplicaCount       *int32         `json:"minReplicaCount"`
	MaxReplicaCount       *int32         `json:"maxReplicaCount"`
	InitialCooldownPeriod *int32         `json:"initialCooldownPeriod,omitempty"`
	Triggers              []ScaleTrigger `json:"triggers"`
}

type ScaleTargetRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
}

type ScaleTrigger struct {
	Type       string            `json:"type"`
	MetricType string            `json:"metricType"`
	Metadata   map[string]string `json:"metadata"`
}

type LLMRouter struct {
	Route     *struct{}     `json:"route"`
	Gateway   *LLMGateway   `json:"gateway,omitempty"`
	Scheduler *LLMScheduler `json:"scheduler"`
}

// LLMScheduler is the router's endpoint picker; an empty one is KServe's
// built-in configuration.
type LLMScheduler struct {
	Config *LLMSchedulerConfig `json:"config,omitempty"`
}

// LLMSchedulerConfig is an EndpointPickerConfig in a ConfigMap; an
// inline one is set on the built object (SetJSON at
// spec.router.scheduler.config.inline).
type LLMSchedulerConfig struct {
	Ref *ConfigMapKeySelector `json:"ref,omitempty"`
}

type ConfigMapKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key,omitempty"`
}

type LLMGateway struct {
	Refs []UntypedObjectRef `json:"refs,omitempty"`
}

type UntypedObjectRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// LeaderWorkerSet mirrors leaderworkerset.x-k8s.io/v1 (sigs.k8s.io/lws
// v0.7.0, the release KServe v0.17 builds on).
type LeaderWorkerSet struct {
	TypeMeta
	Metadata ObjectMeta `json:"metadata"`
	Spec     LWSSpec    `json:"spec"`
}

type LWSSpec struct {
	Replicas             *int32               `json:"replicas"`
	LeaderWorkerTemplate LeaderWorkerTemplate `json:"leaderWorkerTemplate"`
	StartupPolicy        string               `json:"startupPolicy"`
}

type LeaderWorkerTemplate struct {
	LeaderTemplate *PodTemplateSpec `json:"leaderTemplate"`
	WorkerTemplate PodTemplateSpec  `json:"workerTemplate"`
	Size           *int32           `json:"size"`
	RestartPolicy  string           `json:"restartPolicy"`
}

type PodDisruptionBudget struct {
	TypeMeta
	Metadata ObjectMeta `json:"metadata"`
	Spec     PDBSpec    `json:"spec"`
}

type PDBSpec struct {
	MaxUnavailable int32         `json:"maxUnavailable"`
	Selector       LabelSelector `json:"selector"`
}
