// Package layer is the interface every serving layer's home implements.
// A home (rawvllm, kserve, llmd below this folder) owns everything that
// differs between layers: its defaults, its own checks, its objects, its
// serving URL, the suffixes its control plane adds to names, its feature
// gate and what a move plan says about it. The registry (internal/layers)
// lists the homes; nothing else branches on the layer. Field-versus-layer
// rules are rows of schema.Rules, not code here.
package layer

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// Layer is one serving layer. Every method is pure.
type Layer interface {
	// Name is the spec.layer value.
	Name() schema.Layer
	// Gate is the Platform spec.features field that enables the layer, or
	// "" when the layer is always on.
	Gate() string
	// Enabled reports whether the Platform's feature gate allows the layer;
	// Enable turns the gate on (plan renders the target layer as if it were).
	Enabled(p *schema.PlatformSpec) bool
	Enable(p *schema.PlatformSpec)
	// Namespace is the layer's namespace on the Platform.
	Namespace(p *schema.PlatformSpec) string
	// Default fills what the layer defaults, after schema's own defaults.
	Default(m *schema.ServedModel, p *schema.PlatformSpec)
	// NameSuffix is the longest suffix the layer's control plane appends
	// to the model's name when it names child objects.
	NameSuffix() string
	// Validate is the layer's own checks on a defaulted model that passed
	// schema validation: errors, and warnings where the layer degrades.
	Validate(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (field.ErrorList, []Warning)
	// Objects builds the layer's objects for a valid, defaulted model.
	Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object
	// APIBase is the OpenAI-compatible base URL LiteLLM calls.
	APIBase(m *schema.ServedModel, p *schema.PlatformSpec) string
	// Plan is what a move plan needs from the layer.
	Plan() Planner
}

// Warning is a finding that does not stop the render.
type Warning struct {
	Field   string
	Value   any
	Message string
}

// Aspects of serving a plan describes on both sides of a move.
const (
	AspectWeights = "weights"
	AspectRouting = "routing"
	AspectScaling = "scaling"
	AspectRollout = "rollout"
	AspectPause   = "pause"
	// AspectAdapters is described only for models with LoRA adapters.
	AspectAdapters = "adapters"
)

// MetricText says what spec.scaling.metric scales on, for plans: "" when
// no metric is set.
func MetricText(sc *schema.Scaling) string {
	if sc == nil || sc.Metric == "" {
		return ""
	}
	return fmt.Sprintf(" on %s, target %s per replica", sc.Metric, sc.Target)
}

// KEDACheck is the preflight check that KEDA is installed, for a layer
// whose metric scaling runs on it.
func KEDACheck(p *schema.PlatformSpec) Check {
	return Check{ID: "keda", Status: CheckManual, Command: "kubectl get crd scaledobjects.keda.sh",
		Message: "KEDA is installed (it scales on the metric, querying Prometheus at " + p.Prometheus.URL + ")"}
}

// CheckImage is the image a plan's network checks run curl from.
const CheckImage = "curlimages/curl:8.11.1"

// CheckStatus is the outcome of a preflight check.
type CheckStatus string

// Check statuses. Only CheckFail makes a plan not ready.
const (
	CheckPass   CheckStatus = "pass"
	CheckFail   CheckStatus = "fail"
	CheckWarn   CheckStatus = "warn"
	CheckManual CheckStatus = "manual" // servelayer is offline: run Command to check
)

// Check is one preflight item.
type Check struct {
	ID      string      `json:"id"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	Command string      `json:"command,omitempty"`
}

// Commands are a runbook step's commands and notes.
type Commands struct {
	Commands []string
	Notes    []string
}

// Planner is what a move plan asks of a layer. m and p are defaulted.
type Planner interface {
	// Describe says how the layer serves one aspect of m.
	Describe(aspect string, m *schema.ServedModel, p *schema.PlatformSpec) string
	// Prerequisites are the checks that the layer's control plane is there.
	Prerequisites(m *schema.ServedModel, p *schema.PlatformSpec) []Check
	// SourceCheck checks a weights source other than a claim, which the
	// layer can read; ok is false when it has nothing to say.
	SourceCheck(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (c Check, ok bool)
	// Wait is the command that waits until the model serves.
	Wait(m *schema.ServedModel) string
	// ArgoHealth says how Argo CD judges the layer's workload of m, which
	// is what a sync's wave 0 waits on before the alias moves.
	ArgoHealth(m *schema.ServedModel) ArgoWave
	// Idle stops serving and keeps the objects, for rollback.
	Idle(m *schema.ServedModel) Commands
	// Teardown deletes the layer's objects of m, the way in first; last
	// is the note on removing the layer itself when no model uses it.
	Teardown(m *schema.ServedModel, p *schema.PlatformSpec) (steps Commands, last string)
	// RoutingLoss says what a move away from the layer loses in routing.
	RoutingLoss() string
	// ManagesRoute reports whether the layer's control plane creates the
	// model's gateway route.
	ManagesRoute() bool
}

// StopAnnotated is a layer served by one KServe custom resource, which the
// serving.kserve.io/stop annotation idles: the commands a plan runs on it.
type StopAnnotated struct {
	// Resource is the kubectl resource name, such as inferenceservice.
	Resource string
	// Layer names the layer in notes.
	Layer schema.Layer
}

// Wait waits for the resource's Ready condition.
func (r StopAnnotated) Wait(m *schema.ServedModel) string {
	return fmt.Sprintf("kubectl -n %s wait %s/%s --for=condition=Ready --timeout=30m", m.Namespace, r.Resource, m.Name)
}

// ArgoWave is how a sync's wave 0 treats a layer's workload.
type ArgoWave struct {
	// Health is how Argo CD judges the workload.
	Health string
	// Waits: wave 0 waits until the model loaded. Without it the alias
	// could move to a model that does not serve yet, so a one-commit move
	// is not safe.
	Waits bool
	// ShortFails: with GPUs short the workload turns Degraded at a
	// deadline and the sync fails, rather than waits.
	ShortFails bool
	// StoppedWaits: a paused workload is never healthy (Suspended), so the
	// sync that applies the pause waits at its wave.
	StoppedWaits bool
}

// ArgoHealthStopped is what Argo CD does with a stopped (paused) model of
// a KServe resource: Suspended, which a sync wave never counts as healthy.
const ArgoHealthStopped = "Suspended while stopped (spec.paused): a sync that applies the stop waits at its wave until terminated"

// Idle sets the stop annotation, which is what spec.paused renders.
func (r StopAnnotated) Idle(m *schema.ServedModel) Commands {
	return Commands{
		Commands: []string{fmt.Sprintf("kubectl -n %s annotate %s/%s %s=true --overwrite", m.Namespace, r.Resource, m.Name, k8s.AnnotationStop)},
		Notes: []string{fmt.Sprintf("%s idles with the %s annotation (what spec.paused: true renders); roll back by removing it and re-pointing the alias",
			r.Layer, k8s.AnnotationStop)},
	}
}

// Delete deletes the resource; KServe deletes what it created with it.
func (r StopAnnotated) Delete(m *schema.ServedModel) string {
	return fmt.Sprintf("kubectl -n %s delete %s/%s", m.Namespace, r.Resource, m.Name)
}

// DescribePause says how spec.paused reads on such a layer.
func (r StopAnnotated) DescribePause(paused bool) string {
	state := "running"
	if paused {
		state = "paused"
	}
	return "spec.paused sets annotation " + k8s.AnnotationStop + "=true; now " + state
}

// DisruptionWarnings warns when spec.disruptionBudget protects no pool:
// every pool runs at most maxUnavailable pods, so no budget is rendered.
func DisruptionWarnings(m *schema.ServedModel, pools []k8s.DisruptionPool) []Warning {
	b := m.Spec.DisruptionBudget
	if b == nil {
		return nil
	}
	n := b.MaxUnavailableOrDefault()
	most := int32(0)
	for _, p := range pools {
		if p.Protected(n) {
			return nil
		}
		most = max(most, p.MaxPods)
	}
	return []Warning{{Field: "spec.disruptionBudget", Message: fmt.Sprintf(
		"renders no PodDisruptionBudget: no pool runs more than %d pod(s) (maxUnavailable %d), so a drain may always evict them; it protects models with more replicas than maxUnavailable",
		most, n)}}
}

// DeleteDisruptionBudgets are the commands that delete the budgets
// spec.disruptionBudget renders for pools.
func DeleteDisruptionBudgets(m *schema.ServedModel, pools []k8s.DisruptionPool) []string {
	var out []string
	for _, o := range k8s.DisruptionBudgets(m, pools) {
		out = append(out, fmt.Sprintf("kubectl -n %s delete poddisruptionbudget/%s", m.Namespace, o.Name))
	}
	return out
}

// TemplateErrors are what a layer's pods refuse of spec.pod.template (see
// k8s.ApplyPodTemplate): build renders the layer's objects with the
// template merged. It runs only for a model that is valid otherwise, since
// a layer builds objects only from a valid model.
func TemplateErrors(m *schema.ServedModel, p *schema.PlatformSpec, gated bool, build func() ([]k8s.Object, field.ErrorList)) field.ErrorList {
	if !k8s.HasTemplate(m) || len(schema.ValidateServedModel(m, p, gated, nil)) > 0 {
		return nil
	}
	_, errs := build()
	return errs
}
