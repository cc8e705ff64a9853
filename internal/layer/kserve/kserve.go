// Package kserve is the kserve layer's home: one InferenceService with a
// custom-container predictor.
package kserve

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// KServe's names: the predictor's container and suffix, where its modelcar
// and storage initializer put the weights, and its annotations.
const (
	Container                    = "kserve-container"
	ModelsDir                    = "/mnt/models"
	PredictorSuffix              = "-predictor"
	Port                         = 8080
	AnnotationDeploymentMode     = "serving.kserve.io/deploymentMode"
	podLabelISVC                 = "serving.kserve.io/inferenceservice"
	annotationPrometheusScraping = "serving.kserve.io/enable-prometheus-scraping"
	podLabelComponent            = "component"
	annotationAutoscalerClass    = "serving.kserve.io/autoscalerClass"
	annotationProgressDeadline   = "serving.knative.dev/progress-deadline"
	apiVersion                   = "serving.kserve.io/v1beta1"
	kind                         = "InferenceService"
)

// Layer is kserve.
type Layer struct{}

var _ layer.Layer = Layer{}

func (Layer) Name() schema.Layer                      { return schema.LayerKServe }
func (Layer) Gate() string                            { return "kserve" }
func (Layer) Enabled(p *schema.PlatformSpec) bool     { return p.Features.KServe }
func (Layer) Enable(p *schema.PlatformSpec)           { p.Features.KServe = true }
func (Layer) Namespace(p *schema.PlatformSpec) string { return p.Namespaces.KServe }
func (Layer) NameSuffix() string                      { return PredictorSuffix }
func (Layer) Plan() layer.Planner                     { return planner{} }

// APIBase is the predictor Service KServe creates, on port 80.
func (Layer) APIBase(m *schema.ServedModel, _ *schema.PlatformSpec) string {
	return fmt.Sprintf("http://%s%s.%s:80/v1", m.Name, PredictorSuffix, m.Namespace)
}

func (Layer) Default(m *schema.ServedModel, p *schema.PlatformSpec) {
	if m.Spec.Engine.Image == "" {
		m.Spec.Engine.Image = p.Images.VLLM
	}
	if m.Namespace == "" {
		m.Namespace = p.Namespaces.KServe
	}
}

// Validate checks KServe's host name: its default domain template makes
// "<name>-predictor-<namespace>" one DNS label.
// Only a name and namespace valid on their own are checked, once.
func (Layer) Validate(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (field.ErrorList, []layer.Warning) {
	ws := layer.DisruptionWarnings(m, pools(m))
	var errs field.ErrorList
	if sc := m.Spec.Scaling; sc != nil && knativeMetric[sc.Metric] != "" && p.KServe.DeploymentMode == schema.DeploymentModeKnative {
		if _, ok := k8s.WholeTarget(sc.Target); !ok {
			errs = append(errs, field.Invalid(field.NewPath("spec", "scaling", "target"), sc.Target,
				"KServe Knative mode takes a whole number of "+string(sc.Metric)+" per replica (its scaleTarget is an integer), such as \"4\""))
		}
	}
	host := m.Name + PredictorSuffix + "-" + m.Namespace
	if len(host) <= validation.DNS1035LabelMaxLength || len(m.Name+PredictorSuffix) > validation.DNS1035LabelMaxLength ||
		len(validation.IsDNS1035Label(m.Name)) > 0 || len(validation.IsDNS1123Label(m.Namespace)) > 0 {
		if len(errs) > 0 {
			return errs, ws
		}
		return layer.TemplateErrors(m, p, gated, func() ([]k8s.Object, field.ErrorList) { return build(m, p) }), ws
	}
	return append(errs, field.Invalid(field.NewPath("metadata", "name"), m.Name, fmt.Sprintf(
		"must be no more than %d characters in namespace %s on layer kserve: KServe's host label %s is %d characters (63 at most)",
		validation.DNS1035LabelMaxLength-len(PredictorSuffix)-1-len(m.Namespace), m.Namespace, host, len(host)))), nil
}

// podSelector selects the predictor's pods by the labels KServe gives
// them in both modes (components/predictor.go buildObjectMeta). KServe
// v0.17 renders no PodDisruptionBudget of its own, so one selecting them
// is the only one.
func podSelector(m *schema.ServedModel) map[string]string {
	return map[string]string{podLabelISVC: m.Name, podLabelComponent: "predictor"}
}

// pools is the predictor's one pool of pods.
func pools(m *schema.ServedModel) []k8s.DisruptionPool {
	return []k8s.DisruptionPool{{Name: m.Name, Selector: podSelector(m), MaxPods: k8s.MaxPods(&m.Spec)}}
}

// knativeMetric is Knative's name (KServe's scaleMetric) of the metrics
// its autoscaler counts at the queue-proxy.
var knativeMetric = map[schema.ScalingMetric]string{schema.MetricConcurrency: "concurrency", schema.MetricRPS: "rps"}

// scaleOn renders spec.scaling.metric. Standard mode: an External metric
// on KServe's KEDA class, a Prometheus query KServe copies into the
// ScaledObject's prometheus trigger (the threshold from target.value;
// KEDA's default AverageValue divides the sum by the replicas). KServe's
// PodMetric type needs an OpenTelemetry collector, so External it is.
// Knative mode: its own autoscaler's scaleMetric and scaleTarget (the rule
// table refuses vLLM's metrics there).
func scaleOn(pred *k8s.PredictorSpec, m *schema.ServedModel, p *schema.PlatformSpec) {
	sc := m.Spec.Scaling
	if sc.Metric == "" {
		return
	}
	if p.KServe.DeploymentMode != schema.DeploymentModeStandard {
		n, _ := k8s.WholeTarget(sc.Target) // Validate refuses a fraction
		pred.ScaleMetric, pred.ScaleTarget = knativeMetric[sc.Metric], k8s.Ptr(n)
		return
	}
	pred.AutoScaling = &k8s.AutoScaling{Metrics: []k8s.KServeMetric{{
		Type: "External",
		External: &k8s.KServeExternal{
			Metric: k8s.KServeExternalMetric{Backend: "prometheus", ServerAddress: p.Prometheus.URL,
				Query: k8s.PrometheusQuery(sc.Metric, m.Namespace, m.Name+PredictorSuffix)},
			Target: k8s.KServeMetricTarget{Type: "Value", Value: sc.Target},
		},
	}}}
}

// Objects renders one InferenceService with a custom-container predictor:
// vLLM runs verbatim in kserve-container. The model+runtime binding is
// never used, because it force-injects --model=/mnt/models and a storage
// initializer that breaks behind restricted egress.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
	objs, _ := build(m, p) // validation refused what the pod template cannot change
	return objs
}

// build renders the objects, with spec.pod.template merged into the
// predictor (whose pod fields are inline).
func build(m *schema.ServedModel, p *schema.PlatformSpec) ([]k8s.Object, field.ErrorList) {
	s := &m.Spec
	mode := p.KServe.DeploymentMode
	standard := mode == schema.DeploymentModeStandard

	c := k8s.Container{
		Name:      Container,
		Image:     s.Engine.Image,
		Ports:     []k8s.ContainerPort{{ContainerPort: Port, Protocol: "TCP"}},
		Resources: k8s.Resources(&s.Resources, p),
		// KServe's modelcar replaces this context for oci sources (uidModelcar).
		SecurityContext: k8s.Hardened(false),
	}
	pred := k8s.PredictorSpec{}
	if standard {
		pred.SecurityContext = &k8s.PodSecurityContext{SeccompProfile: k8s.RuntimeDefaultSeccomp()}
	} else {
		// Knative drops a pod securityContext unless its
		// kubernetes.podspec-securitycontext flag is on; the container's
		// seccompProfile is always allowed.
		c.SecurityContext.SeccompProfile = k8s.RuntimeDefaultSeccomp()
	}
	var modelPath string
	// The predictor has no /dev/shm beyond the runtime's 64 MiB unless it
	// is mounted, and vLLM's NCCL fails on that with tensor parallelism.
	shm, shmMount := k8s.SharedMemory(s.Resources.SharedMemory)
	switch src := s.Model.Source; {
	case src.PVC != nil:
		modelPath = k8s.ModelsDir + "/" + src.PVC.Path
		c.VolumeMounts = []k8s.VolumeMount{{Name: "models", MountPath: k8s.ModelsDir, ReadOnly: true}}
		pred.Volumes = []k8s.Volume{{Name: "models", PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.PVC.ClaimName, ReadOnly: true}}}
		c.Env = k8s.EnvVars(s.Engine.Env, k8s.OfflineEnv()...)
	case src.OCI != "":
		// A custom container names its storage in STORAGE_URI; an oci://
		// URI makes KServe inject the modelcar, mounted at /mnt/models.
		repo, digest := schema.SplitOCI(src.OCI)
		modelPath = ModelsDir
		c.Env = k8s.EnvVars(s.Engine.Env, append([]k8s.EnvVar{{Name: "STORAGE_URI", Value: "oci://" + repo + "@" + digest}}, k8s.OfflineEnv()...)...)
	}
	c.Args = k8s.VLLMArgs(modelPath, s.Model.Name, Port, s)
	c.VolumeMounts = append(c.VolumeMounts, shmMount)
	pred.Volumes = append(pred.Volumes, shm)

	// The same slow-load probes as raw-vllm in both modes: without the
	// startup probe, liveness would kill vLLM while it loads the weights.
	c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = k8s.HealthProbes(Port, s.StartupSeconds())
	pred.Containers = []k8s.Container{c}
	sched := k8s.GPUScheduling(&s.Resources, p)
	pred.NodeSelector, pred.Tolerations, pred.Affinity = sched.NodeSelector, sched.Tolerations, sched.Affinity
	// KServe labels every predictor pod (Standard and Knative) with these
	// (components/predictor.go buildObjectMeta); spreads select on them.
	knobs := k8s.PodKnobsOf(m, podSelector(m), k8s.PullCredentials(m)...)
	pred.TopologySpreadConstraints, pred.PriorityClassName = knobs.TopologySpreadConstraints, knobs.PriorityClassName
	pred.ServiceAccountName, pred.ImagePullSecrets = knobs.ServiceAccountName, knobs.ImagePullSecrets
	// The predictor's labels and annotations are the pods' (they follow
	// the InferenceService's own, which KServe copies too).
	pred.Labels, pred.Annotations = k8s.UserPodLabels(m), k8s.PodAnnotations(m, Port)
	if s.Metrics != nil && s.Metrics.Scrape {
		// KServe's pod webhook rewrites prometheus.io/port to its own
		// aggregation port (9091 or 9088) when the cluster's
		// metricsAggregator config enables scraping; vLLM serves its
		// metrics itself, so keep the webhook off these pods
		// (webhook/admission/pod/metrics_aggregate_injector.go).
		pred.Annotations[annotationPrometheusScraping] = "false"
	}

	if sc := s.Scaling; sc != nil {
		pred.MinReplicas = k8s.Ptr(*sc.MinReplicas)
		pred.MaxReplicas = sc.MaxReplicas
		scaleOn(&pred, m, p)
	} else {
		pred.MinReplicas = k8s.Ptr(*s.Replicas)
		pred.MaxReplicas = max(*s.Replicas, 1)
	}
	if s.Rollout != nil && s.Rollout.CanaryTrafficPercent != nil {
		pred.CanaryTrafficPercent = k8s.Ptr(int64(*s.Rollout.CanaryTrafficPercent))
	}
	if standard {
		// As on raw-vllm: two vLLM pods rarely fit on one GPU node. KServe
		// v0.17 then creates the Deployment without progressDeadlineSeconds
		// (600 by the API server's default); without a strategy it would set
		// 600 itself and roll out 25%/25% (a second GPU pod per rollout):
		// reconcilers/deployment/deployment_reconciler.go, createRawDefaultDeployment
		// and setDefaultDeploymentSpec. Nothing in the InferenceService raises
		// it; see the kserve-progress-deadline rule.
		pred.DeploymentStrategy = &k8s.Strategy{Type: "Recreate"}
	}

	isvc := &k8s.InferenceService{
		TypeMeta: k8s.TypeMeta{APIVersion: apiVersion, Kind: kind},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec:     k8s.InferenceServiceSpec{Predictor: pred},
	}
	// Always explicit: KServe's code default and its shipped configmap disagree.
	isvc.Metadata.Annotations = map[string]string{AnnotationDeploymentMode: string(mode)}
	if !standard {
		// Knative's default 10-minute progress deadline would fail a slow load.
		isvc.Metadata.Annotations[annotationProgressDeadline] = fmt.Sprintf("%ds", s.StartupSeconds()+k8s.ProgressSlackSeconds)
	}
	if standard && s.Scaling != nil && s.Scaling.Metric != "" {
		// KServe's KEDA class: it renders a ScaledObject from
		// spec.predictor.autoScaling (reconcilers/keda/keda_reconciler.go).
		isvc.Metadata.Annotations[annotationAutoscalerClass] = "keda"
	}
	if standard && s.Scaling == nil {
		// Fixed replicas: without this KServe v0.17 still creates a CPU HPA
		// (80%, min = max) and lets it own the Deployment's replicas; with
		// it, KServe deletes the HPA and sets replicas to minReplicas
		// (pkg/controller/v1beta1/inferenceservice/reconcilers/hpa/hpa_reconciler.go,
		// reconcilers/deployment/deployment_reconciler.go).
		isvc.Metadata.Annotations[annotationAutoscalerClass] = "none"
	}
	if s.Paused {
		isvc.Metadata.Annotations[k8s.AnnotationStop] = "true"
	}
	obj, errs := k8s.ApplyPodTemplate(k8s.NewObject(apiVersion, kind, m, m.Name, isvc), m, Container, []string{"spec", "predictor"})
	return append([]k8s.Object{obj}, k8s.DisruptionBudgets(m, pools(m))...), errs
}
