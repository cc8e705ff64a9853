// Package rawvllm is the raw-vllm layer's home: a Deployment and a Service
// running vLLM on pre-staged weights, offline.
package rawvllm

import (
	"fmt"
	"strconv"

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
	if m.Spec.Scaling != nil && multiNode(m) {
		// KEDA's Prometheus query selects a Deployment's pods, and a
		// replica spanning pods serves from its leader alone.
		errs = append(errs, field.Forbidden(field.NewPath("spec", "scaling"),
			"a replica spanning pods renders a LeaderWorkerSet on raw-vllm, which servelayer does not autoscale; set spec.replicas instead"))
	}
	return errs, layer.DisruptionWarnings(m, pools(m))
}

// selector selects the model's pods.
func selector(m *schema.ServedModel) map[string]string {
	return map[string]string{k8s.LabelName: m.Name, k8s.LabelComponent: k8s.ComponentModelServer}
}

// pools is the one pool of pods a disruption budget protects: with a
// replica spanning pods, all of them (evicting any pod restarts its group).
func pools(m *schema.ServedModel) []k8s.DisruptionPool {
	if sh, _ := m.Spec.Pools()[0].Shape(); sh.MultiNode() {
		return []k8s.DisruptionPool{{Name: m.Name, Selector: map[string]string{k8s.LabelName: m.Name, k8s.LabelLWSName: m.Name},
			MaxPods: k8s.MaxPods(&m.Spec) * sh.Pods}}
	}
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
	sh, _ := s.Pools()[0].Shape() // validation refused a shape that does not fit
	// With spec.scaling KEDA owns the replicas (the rule table refuses a
	// range without a metric here), so the Deployment leaves them unset.
	var replicas *int32
	switch {
	case s.Paused:
		replicas = k8s.Ptr(int32(0))
	case s.Scaling == nil:
		replicas = k8s.Ptr(*s.Replicas)
	}
	sel := selector(m)
	var workload k8s.Object
	var errs field.ErrorList
	if sh.MultiNode() {
		n := *s.Replicas // Validate refuses spec.scaling on a LeaderWorkerSet
		if s.Paused {
			n = 0
		}
		workload, errs = leaderWorkerSet(m, p, sh, n)
	} else {
		dep := &k8s.Deployment{
			TypeMeta: k8s.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
			Spec: k8s.DeploymentSpec{
				Replicas: replicas,
				// Past the startup probe's budget, or a slow load reads as a
				// failed rollout (ProgressDeadlineExceeded) to kubectl and Argo CD.
				ProgressDeadlineSeconds: k8s.Ptr(s.StartupSeconds() + k8s.ProgressSlackSeconds),
				Selector:                k8s.LabelSelector{MatchLabels: sel},
				// Recreate: two vLLM pods rarely fit on one GPU node.
				Strategy: k8s.Strategy{Type: "Recreate"},
				Template: podTemplate(m, p, sh, roleSingle),
			},
		}
		if s.Paused {
			// replicas is often ignored by Argo CD (see README); the annotation
			// is not, so the pause still shows as a diff to sync.
			dep.Metadata.Annotations = map[string]string{AnnotationPaused: "true"}
		}
		workload, errs = k8s.ApplyPodTemplate(k8s.NewObject("apps/v1", "Deployment", m, m.Name, dep), m, container, []string{"spec", "template", "spec"})
	}
	svc := &k8s.Service{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "Service"},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec: k8s.ServiceSpec{
			Type:     "ClusterIP",
			Selector: sel, // a spanning replica's leader: its workers are labelled model-worker
			Ports:    []k8s.ServicePort{{Name: "http", Port: k8s.VLLMPort, TargetPort: "http", Protocol: "TCP"}},
		},
	}
	objs := []k8s.Object{workload, k8s.NewObject("v1", "Service", m, m.Name, svc)}
	if s.Scaling != nil && !sh.MultiNode() {
		objs = append(objs, k8s.ScaledObjectFor(m, m.Name, p.Prometheus.URL))
	}
	return append(objs, k8s.DisruptionBudgets(m, pools(m))...), errs
}

// The pods a role renders: a single-pod replica, or the leader or a
// worker of a replica spanning pods.
type role int

const (
	roleSingle role = iota
	roleLeader
	roleWorker
)

// rayPort is the Ray head's (GCS) port on the leader.
const rayPort = 6379

// dataParallelRPCPort is the leader's data parallel RPC port.
const dataParallelRPCPort = 5555

// podTemplate is the pod of one role: vLLM on the pre-staged weights,
// offline, behind a check that refuses to start it on an empty path.
func podTemplate(m *schema.ServedModel, p *schema.PlatformSpec, sh schema.Shape, r role) k8s.PodTemplateSpec {
	s := &m.Spec
	src := s.Model.Source.PVC // the rule table refuses other sources on raw-vllm
	modelDir := k8s.ModelsDir + "/" + src.Path
	modelsMount := k8s.VolumeMount{Name: "models", MountPath: k8s.ModelsDir, ReadOnly: true}
	shm, shmMount := k8s.SharedMemory(s.Resources.SharedMemory)

	check := fmt.Sprintf(`if [ ! -f %[1]s/config.json ]; then
  echo "servelayer: no model weights at %[1]s (claim %[2]s, path %[3]s): config.json is missing." >&2
  echo "Stage the weights into the claim first; raw-vllm runs offline and never downloads." >&2
  exit 1
fi
echo "servelayer: weights found at %[1]s"`, modelDir, src.ClaimName, src.Path)

	c := k8s.Container{
		Name:      container,
		Image:     s.Engine.Image,
		Args:      vllmArgs(m, sh, modelDir, r),
		Env:       k8s.EnvVars(s.Engine.Env, append(k8s.OfflineEnv(), k8s.EnvVar{Name: "HOME", Value: "/tmp"})...),
		Resources: k8s.Resources(&s.Resources, p),
		VolumeMounts: []k8s.VolumeMount{
			modelsMount,
			shmMount,
			{Name: "tmp", MountPath: "/tmp"},
		},
		SecurityContext: k8s.Hardened(true),
	}
	c.Command = command(sh, r)
	podSC := &k8s.PodSecurityContext{RunAsNonRoot: k8s.Ptr(true), SeccompProfile: k8s.RuntimeDefaultSeccomp()}
	var nets map[string]string
	if rdma := s.Pools()[0].RDMA; rdma != nil {
		// Root, for the capabilities (rule rdma-capabilities); the weights
		// check keeps its non-root context.
		nets = k8s.AddRDMA(&c, rdma, true)
		podSC.RunAsNonRoot = nil
	}
	if r != roleWorker {
		// Only the leader serves the API; a worker is a Ray node or a
		// headless data parallel engine.
		c.Ports = []k8s.ContainerPort{{Name: "http", ContainerPort: k8s.VLLMPort, Protocol: "TCP"}}
		c.StartupProbe, c.ReadinessProbe, c.LivenessProbe = k8s.HealthProbes(k8s.VLLMPort, s.StartupSeconds())
	}
	pod := k8s.PodSpec{
		AutomountServiceAccountToken: k8s.Ptr(false),
		SecurityContext:              podSC,
		InitContainers: []k8s.Container{{
			Name:            "check-weights",
			Image:           p.Images.Init,
			Command:         []string{"sh", "-c", check},
			Resources:       k8s.SmallResources(),
			VolumeMounts:    []k8s.VolumeMount{modelsMount},
			SecurityContext: k8s.Hardened(true),
		}},
		Containers: []k8s.Container{c},
		Volumes: []k8s.Volume{
			{Name: "models", PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.ClaimName, ReadOnly: true}},
			shm,
			{Name: "tmp", EmptyDir: &k8s.EmptyDirVolumeSource{}},
		},
	}
	sched := k8s.GPUScheduling(&s.Resources, p)
	pod.NodeSelector, pod.Tolerations, pod.Affinity = sched.NodeSelector, sched.Tolerations, sched.Affinity
	component := k8s.ComponentModelServer
	if r == roleWorker {
		component = k8s.ComponentWorker
	}
	k8s.PodKnobsOf(m, map[string]string{k8s.LabelName: m.Name, k8s.LabelComponent: component}).Apply(&pod)
	ann := annotations(m, r)
	if nets != nil {
		ann = k8s.MergeMaps(ann, nets)
	}
	return k8s.PodTemplateSpec{Metadata: k8s.ObjectMeta{Labels: k8s.PodLabels(m, component), Annotations: ann}, Spec: pod}
}

// annotations are the pod's: spec.pod's, and scraping on the pods that
// serve (a worker has no HTTP server).
func annotations(m *schema.ServedModel, r role) map[string]string {
	if r == roleWorker {
		return k8s.PodAnnotations(m, 0)
	}
	return k8s.PodAnnotations(m, k8s.VLLMPort)
}

// vllmArgs are the role's vLLM arguments: servelayer's, the parallel
// sizes, how the pods of a replica find each other, then the user's.
func vllmArgs(m *schema.ServedModel, sh schema.Shape, modelDir string, r role) []string {
	s := &m.Spec
	args := []string{"--model=" + modelDir, "--served-model-name", s.Model.Name, "--port", strconv.Itoa(k8s.VLLMPort)}
	args = append(args, k8s.ParallelArgs(sh)...)
	args = append(args, k8s.LoRAArgs(s, k8s.ModelsDir)...)
	switch {
	case r == roleSingle:
	case sh.DataParallel():
		// vLLM's own multi-node data parallel launch: the leader runs the
		// API server and its local ranks, each worker its ranks headless.
		args = append(args, "--data-parallel-size-local", strconv.Itoa(int(sh.DataLocal)),
			"--data-parallel-address", "$(LWS_LEADER_ADDRESS)", "--data-parallel-rpc-port", strconv.Itoa(dataParallelRPCPort))
		if r == roleLeader {
			args = append(args, "--data-parallel-start-rank", "0")
		} else {
			args = append(args, "--headless")
		}
	case r == roleLeader:
		args = append(args, "--distributed-executor-backend", "ray")
	default:
		return nil // a Ray worker runs no vLLM of its own
	}
	return append(args, k8s.EngineArgs(s)...)
}

// rayLeader starts the Ray head, waits until every pod of the replica has
// joined (vLLM places its workers on the nodes Ray has when it starts),
// then runs vLLM on the cluster: the layout of vLLM's multi-node serving
// on a LeaderWorkerSet.
var rayLeader = fmt.Sprintf(`ray start --head --port=%d --disable-usage-stats
until [ "$(python3 -c 'import ray; ray.init(address="auto", logging_level="ERROR"); print(sum(1 for n in ray.nodes() if n["Alive"]))')" = "$LWS_GROUP_SIZE" ]; do
  echo "servelayer: waiting for $LWS_GROUP_SIZE Ray nodes"; sleep 5
done
exec vllm serve "$@"`, rayPort)

// rayWorker joins the leader's Ray head, retrying until it is up.
var rayWorker = fmt.Sprintf(`until ray start --address="$LWS_LEADER_ADDRESS:%d" --block --disable-usage-stats; do
  echo "servelayer: waiting for the Ray head at $LWS_LEADER_ADDRESS:%d"; sleep 5
done`, rayPort, rayPort)

// dataParallelWorker runs a worker's ranks: they start where the ranks of
// the pods before it end.
const dataParallelWorker = `exec vllm serve "$@" --data-parallel-start-rank "$((LWS_WORKER_INDEX * %d))"`

// command is the role's command: the image's entrypoint (vllm serve) for a
// single pod and a data parallel leader, else a shell.
func command(sh schema.Shape, r role) []string {
	switch {
	case r == roleSingle || (r == roleLeader && sh.DataParallel()):
		return nil
	case sh.DataParallel():
		return []string{"/bin/sh", "-c", fmt.Sprintf(dataParallelWorker, sh.DataLocal), "--"}
	case r == roleLeader:
		return []string{"/bin/sh", "-c", rayLeader, "--"}
	default:
		return []string{"/bin/sh", "-c", rayWorker}
	}
}

// leaderWorkerSet renders a replica spanning pods as a LeaderWorkerSet:
// each group is one replica, the leader serving the API.
func leaderWorkerSet(m *schema.ServedModel, p *schema.PlatformSpec, sh schema.Shape, replicas int32) (k8s.Object, field.ErrorList) {
	leader := podTemplate(m, p, sh, roleLeader)
	lws := &k8s.LeaderWorkerSet{
		TypeMeta: k8s.TypeMeta{APIVersion: lwsAPIVersion, Kind: "LeaderWorkerSet"},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec: k8s.LWSSpec{
			Replicas: &replicas,
			LeaderWorkerTemplate: k8s.LeaderWorkerTemplate{
				LeaderTemplate: &leader,
				WorkerTemplate: podTemplate(m, p, sh, roleWorker),
				Size:           k8s.Ptr(sh.Pods),
				// One lost pod breaks the replica's collective: restart the group.
				RestartPolicy: "RecreateGroupOnPodRestart",
			},
			// Workers start with the leader and wait for it themselves.
			StartupPolicy: "LeaderCreated",
		},
	}
	if m.Spec.Paused {
		lws.Metadata.Annotations = map[string]string{AnnotationPaused: "true"}
	}
	return k8s.ApplyPodTemplate(k8s.NewObject(lwsAPIVersion, "LeaderWorkerSet", m, m.Name, lws), m, container,
		[]string{"spec", "leaderWorkerTemplate", "leaderTemplate", "spec"}, []string{"spec", "leaderWorkerTemplate", "workerTemplate", "spec"})
}

// lwsAPIVersion is the LeaderWorkerSet API.
const lwsAPIVersion = "leaderworkerset.x-k8s.io/v1"
