// Package plan plans moving a ServedModel between serving layers: what the
// move changes, what blocks it, the checks before it and the runbook. It
// renders both sides with render and asks each layer's home what it needs;
// it does no I/O.
package plan

import (
	"bytes"
	"encoding/json"

	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

// APIVersion and Kind identify a MovePlan's JSON form.
const (
	APIVersion = schema.APIVersion
	Kind       = "MovePlan"
)

// Options control Move.
type Options struct {
	// Platform describes the cluster. Nil means none: feature gates and GPU
	// capacity cannot be checked, and the plan says so.
	Platform *schema.Platform
	// From is the layer the model is on now; empty means its spec.layer.
	From schema.Layer
	// To is the layer to move to. Both may be schema.LayerAuto.
	To schema.Layer
	// FleetSize is how many ServedModels are rendered together with this
	// one, for layer auto's fleet rule. Zero means 1.
	FleetSize int
	// ModelFile and PlatformFile are the paths the plan's commands pass to
	// servelayer render. ModelFile defaults to MODEL.yaml; an empty
	// PlatformFile leaves --platform out.
	ModelFile, PlatformFile string
	// ModelName, when set, is passed as servelayer render --name, for a
	// ModelFile that holds several models.
	ModelName string
}

// MovePlan is what moving one model between layers changes, what could
// block it, and the runbook to do it. Its JSON field names are stable.
type MovePlan struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	// Model is the ServedModel being moved.
	Model Model `json:"model"`
	// From and To are the layers, resolved when either was auto.
	From Side `json:"from"`
	To   Side `json:"to"`
	// Ready is true when there is no blocker and no failed preflight check.
	Ready bool `json:"ready"`
	// Objects are the rendered objects removed, kept, changed, added or
	// unchanged by the move.
	Objects []ObjectChange `json:"objects"`
	// ObjectsComplete is false when a blocker leaves the new layer's
	// objects unknown; Objects then lacks them.
	ObjectsComplete bool `json:"objectsComplete"`
	// Changes are the semantic differences, one per aspect.
	Changes []Change `json:"changes"`
	// LiteLLM is the alias re-pointing; null when the model has no routing.
	LiteLLM *AliasMove `json:"litellm"`
	// Blockers are spec fields that do not translate to the target layer.
	Blockers []Blocker `json:"blockers"`
	// Preflight are the checks of step 1.
	Preflight []Check `json:"preflight"`
	// Steps are the runbook, in order. Empty when From equals To; only
	// the preflight step while there are blockers.
	Steps []Step `json:"steps"`
	// GitOps is the same move as one commit under Argo CD; null when From
	// equals To or while there are blockers.
	GitOps *GitOpsMove `json:"gitops"`
	// Diagnostics are the warnings and infos of rendering either side.
	Diagnostics []Diagnostic `json:"diagnostics"`
}

// Model names the model.
type Model struct {
	Name            string `json:"name"`
	ServedModelName string `json:"servedModelName"`
}

// Side is one end of a move.
type Side struct {
	Layer     schema.Layer `json:"layer"`
	Namespace string       `json:"namespace"`
	// Auto is how layer auto chose Layer; null when the layer was explicit.
	Auto *render.LayerChoice `json:"auto"`
}

// Actions of an ObjectChange.
const (
	ActionRemove    = "remove"    // only on the old layer: deleted at teardown
	ActionKeep      = "keep"      // only on the old layer, but never deleted (staged weights)
	ActionChange    = "change"    // on both, same identity, different content
	ActionAdd       = "add"       // only on the new layer
	ActionUnchanged = "unchanged" // on both, identical
)

// ObjectChange is one rendered object and what the move does to it.
type ObjectChange struct {
	Action     string `json:"action"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
	// Fields are the changed field paths of a "change".
	Fields []string `json:"fields,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Aspects of a Change, in the order a plan lists them.
const (
	AspectNamespace = "namespace"
	AspectWeights   = layer.AspectWeights
	AspectURL       = "url"
	AspectRouting   = layer.AspectRouting
	AspectScaling   = layer.AspectScaling
	AspectRollout   = layer.AspectRollout
	AspectPause     = layer.AspectPause
	AspectGPUs      = "gpus"
	// AspectAdapters is listed only when either side has LoRA adapters.
	AspectAdapters = layer.AspectAdapters
)

// Change is one aspect of serving, before and after the move.
type Change struct {
	Aspect  string `json:"aspect"`
	From    string `json:"from"`
	To      string `json:"to"`
	Changed bool   `json:"changed"`
	Note    string `json:"note,omitempty"`
}

// AliasMove is the LiteLLM entry re-pointed by the move. The alias never
// changes; api_base follows the layer.
type AliasMove struct {
	Alias       string `json:"alias"`
	ConfigMap   string `json:"configMap"`
	APIBaseFrom string `json:"apiBaseFrom"`
	APIBaseTo   string `json:"apiBaseTo"`
}

// Blocker is a spec field the target layer cannot honour. It is never
// dropped silently: the move waits until the field is changed.
type Blocker struct {
	Field string `json:"field"`
	Value any    `json:"value,omitempty"`
	// Rule is the ID of the schema.Rules row that refuses the field, if any.
	Rule    string `json:"rule,omitempty"`
	Problem string `json:"problem"`
	Fix     string `json:"fix"`
}

// Check is one preflight item; CheckStatus its outcome.
type (
	Check       = layer.Check
	CheckStatus = layer.CheckStatus
)

// Check statuses. Only CheckFail makes a plan not ready.
const (
	CheckPass   = layer.CheckPass
	CheckFail   = layer.CheckFail
	CheckWarn   = layer.CheckWarn
	CheckManual = layer.CheckManual
)

// Step is one runbook step. Commands run in order.
type Step struct {
	Number   int      `json:"number"`
	Title    string   `json:"title"`
	Commands []string `json:"commands"`
	Notes    []string `json:"notes"`
}

// Diagnostic is a render diagnostic of one side of the move.
type Diagnostic struct {
	Layer    schema.Layer    `json:"layer"`
	Severity render.Severity `json:"severity"`
	Field    string          `json:"field,omitempty"`
	Message  string          `json:"message"`
}

// FailedChecks returns the preflight checks that failed.
func (p *MovePlan) FailedChecks() []Check {
	var out []Check
	for _, c := range p.Preflight {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

// JSON is the plan as indented JSON, with a trailing newline.
func (p *MovePlan) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // "->" and "<=" read as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
