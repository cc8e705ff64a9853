// Package rawvllm is the raw-vllm layer's home: a Deployment and a Service
// running vLLM on pre-staged weights, offline.
package rawvllm

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// AnnotationPaused marks a raw-vllm Deployment idled by spec.paused.
const AnnotationPaused = "servelayer.dev/paused"

// Layer is raw-vllm.
type Layer struct{}

var _ layer.Layer = Layer{}

func (Layer) Name() schema.Layer                      { return schema.LayerRawVLLM }
func (Layer) Gate() string                            { return "" } // serving-core: always on
func (Layer) Enabled(*schema.PlatformSpec) bool       { return true }
func (Layer) Enable(*schema.PlatformSpec)             {}
func (Layer) Namespace(p *schema.PlatformSpec) string { return p.Namespaces.RawVLLM }
func (Layer) NameSuffix() string                      { return "" }
func (Layer) Plan() layer.Planner                     { return planner{} }
func (Layer) APIBase(m *schema.ServedModel, _ *schema.PlatformSpec) string {
	return fmt.Sprintf("http://%s.%s:%d/v1", m.Name, m.Namespace, k8s.VLLMPort)
}

func (Layer) Default(m *schema.ServedModel, p *schema.PlatformSpec) {
	if m.Spec.Engine.Image == "" {
		m.Spec.Engine.Image = p.Images.VLLM
	}
	if m.Namespace == "" {
		m.Namespace = p.Namespaces.RawVLLM
	}
}

// Validate has nothing beyond the rule table: raw-vllm adds no suffix.
func (Layer) Validate(*schema.ServedModel, *schema.PlatformSpec, bool) (field.ErrorList, []layer.Warning) {
	return nil, nil
}

// Objects renders a Deployment and a Service. The weights are pre-staged on
// a claim, so vLLM runs with the hub switched off; an initContainer refuses
// to start vLLM on an empty path with a message a human can act on.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
	s := &m.Spec
	src := s.Model.Source.PVC // the rule table refuses other sources on raw-vllm
	modelDir := k8s.ModelsDir + "/" + src.Path

	replicas := *s.Replicas
	if s.Paused {
		replicas = 0
	}
	startup, readiness, liveness := k8s.HealthProbes(k8s.VLLMPort)
	sel := map[string]string{k8s.LabelName: m.Name, k8s.LabelComponent: k8s.ComponentModelServer}
	modelsMount := k8s.VolumeMount{Name: "models", MountPath: k8s.ModelsDir, ReadOnly: true}

	check := fmt.Sprintf(`if [ ! -f %[1]s/config.json ]; then
  echo "servelayer: no model weights at %[1]s (claim %[2]s, path %[3]s): config.json is missing." >&2
  echo "Stage the weights into the claim first; raw-vllm runs offline and never downloads." >&2
  exit 1
fi
echo "servelayer: weights found at %[1]s"`, modelDir, src.ClaimName, src.Path)

	pod := k8s.PodSpec{
		AutomountServiceAccountToken: k8s.Ptr(false),
		SecurityContext:              &k8s.PodSecurityContext{RunAsNonRoot: k8s.Ptr(true), SeccompProfile: k8s.RuntimeDefaultSeccomp()},
		InitContainers: []k8s.Container{{
			Name:            "check-weights",
			Image:           p.Images.Init,
			Command:         []string{"sh", "-c", check},
			Resources:       k8s.SmallResources(),
			VolumeMounts:    []k8s.VolumeMount{modelsMount},
			SecurityContext: k8s.Hardened(true),
		}},
		Containers: []k8s.Container{{
			Name:      "vllm",
			Image:     s.Engine.Image,
			Args:      k8s.VLLMArgs(modelDir, s.Model.Name, k8s.VLLMPort, s),
			Env:       k8s.EnvVars(s.Engine.Env, append(k8s.OfflineEnv(), k8s.EnvVar{Name: "HOME", Value: "/tmp"})...),
			Ports:     []k8s.ContainerPort{{Name: "http", ContainerPort: k8s.VLLMPort, Protocol: "TCP"}},
			Resources: k8s.Resources(&s.Resources, p),
			VolumeMounts: []k8s.VolumeMount{
				modelsMount,
				{Name: "dshm", MountPath: "/dev/shm"},
				{Name: "tmp", MountPath: "/tmp"},
			},
			StartupProbe:    startup,
			ReadinessProbe:  readiness,
			LivenessProbe:   liveness,
			SecurityContext: k8s.Hardened(true),
		}},
		Volumes: []k8s.Volume{
			{Name: "models", PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.ClaimName, ReadOnly: true}},
			// vLLM's workers share tensors through /dev/shm.
			{Name: "dshm", EmptyDir: &k8s.EmptyDirVolumeSource{Medium: "Memory"}},
			{Name: "tmp", EmptyDir: &k8s.EmptyDirVolumeSource{}},
		},
	}
	pod.NodeSelector, pod.Tolerations = k8s.GPUScheduling(&s.Resources, p)

	dep := &k8s.Deployment{
		TypeMeta: k8s.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec: k8s.DeploymentSpec{
			Replicas: &replicas,
			// Past the startup probe's budget, or a slow load reads as a
			// failed rollout (ProgressDeadlineExceeded) to kubectl and Argo CD.
			ProgressDeadlineSeconds: k8s.Ptr(int32(k8s.StartupBudgetSeconds + 300)),
			Selector:                k8s.LabelSelector{MatchLabels: sel},
			// Recreate: two vLLM pods rarely fit on one GPU node.
			Strategy: k8s.Strategy{Type: "Recreate"},
			Template: k8s.PodTemplateSpec{Metadata: k8s.ObjectMeta{Labels: k8s.Labels(m, k8s.ComponentModelServer)}, Spec: pod},
		},
	}
	if s.Paused {
		// replicas is often ignored by Argo CD (see README); the annotation
		// is not, so the pause still shows as a diff to sync.
		dep.Metadata.Annotations = map[string]string{AnnotationPaused: "true"}
	}
	svc := &k8s.Service{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "Service"},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec: k8s.ServiceSpec{
			Type:     "ClusterIP",
			Selector: sel,
			Ports:    []k8s.ServicePort{{Name: "http", Port: k8s.VLLMPort, TargetPort: "http", Protocol: "TCP"}},
		},
	}
	return []k8s.Object{
		k8s.NewObject("apps/v1", "Deployment", m, m.Name, dep),
		k8s.NewObject("v1", "Service", m, m.Name, svc),
	}
}
