package render

import (
	"fmt"

	"github.com/servelayer/servelayer/schema"
)

// Where raw-vllm mounts the weights claim (read-only).
const rawModelsDir = "/models"

// rawVLLM renders a Deployment and a Service. The weights are pre-staged on
// a claim, so vLLM runs with the hub switched off; an initContainer refuses
// to start vLLM on an empty path with a message a human can act on.
func (r *modelRender) rawVLLM() []Object {
	m := r.model
	s := &m.Spec
	src := s.Model.Source.PVC // validation guarantees a pvc source on raw-vllm
	modelDir := rawModelsDir + "/" + src.Path

	replicas := *s.Replicas
	if s.Paused {
		replicas = 0
	}
	startup, readiness, liveness := healthProbes(vllmPort)
	sel := map[string]string{LabelName: m.Name, LabelComponent: componentVLLM}
	modelsMount := volumeMount{Name: "models", MountPath: rawModelsDir, ReadOnly: true}

	check := fmt.Sprintf(`if [ ! -f %[1]s/config.json ]; then
  echo "servelayer: no model weights at %[1]s (claim %[2]s, path %[3]s): config.json is missing." >&2
  echo "Stage the weights into the claim first; raw-vllm runs offline and never downloads." >&2
  exit 1
fi
echo "servelayer: weights found at %[1]s"`, modelDir, src.ClaimName, src.Path)

	dep := &deployment{
		typeMeta: typeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		Metadata: r.meta(m.Name, componentVLLM),
		Spec: deploymentSpec{
			Replicas: &replicas,
			// Past the startup probe's budget, or a slow load reads as a
			// failed rollout (ProgressDeadlineExceeded) to kubectl and Argo CD.
			ProgressDeadlineSeconds: ptr(int32(startupBudgetSeconds + 300)),
			Selector:                labelSelector{MatchLabels: sel},
			// Recreate: two vLLM pods rarely fit on one GPU node.
			Strategy: strategy{Type: "Recreate"},
			Template: podTemplateSpec{
				Metadata: objectMeta{Labels: r.labels(componentVLLM)},
				Spec: podSpec{
					AutomountServiceAccountToken: ptr(false),
					SecurityContext:              &podSecurityContext{RunAsNonRoot: ptr(true), SeccompProfile: &seccompProfile{Type: "RuntimeDefault"}},
					InitContainers: []container{{
						Name:            "check-weights",
						Image:           r.platform.Images.Init,
						Command:         []string{"sh", "-c", check},
						Resources:       smallResources(),
						VolumeMounts:    []volumeMount{modelsMount},
						SecurityContext: hardened(true),
					}},
					Containers: []container{{
						Name:  "vllm",
						Image: s.Engine.Image,
						Args:  vllmArgs(modelDir, s.Model.Name, vllmPort, s.Engine.Args),
						Env: envVars(s.Engine.Env,
							envVar{Name: "HF_HUB_OFFLINE", Value: "1"},
							envVar{Name: "TRANSFORMERS_OFFLINE", Value: "1"},
							envVar{Name: "HOME", Value: "/tmp"},
						),
						Ports:     []containerPort{{Name: "http", ContainerPort: vllmPort, Protocol: "TCP"}},
						Resources: r.resources(&s.Resources),
						VolumeMounts: []volumeMount{
							modelsMount,
							{Name: "dshm", MountPath: "/dev/shm"},
							{Name: "tmp", MountPath: "/tmp"},
						},
						StartupProbe:    startup,
						ReadinessProbe:  readiness,
						LivenessProbe:   liveness,
						SecurityContext: hardened(true),
					}},
					Volumes: []volume{
						{Name: "models", PersistentVolumeClaim: &pvcVolumeSource{ClaimName: src.ClaimName, ReadOnly: true}},
						// vLLM's workers share tensors through /dev/shm.
						{Name: "dshm", EmptyDir: &emptyDirVolumeSource{Medium: "Memory"}},
						{Name: "tmp", EmptyDir: &emptyDirVolumeSource{}},
					},
				},
			},
		},
	}

	svc := &service{
		typeMeta: typeMeta{APIVersion: "v1", Kind: "Service"},
		Metadata: r.meta(m.Name, componentVLLM),
		Spec: serviceSpec{
			Type:     "ClusterIP",
			Selector: sel,
			Ports:    []servicePort{{Name: "http", Port: vllmPort, TargetPort: "http", Protocol: "TCP"}},
		},
	}
	dep.Spec.Template.Spec.NodeSelector, dep.Spec.Template.Spec.Tolerations = r.gpuScheduling(&s.Resources)
	if s.Paused {
		// replicas is often ignored by Argo CD (see README); the annotation
		// is not, so the pause still shows as a diff to sync.
		dep.Metadata.Annotations = map[string]string{AnnotationPaused: "true"}
	}
	return []Object{
		r.object("apps/v1", "Deployment", m.Name, dep),
		r.object("v1", "Service", m.Name, svc),
	}
}

func smallResources() resourceRequirements {
	q := map[string]string{"cpu": "100m", "memory": "64Mi"}
	return resourceRequirements{Requests: q, Limits: map[string]string{"cpu": "100m", "memory": "64Mi"}}
}

// rawAPIBase is the LiteLLM api_base of a raw-vllm model: its Service.
func rawAPIBase(m *schema.ServedModel) string {
	return fmt.Sprintf("http://%s.%s:%d/v1", m.Name, m.Namespace, vllmPort)
}
