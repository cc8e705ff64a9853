package render

import (
	"fmt"
	"strconv"

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
	// AnnotationDeploymentMode selects KServe's deployment mode.
	AnnotationDeploymentMode = "serving.kserve.io/deploymentMode"
	// AnnotationPaused marks a raw-vllm Deployment idled by spec.paused.
	AnnotationPaused = "servelayer.dev/paused"
	// AnnotationArgoSyncOptions carries Argo CD sync options.
	AnnotationArgoSyncOptions = "argocd.argoproj.io/sync-options"

	vllmPort      = 8000
	kservePort    = 8080
	componentVLLM = "model-server"
)

func (r *modelRender) labels(component string) map[string]string {
	return map[string]string{
		LabelName:      r.model.Name,
		LabelComponent: component,
		LabelPartOf:    "servelayer",
		LabelManagedBy: "servelayer",
		LabelLayer:     string(r.model.Spec.Layer),
	}
}

func (r *modelRender) meta(name, component string) objectMeta {
	return objectMeta{Name: name, Namespace: r.model.Namespace, Labels: r.labels(component)}
}

// resources renders explicit requests AND limits. Limits always appear:
// KServe defaults a missing cpu limit to 1, which breaks requests.cpu > 1.
// GPUs are extended resources, so their request equals their limit.
func (r *modelRender) resources(res *schema.Resources) resourceRequirements {
	rr := resourceRequirements{
		Requests: map[string]string{"cpu": string(res.CPU), "memory": string(res.Memory)},
		Limits:   map[string]string{"cpu": string(res.Limits.CPU), "memory": string(res.Limits.Memory)},
	}
	if res.GPUs > 0 {
		n := strconv.Itoa(int(res.GPUs))
		rr.Requests[r.platform.GPUNodes.Resource] = n
		rr.Limits[r.platform.GPUNodes.Resource] = n
	}
	return rr
}

func envVars(in []schema.EnvVar, pre ...envVar) []envVar {
	out := append([]envVar(nil), pre...)
	for _, e := range in {
		v := envVar{Name: e.Name, Value: e.Value}
		if ref := e.SecretKeyRef; ref != nil {
			v.ValueFrom = &envVarSource{SecretKeyRef: &secretKeySelector{Name: ref.Name, Key: ref.Key}}
		}
		out = append(out, v)
	}
	return out
}

// gpuScheduling returns the Platform's GPU node selector and tolerations
// for a pod that requests GPUs, and nothing for one that does not.
func (r *modelRender) gpuScheduling(res *schema.Resources) (map[string]string, []toleration) {
	if res.GPUs == 0 {
		return nil, nil
	}
	g := r.platform.GPUNodes
	var tols []toleration
	for _, t := range g.Tolerations {
		tols = append(tols, toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
	}
	return g.NodeSelector, tols
}

// vllmArgs are the arguments servelayer owns, then the user's.
func vllmArgs(modelPath, served string, port int, user []string) []string {
	args := []string{"--model=" + modelPath, "--served-model-name", served, "--port", strconv.Itoa(port)}
	return append(args, user...)
}

// healthProbes are tuned for slow model loads: the startup probe allows 30
// minutes to load weights; readiness and liveness only start after it.
func healthProbes(port int32) (startup, readiness, liveness *probe) {
	get := func() *httpGetAction { return &httpGetAction{Path: "/health", Port: port} }
	startup = &probe{HTTPGet: get(), PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: startupBudgetSeconds / 10}
	readiness = &probe{HTTPGet: get(), PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3}
	liveness = &probe{HTTPGet: get(), PeriodSeconds: 20, TimeoutSeconds: 10, FailureThreshold: 6}
	return startup, readiness, liveness
}

// startupBudgetSeconds is how long a model may take to load (30 minutes).
const startupBudgetSeconds = 1800

func ptr[T any](v T) *T { return &v }

// hardened is the container security context every servelayer container
// gets where servelayer owns the whole pod.
func hardened(nonRoot bool) *containerSecurityCtx {
	sc := &containerSecurityCtx{
		AllowPrivilegeEscalation: ptr(false),
		Capabilities:             &capabilities{Drop: []string{"ALL"}},
	}
	if nonRoot {
		sc.RunAsNonRoot = ptr(true)
		sc.RunAsUser = ptr(int64(1000))
	}
	return sc
}

// provisionedPVC renders the model-cache claim when the spec asks for one;
// an existing pre-staged claim is referenced, never re-created.
func (r *modelRender) provisionedPVC() *Object {
	src := r.model.Spec.Model.Source.PVC
	if src == nil || src.Provision == nil {
		return nil
	}
	pr := src.Provision
	mode := pr.AccessMode
	if mode == "" {
		mode = "ReadWriteOnce"
	}
	pvc := &persistentVolumeClaim{
		typeMeta: typeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		Metadata: r.meta(src.ClaimName, "model-cache"),
		Spec: pvcSpec{
			AccessModes: []string{mode},
			Resources:   resourceRequirements{Requests: map[string]string{"storage": string(pr.Size)}},
		},
	}
	if pr.StorageClassName != "" {
		pvc.Spec.StorageClassName = ptr(pr.StorageClassName)
	}
	// Staged weights are expensive: Argo CD must not prune or delete them.
	pvc.Metadata.Annotations = map[string]string{AnnotationArgoSyncOptions: "Prune=false,Delete=false"}
	if mode == "ReadWriteOnce" && r.maxPods() > 1 {
		r.warn("spec.model.source.pvc.provision.accessMode", mode, fmt.Sprintf(
			"up to %d pods mount this claim, but a ReadWriteOnce volume attaches to one node: pods on other nodes fail with Multi-Attach errors; use ReadOnlyMany (weights are read-only) or ReadWriteMany", r.maxPods()))
	}
	o := r.object("v1", "PersistentVolumeClaim", src.ClaimName, pvc)
	return &o
}

// maxPods is the most model-server pods that can run at once.
func (r *modelRender) maxPods() int32 {
	s := &r.model.Spec
	switch {
	case s.Disaggregation != nil:
		return *s.Disaggregation.Prefill.Replicas + *s.Disaggregation.Decode.Replicas
	case s.Scaling != nil:
		return s.Scaling.MaxReplicas
	default:
		return *s.Replicas
	}
}

// checkEngine warns when vLLM's parallelism needs more GPUs than a pod
// gets: the engine would fail at start-up (servelayer renders no multi-node
// workers yet).
func (r *modelRender) checkEngine() {
	s := &r.model.Spec
	world := parallelSize(s.Engine.Args, "--tensor-parallel-size", "-tp") * parallelSize(s.Engine.Args, "--pipeline-parallel-size", "-pp")
	pools := []struct {
		path string
		res  *schema.Resources
	}{{"spec.resources.gpus", &s.Resources}}
	if d := s.Disaggregation; d != nil {
		pools = []struct {
			path string
			res  *schema.Resources
		}{{"spec.disaggregation.prefill", s.PoolResources(&d.Prefill)}, {"spec.disaggregation.decode", s.PoolResources(&d.Decode)}}
	}
	for _, p := range pools {
		if world > 1 && world > p.res.GPUs {
			r.warn(p.path, p.res.GPUs, fmt.Sprintf("spec.engine.args ask vLLM for %d GPUs (tensor x pipeline parallel) but a pod gets %d: vLLM will fail to start; raise the GPUs or lower the parallel size", world, p.res.GPUs))
		}
		if d := s.Disaggregation; d != nil && p.res.GPUs == 0 && s.Resources.GPUs > 0 {
			r.warn(p.path+".resources.gpus", 0, "this pool's resources override the model's and request no GPU; set gpus in the pool's resources")
		}
	}
	if d := s.Disaggregation; d != nil && *d.Decode.Replicas == 0 {
		r.warn("spec.disaggregation.decode.replicas", 0, "no decode replica: nothing serves tokens; use spec.paused: true to idle the model")
	}
}

// checkGPUs warns when the Platform cannot schedule what the model asks for.
func (r *modelRender) checkGPUs() {
	if !r.gated || r.platform.GPUs == nil {
		return
	}
	have := *r.platform.GPUs
	s := &r.model.Spec
	if d := s.Disaggregation; d != nil {
		pre := s.PoolResources(&d.Prefill).GPUs * *d.Prefill.Replicas
		dec := s.PoolResources(&d.Decode).GPUs * *d.Decode.Replicas
		if pre+dec > have {
			r.warn("spec.disaggregation", nil, fmt.Sprintf(
				"prefill needs %d GPU(s) and decode %d, but the Platform has %d: rendered anyway, but only one pool will schedule until more GPUs join",
				pre, dec, have))
		}
		return
	}
	per := s.Resources.GPUs
	if per == 0 {
		return
	}
	n := int32(1)
	if s.Replicas != nil {
		n = *s.Replicas
	} else if s.Scaling != nil {
		n = max(*s.Scaling.MinReplicas, 1)
	}
	if per*n > have {
		r.warn("spec.resources.gpus", per, fmt.Sprintf("%d replica(s) of %d GPU(s) need %d GPU(s) but the Platform has %d: some replicas will stay Pending", n, per, per*n, have))
	}
}
