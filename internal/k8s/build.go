package k8s

import (
	"strconv"
	"strings"

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
	// AnnotationArgoSyncOptions carries Argo CD sync options.
	AnnotationArgoSyncOptions = "argocd.argoproj.io/sync-options"

	// ComponentModelServer labels the objects that serve the model.
	ComponentModelServer = "model-server"
	// VLLMPort is the port vLLM listens on where servelayer picks it.
	VLLMPort = 8000
	// ModelsDir is where a pre-staged claim is mounted (read-only).
	ModelsDir = "/models"
	// StartupBudgetSeconds is how long a model may take to load (30 minutes).
	StartupBudgetSeconds = 1800
)

// Object is one built object: its identity and its typed manifest.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	// Manifest is one of this package's typed structs.
	Manifest any
}

// NewObject names a manifest in the model's namespace.
func NewObject(apiVersion, kind string, m *schema.ServedModel, name string, manifest any) Object {
	return Object{APIVersion: apiVersion, Kind: kind, Namespace: m.Namespace, Name: name, Manifest: manifest}
}

// Labels are the labels of an object of m with the given component.
func Labels(m *schema.ServedModel, component string) map[string]string {
	return map[string]string{
		LabelName:      m.Name,
		LabelComponent: component,
		LabelPartOf:    "servelayer",
		LabelManagedBy: "servelayer",
		LabelLayer:     string(m.Spec.Layer),
	}
}

// Meta is the metadata of an object of m, in m's namespace.
func Meta(m *schema.ServedModel, name, component string) ObjectMeta {
	return ObjectMeta{Name: name, Namespace: m.Namespace, Labels: Labels(m, component)}
}

// Resources renders explicit requests AND limits. Limits always appear:
// KServe defaults a missing cpu limit to 1, which breaks requests.cpu > 1.
// GPUs are extended resources, so their request equals their limit.
func Resources(res *schema.Resources, p *schema.PlatformSpec) ResourceRequirements {
	rr := ResourceRequirements{
		Requests: map[string]string{"cpu": string(res.CPU), "memory": string(res.Memory)},
		Limits:   map[string]string{"cpu": string(res.Limits.CPU), "memory": string(res.Limits.Memory)},
	}
	if res.GPUs > 0 {
		n := strconv.Itoa(int(res.GPUs))
		rr.Requests[p.GPUNodes.Resource] = n
		rr.Limits[p.GPUNodes.Resource] = n
	}
	return rr
}

// SmallResources fit a helper container such as an initContainer.
func SmallResources() ResourceRequirements {
	return ResourceRequirements{
		Requests: map[string]string{"cpu": "100m", "memory": "64Mi"},
		Limits:   map[string]string{"cpu": "100m", "memory": "64Mi"},
	}
}

// EnvVars are pre, then the user's variables.
func EnvVars(in []schema.EnvVar, pre ...EnvVar) []EnvVar {
	out := append([]EnvVar(nil), pre...)
	for _, e := range in {
		v := EnvVar{Name: e.Name, Value: e.Value}
		if ref := e.SecretKeyRef; ref != nil {
			v.ValueFrom = &EnvVarSource{SecretKeyRef: &SecretKeySelector{Name: ref.Name, Key: ref.Key}}
		}
		out = append(out, v)
	}
	return out
}

// OfflineEnv switches the Hugging Face hub off: the weights are staged.
func OfflineEnv() []EnvVar {
	return []EnvVar{{Name: "HF_HUB_OFFLINE", Value: "1"}, {Name: "TRANSFORMERS_OFFLINE", Value: "1"}}
}

// GPUScheduling returns the Platform's GPU node selector and tolerations
// for a pod that requests GPUs, and nothing for one that does not.
func GPUScheduling(res *schema.Resources, p *schema.PlatformSpec) (map[string]string, []Toleration) {
	if res.GPUs == 0 {
		return nil, nil
	}
	g := p.GPUNodes
	var tols []Toleration
	for _, t := range g.Tolerations {
		tols = append(tols, Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
	}
	return g.NodeSelector, tols
}

// VLLMArgs are the arguments servelayer owns, then the user's (EngineArgs).
func VLLMArgs(modelPath, served string, port int, s *schema.ServedModelSpec) []string {
	args := []string{"--model=" + modelPath, "--served-model-name", served, "--port", strconv.Itoa(port)}
	return append(args, EngineArgs(s)...)
}

// EngineArgs are spec.engine.args as the container's args: Kubernetes
// expands $(NAME) in them, so every "$(" and "$$" is escaped to stay
// literal, except $(NAME) naming a variable of spec.engine.env, which the
// user means Kubernetes to expand (schema.EnvRefs).
func EngineArgs(s *schema.ServedModelSpec) []string {
	refs := schema.EnvRefs(s)
	out := make([]string, len(s.Engine.Args))
	for i, a := range s.Engine.Args {
		out[i] = EscapeExpansion(a, refs)
	}
	return out
}

// EscapeExpansion makes Kubernetes' $(VAR) expansion of a container's
// command, args and env values yield s: a '$' before '(' or '$' is doubled
// ("$$" expands to "$"), except in $(NAME) references to refs.
func EscapeExpansion(s string, refs map[string]bool) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) || (s[i+1] != '(' && s[i+1] != '$') {
			b.WriteByte(c)
			continue
		}
		if s[i+1] == '(' {
			if end := strings.IndexByte(s[i+2:], ')'); end >= 0 && refs[s[i+2:i+2+end]] {
				b.WriteString(s[i : i+3+end])
				i += 2 + end
				continue
			}
		}
		b.WriteString("$$")
	}
	return b.String()
}

// HealthProbes are tuned for slow model loads: the startup probe allows
// StartupBudgetSeconds to load weights; readiness and liveness only start
// after it.
func HealthProbes(port int32) (startup, readiness, liveness *Probe) {
	get := func() *HTTPGetAction { return &HTTPGetAction{Path: "/health", Port: port} }
	startup = &Probe{HTTPGet: get(), PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: StartupBudgetSeconds / 10}
	readiness = &Probe{HTTPGet: get(), PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3}
	liveness = &Probe{HTTPGet: get(), PeriodSeconds: 20, TimeoutSeconds: 10, FailureThreshold: 6}
	return startup, readiness, liveness
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }

// Hardened is the container security context every servelayer container
// gets where servelayer owns the whole pod.
func Hardened(nonRoot bool) *SecurityContext {
	sc := &SecurityContext{
		AllowPrivilegeEscalation: Ptr(false),
		Capabilities:             &Capabilities{Drop: []string{"ALL"}},
	}
	if nonRoot {
		sc.RunAsNonRoot = Ptr(true)
		sc.RunAsUser = Ptr(int64(1000))
	}
	return sc
}

// RuntimeDefaultSeccomp is the seccomp profile every pod gets.
func RuntimeDefaultSeccomp() *SeccompProfile { return &SeccompProfile{Type: "RuntimeDefault"} }
