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

// container is the model's container.
const container = "vllm"

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

// Validate has little beyond the rule table: raw-vllm adds no suffix.
func (Layer) Validate(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (field.ErrorList, []layer.Warning) {
	errs := layer.TemplateErrors(m, p, gated, func() ([]k8s.Object, field.ErrorList) { return build(m, p) })
	return errs, layer.DisruptionWarnings(m, pools(m))
}

// selector selects the model's pods.
func selector(m *schema.ServedModel) map[string]string {
	return map[string]string{k8s.LabelName: m.Name, k8s.LabelComponent: k8s.ComponentModelServer}
}

// pools is the one pool of pods a disruption budget protects.
func pools(m *schema.ServedModel) []k8s.DisruptionPool {
	return []k8s.DisruptionPool{{Name: m.Name, Selector: selector(m), MaxPods: k8s.MaxPods(&m.Spec)}}
}

// Objects renders a Deployment and a Service. The weights are pre-staged on
// a claim, so vLLM runs with the hub switched off; an initContainer refuses
// to start vLLM on an empty path with a message a human can act on.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
	objs, _ := build(m, p) // validation refused what the pod template cannot change
	return objs
}

// build renders the objects, with spec.pod.template merged into the pod.
func build(m *schema.ServedModel, p *schema.PlatformSpec) ([]k8s.Object, field.ErrorList) {
	s := &m.Spec
	src := s.Model.Source.PVC // the rule table refuses other sources on raw-vllm
	modelDir := k8s.ModelsDir + "/" + src.Path

	// With spec.scaling KEDA owns the replicas (the rule table refuses a
	// range without a metric here), so the Deployment leaves them unset.
	var replicas *int32
	switch {
	case s.Paused:
		replicas = k8s.Ptr(int32(0))
	case s.Scaling == nil:
		replicas = k8s.Ptr(*s.Replicas)
	}
	budget := s.StartupSeconds()
	startup, readiness, liveness := k8s.HealthProbes(k8s.VLLMPort, budget)
	sel := selector(m)
	modelsMount := k8s.VolumeMount{Name: "models", MountPath: k8s.ModelsDir, ReadOnly: true}
	shm, shmMount := k8s.SharedMemory(s.Resources.SharedMemory)

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
			Name:      container,
			Image:     s.Engine.Image,
			Args:      k8s.VLLMArgs(modelDir, s.Model.Name, k8s.VLLMPort, s),
			Env:       k8s.EnvVars(s.Engine.Env, append(k8s.OfflineEnv(), k8s.EnvVar{Name: "HOME", Value: "/tmp"})...),
			Ports:     []k8s.ContainerPort{{Name: "http", ContainerPort: k8s.VLLMPort, Protocol: "TCP"}},
			Resources: k8s.Resources(&s.Resources, p),
			VolumeMounts: []k8s.VolumeMount{
				modelsMount,
				shmMount,
				{Name: "tmp", MountPath: "/tmp"},
			},
			StartupProbe:    startup,
			ReadinessProbe:  readiness,
			LivenessProbe:   liveness,
			SecurityContext: k8s.Hardened(true),
		}},
		Volumes: []k8s.Volume{
			{Name: "models", PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.ClaimName, ReadOnly: true}},
			shm,
			{Name: "tmp", EmptyDir: &k8s.EmptyDirVolumeSource{}},
		},
	}
	sched := k8s.GPUScheduling(&s.Resources, p)
	pod.NodeSelector, pod.Tolerations, pod.Affinity = sched.NodeSelector, sched.Tolerations, sched.Affinity
	k8s.PodKnobsOf(m, sel).Apply(&pod)

	dep := &k8s.Deployment{
		TypeMeta: k8s.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec: k8s.DeploymentSpec{
			Replicas: replicas,
			// Past the startup probe's budget, or a slow load reads as a
			// failed rollout (ProgressDeadlineExceeded) to kubectl and Argo CD.
			ProgressDeadlineSeconds: k8s.Ptr(budget + k8s.ProgressSlackSeconds),
			Selector:                k8s.LabelSelector{MatchLabels: sel},
			// Recreate: two vLLM pods rarely fit on one GPU node.
			Strategy: k8s.Strategy{Type: "Recreate"},
			Template: k8s.PodTemplateSpec{Metadata: k8s.ObjectMeta{Labels: k8s.PodLabels(m, k8s.ComponentModelServer), Annotations: k8s.PodAnnotations(m, k8s.VLLMPort)}, Spec: pod},
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
	deployment, errs := k8s.ApplyPodTemplate(k8s.NewObject("apps/v1", "Deployment", m, m.Name, dep), m, container, []string{"spec", "template", "spec"})
	objs := []k8s.Object{deployment, k8s.NewObject("v1", "Service", m, m.Name, svc)}
	if s.Scaling != nil {
		objs = append(objs, k8s.ScaledObjectFor(m, m.Name, p.Prometheus.URL))
	}
	return append(objs, k8s.DisruptionBudgets(m, pools(m))...), errs
}
