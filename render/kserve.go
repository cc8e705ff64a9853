package render

import (
	"fmt"

	"github.com/servelayer/servelayer/schema"
)

// KServe's container name for the predictor, and where its modelcar and
// storage initializer put the weights.
const (
	kserveContainer = "kserve-container"
	kserveModelsDir = "/mnt/models"
)

// kserve renders one InferenceService with a custom-container predictor:
// vLLM runs verbatim in kserve-container. The model+runtime binding is never
// used, because it force-injects --model=/mnt/models and a storage
// initializer that breaks behind restricted egress.
func (r *modelRender) kserve() []Object {
	m := r.model
	s := &m.Spec
	mode := r.platform.KServe.DeploymentMode

	c := container{
		Name:      kserveContainer,
		Image:     s.Engine.Image,
		Ports:     []containerPort{{ContainerPort: kservePort, Protocol: "TCP"}},
		Resources: r.resources(&s.Resources),
		// KServe's modelcar replaces this context for oci sources (uidModelcar).
		SecurityContext: hardened(false),
	}
	pred := isvcPredictor{}
	if mode == "Standard" {
		pred.SecurityContext = &podSecurityContext{SeccompProfile: &seccompProfile{Type: "RuntimeDefault"}}
	} else {
		// Knative drops a pod securityContext unless its
		// kubernetes.podspec-securitycontext flag is on; the container's
		// seccompProfile is always allowed.
		c.SecurityContext.SeccompProfile = &seccompProfile{Type: "RuntimeDefault"}
	}
	src := s.Model.Source
	var modelPath string
	switch {
	case src.PVC != nil:
		modelPath = rawModelsDir + "/" + src.PVC.Path
		c.VolumeMounts = []volumeMount{{Name: "models", MountPath: rawModelsDir, ReadOnly: true}}
		pred.Volumes = []volume{{Name: "models", PersistentVolumeClaim: &pvcVolumeSource{ClaimName: src.PVC.ClaimName, ReadOnly: true}}}
		c.Env = envVars(s.Engine.Env, envVar{Name: "HF_HUB_OFFLINE", Value: "1"}, envVar{Name: "TRANSFORMERS_OFFLINE", Value: "1"})
	case src.OCI != "":
		// A custom container names its storage in STORAGE_URI; an oci://
		// URI makes KServe inject the modelcar, mounted at /mnt/models.
		repo, digest := schema.SplitOCI(src.OCI)
		modelPath = kserveModelsDir
		if !r.platform.KServe.Modelcar {
			r.warn("spec.model.source.oci", src.OCI, "KServe injects a modelcar only when its storage config sets enableModelcar: true (shipped: false); "+
				"enable it in the inferenceservice-config ConfigMap and declare it with Platform spec.kserve.modelcar: true")
		}
		c.Env = envVars(s.Engine.Env,
			envVar{Name: "STORAGE_URI", Value: "oci://" + repo + "@" + digest},
			envVar{Name: "HF_HUB_OFFLINE", Value: "1"}, envVar{Name: "TRANSFORMERS_OFFLINE", Value: "1"})
	}
	c.Args = vllmArgs(modelPath, s.Model.Name, kservePort, s.Engine.Args)

	// The same slow-load probes as raw-vllm in both modes: without the
	// startup probe, liveness would kill vLLM while it loads the weights.
	c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = healthProbes(kservePort)
	pred.Containers = []container{c}
	pred.NodeSelector, pred.Tolerations = r.gpuScheduling(&s.Resources)
	if mode == "Knative" {
		r.knativeFeatures(&pred)
	}

	switch {
	case s.Scaling != nil:
		pred.MinReplicas = ptr(*s.Scaling.MinReplicas)
		pred.MaxReplicas = s.Scaling.MaxReplicas
	default:
		pred.MinReplicas = ptr(*s.Replicas)
		pred.MaxReplicas = max(*s.Replicas, 1)
	}
	if s.Rollout != nil && s.Rollout.CanaryTrafficPercent != nil {
		pred.CanaryTrafficPercent = ptr(int64(*s.Rollout.CanaryTrafficPercent))
	}
	if mode == "Standard" {
		// As on raw-vllm: two vLLM pods rarely fit on one GPU node.
		pred.DeploymentStrategy = &strategy{Type: "Recreate"}
	}

	isvc := &inferenceService{
		typeMeta: typeMeta{APIVersion: "serving.kserve.io/v1beta1", Kind: "InferenceService"},
		Metadata: r.meta(m.Name, componentVLLM),
		Spec:     isvcSpec{Predictor: pred},
	}
	// Always explicit: KServe's code default and its shipped configmap disagree.
	isvc.Metadata.Annotations = map[string]string{AnnotationDeploymentMode: mode}
	if mode == "Knative" {
		// Knative's default 10-minute progress deadline would fail a slow load.
		isvc.Metadata.Annotations[annotationKnativeProgressDeadline] = fmt.Sprintf("%ds", startupBudgetSeconds+300)
	}
	if s.Paused {
		isvc.Metadata.Annotations[AnnotationStop] = "true"
	}
	return []Object{r.object("serving.kserve.io/v1beta1", "InferenceService", m.Name, isvc)}
}

// annotationKnativeProgressDeadline bounds a Knative revision's rollout.
const annotationKnativeProgressDeadline = "serving.knative.dev/progress-deadline"

// knativeFeatures warns about pod fields stock Knative rejects unless a
// feature flag in its config-features ConfigMap is enabled.
func (r *modelRender) knativeFeatures(pred *isvcPredictor) {
	need := func(path, flag string) {
		r.warn(path, nil, "KServe Knative mode: Knative rejects this unless config-features sets "+flag+": enabled (off by default)")
	}
	if len(pred.Volumes) > 0 {
		need("spec.model.source.pvc", "kubernetes.podspec-persistent-volume-claim")
	}
	if len(pred.NodeSelector) > 0 {
		need("Platform spec.gpuNodes.nodeSelector", "kubernetes.podspec-nodeselector")
	}
	if len(pred.Tolerations) > 0 {
		need("Platform spec.gpuNodes.tolerations", "kubernetes.podspec-tolerations")
	}
}

// kserveAPIBase is the predictor Service KServe creates, on port 80.
func kserveAPIBase(m *schema.ServedModel) string {
	return fmt.Sprintf("http://%s-predictor.%s:80/v1", m.Name, m.Namespace)
}
