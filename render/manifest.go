package render

// The structs below mirror only the fields servelayer sets, in the order
// kubectl users expect to read them. Field names are not trusted: the
// conformance module decodes every rendered object strictly into
// k8s.io/api and KServe's own Go types, so a misspelt field fails a test.

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

type objectMeta struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type deployment struct {
	typeMeta
	Metadata objectMeta     `json:"metadata"`
	Spec     deploymentSpec `json:"spec"`
}

type deploymentSpec struct {
	Replicas                *int32          `json:"replicas"`
	ProgressDeadlineSeconds *int32          `json:"progressDeadlineSeconds,omitempty"`
	Selector                labelSelector   `json:"selector"`
	Strategy                strategy        `json:"strategy"`
	Template                podTemplateSpec `json:"template"`
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type strategy struct {
	Type string `json:"type"`
}

type podTemplateSpec struct {
	Metadata objectMeta `json:"metadata"`
	Spec     podSpec    `json:"spec"`
}

type podSpec struct {
	NodeSelector                 map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations                  []toleration        `json:"tolerations,omitempty"`
	AutomountServiceAccountToken *bool               `json:"automountServiceAccountToken,omitempty"`
	SecurityContext              *podSecurityContext `json:"securityContext,omitempty"`
	InitContainers               []container         `json:"initContainers,omitempty"`
	Containers                   []container         `json:"containers"`
	Volumes                      []volume            `json:"volumes,omitempty"`
}

type podSecurityContext struct {
	RunAsNonRoot   *bool           `json:"runAsNonRoot,omitempty"`
	SeccompProfile *seccompProfile `json:"seccompProfile,omitempty"`
}

type seccompProfile struct {
	Type string `json:"type"`
}

type container struct {
	Name            string                `json:"name"`
	Image           string                `json:"image,omitempty"`
	Command         []string              `json:"command,omitempty"`
	Args            []string              `json:"args,omitempty"`
	Env             []envVar              `json:"env,omitempty"`
	Ports           []containerPort       `json:"ports,omitempty"`
	Resources       resourceRequirements  `json:"resources"`
	VolumeMounts    []volumeMount         `json:"volumeMounts,omitempty"`
	StartupProbe    *probe                `json:"startupProbe,omitempty"`
	ReadinessProbe  *probe                `json:"readinessProbe,omitempty"`
	LivenessProbe   *probe                `json:"livenessProbe,omitempty"`
	SecurityContext *containerSecurityCtx `json:"securityContext,omitempty"`
}

type envVar struct {
	Name      string        `json:"name"`
	Value     string        `json:"value,omitempty"`
	ValueFrom *envVarSource `json:"valueFrom,omitempty"`
}

type envVarSource struct {
	SecretKeyRef *secretKeySelector `json:"secretKeyRef,omitempty"`
	FieldRef     *fieldSelector     `json:"fieldRef,omitempty"`
}

type fieldSelector struct {
	FieldPath string `json:"fieldPath"`
}

type secretKeySelector struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

type toleration struct {
	Key      string `json:"key,omitempty"`
	Operator string `json:"operator,omitempty"`
	Value    string `json:"value,omitempty"`
	Effect   string `json:"effect,omitempty"`
}

type containerPort struct {
	Name          string `json:"name,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type resourceRequirements struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type probe struct {
	HTTPGet          *httpGetAction `json:"httpGet"`
	PeriodSeconds    int32          `json:"periodSeconds,omitempty"`
	TimeoutSeconds   int32          `json:"timeoutSeconds,omitempty"`
	FailureThreshold int32          `json:"failureThreshold,omitempty"`
}

type httpGetAction struct {
	Path string `json:"path"`
	Port int32  `json:"port"`
}

type containerSecurityCtx struct {
	SeccompProfile           *seccompProfile `json:"seccompProfile,omitempty"`
	AllowPrivilegeEscalation *bool           `json:"allowPrivilegeEscalation,omitempty"`
	Capabilities             *capabilities   `json:"capabilities,omitempty"`
	RunAsNonRoot             *bool           `json:"runAsNonRoot,omitempty"`
	RunAsUser                *int64          `json:"runAsUser,omitempty"`
}

type capabilities struct {
	Drop []string `json:"drop,omitempty"`
}

type volume struct {
	Name                  string                `json:"name"`
	PersistentVolumeClaim *pvcVolumeSource      `json:"persistentVolumeClaim,omitempty"`
	EmptyDir              *emptyDirVolumeSource `json:"emptyDir,omitempty"`
}

type pvcVolumeSource struct {
	ClaimName string `json:"claimName"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
}

type emptyDirVolumeSource struct {
	Medium string `json:"medium,omitempty"`
}

type service struct {
	typeMeta
	Metadata objectMeta  `json:"metadata"`
	Spec     serviceSpec `json:"spec"`
}

type serviceSpec struct {
	Type     string            `json:"type"`
	Selector map[string]string `json:"selector"`
	Ports    []servicePort     `json:"ports"`
}

type servicePort struct {
	Name       string `json:"name"`
	Port       int32  `json:"port"`
	TargetPort string `json:"targetPort"`
	Protocol   string `json:"protocol"`
}

type persistentVolumeClaim struct {
	typeMeta
	Metadata objectMeta `json:"metadata"`
	Spec     pvcSpec    `json:"spec"`
}

type pvcSpec struct {
	AccessModes      []string             `json:"accessModes"`
	StorageClassName *string              `json:"storageClassName,omitempty"`
	Resources        resourceRequirements `json:"resources"`
}

type configMap struct {
	typeMeta
	Metadata objectMeta        `json:"metadata"`
	Data     map[string]string `json:"data"`
	// entry is the LiteLLM entry Data holds, for the fleet's alias check.
	entry *LiteLLMEntry
}

// inferenceService mirrors serving.kserve.io/v1beta1 InferenceService.
type inferenceService struct {
	typeMeta
	Metadata objectMeta `json:"metadata"`
	Spec     isvcSpec   `json:"spec"`
}

type isvcSpec struct {
	Predictor isvcPredictor `json:"predictor"`
}

// isvcPredictor is KServe's PredictorSpec: ComponentExtensionSpec and an
// inline PodSpec (the custom-container form).
type isvcPredictor struct {
	MinReplicas          *int32              `json:"minReplicas,omitempty"`
	MaxReplicas          int32               `json:"maxReplicas,omitempty"`
	CanaryTrafficPercent *int64              `json:"canaryTrafficPercent,omitempty"`
	DeploymentStrategy   *strategy           `json:"deploymentStrategy,omitempty"`
	NodeSelector         map[string]string   `json:"nodeSelector,omitempty"`
	Tolerations          []toleration        `json:"tolerations,omitempty"`
	Containers           []container         `json:"containers"`
	Volumes              []volume            `json:"volumes,omitempty"`
	SecurityContext      *podSecurityContext `json:"securityContext,omitempty"`
}

// llmInferenceService mirrors serving.kserve.io/v1alpha1 LLMInferenceService.
type llmInferenceService struct {
	typeMeta
	Metadata objectMeta  `json:"metadata"`
	Spec     llmisvcSpec `json:"spec"`
}

type llmisvcSpec struct {
	Model llmModel `json:"model"`
	llmWorkload
	Router  *llmRouter   `json:"router,omitempty"`
	Prefill *llmWorkload `json:"prefill,omitempty"`
}

type llmModel struct {
	URI  string `json:"uri"`
	Name string `json:"name,omitempty"`
}

type llmWorkload struct {
	Replicas *int32      `json:"replicas,omitempty"`
	Scaling  *llmScaling `json:"scaling,omitempty"`
	Template *podSpec    `json:"template,omitempty"`
}

type llmScaling struct {
	MinReplicas *int32  `json:"minReplicas,omitempty"`
	MaxReplicas *int32  `json:"maxReplicas,omitempty"`
	WVA         *llmWVA `json:"wva,omitempty"`
}

// llmWVA is the Workload Variant Autoscaler with its HPA actuator.
type llmWVA struct {
	HPA *struct{} `json:"hpa"`
}

type llmRouter struct {
	Route     *struct{}   `json:"route"`
	Gateway   *llmGateway `json:"gateway,omitempty"`
	Scheduler *struct{}   `json:"scheduler"`
}

type llmGateway struct {
	Refs []untypedObjectRef `json:"refs,omitempty"`
}

type untypedObjectRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}
