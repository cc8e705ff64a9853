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
	Container                  = "kserve-container"
	ModelsDir                  = "/mnt/models"
	PredictorSuffix            = "-predictor"
	Port                       = 8080
	AnnotationDeploymentMode   = "serving.kserve.io/deploymentMode"
	annotationProgressDeadline = "serving.knative.dev/progress-deadline"
	apiVersion                 = "serving.kserve.io/v1beta1"
	kind                       = "InferenceService"
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
func (Layer) Validate(m *schema.ServedModel, _ *schema.PlatformSpec, _ bool) (field.ErrorList, []layer.Warning) {
	host := m.Name + PredictorSuffix + "-" + m.Namespace
	if len(host) <= validation.DNS1035LabelMaxLength || len(m.Name+PredictorSuffix) > validation.DNS1035LabelMaxLength ||
		len(validation.IsDNS1035Label(m.Name)) > 0 || len(validation.IsDNS1123Label(m.Namespace)) > 0 {
		return nil, nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), m.Name, fmt.Sprintf(
		"must be no more than %d characters in namespace %s on layer kserve: KServe's host label %s is %d characters (63 at most)",
		validation.DNS1035LabelMaxLength-len(PredictorSuffix)-1-len(m.Namespace), m.Namespace, host, len(host)))}, nil
}

// Objects renders one InferenceService with a custom-container predictor:
// vLLM runs verbatim in kserve-container. The model+runtime binding is
// never used, because it force-injects --model=/mnt/models and a storage
// initializer that breaks behind restricted egress.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
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

	// The same slow-load probes as raw-vllm in both modes: without the
	// startup probe, liveness would kill vLLM while it loads the weights.
	c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = k8s.HealthProbes(Port)
	pred.Containers = []k8s.Container{c}
	pred.NodeSelector, pred.Tolerations = k8s.GPUScheduling(&s.Resources, p)

	if s.Scaling != nil {
		pred.MinReplicas = k8s.Ptr(*s.Scaling.MinReplicas)
		pred.MaxReplicas = s.Scaling.MaxReplicas
	} else {
		pred.MinReplicas = k8s.Ptr(*s.Replicas)
		pred.MaxReplicas = max(*s.Replicas, 1)
	}
	if s.Rollout != nil && s.Rollout.CanaryTrafficPercent != nil {
		pred.CanaryTrafficPercent = k8s.Ptr(int64(*s.Rollout.CanaryTrafficPercent))
	}
	if standard {
		// As on raw-vllm: two vLLM pods rarely fit on one GPU node.
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
		isvc.Metadata.Annotations[annotationProgressDeadline] = fmt.Sprintf("%ds", k8s.StartupBudgetSeconds+300)
	}
	if s.Paused {
		isvc.Metadata.Annotations[k8s.AnnotationStop] = "true"
	}
	return []k8s.Object{k8s.NewObject(apiVersion, kind, m, m.Name, isvc)}
}
