package fn

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/render"
)

// Namespace guard. A kustomize namespace: (the NamespaceTransformer) that
// runs after servelayer moves the rendered objects, LiteLLM's ConfigMap
// included, but cannot rewrite api_base inside it: routing would break
// silently. The function cannot see that kustomization (a generator's
// input holds no namespace, and an overlay runs no function), so for each
// routed model it emits a pair of local-config guards, same kind and name
// in two namespaces. kustomize drops local-config objects from its output,
// so nothing reaches a cluster, but a namespace transformer that runs on
// them puts both in one namespace, and kustomize then stops with
// "namespace transformation produces ID conflict", printing the guard and
// its message. A namespace: applied before servelayer renders (the
// function as a transformer, the ServedModels as resources) is followed:
// the models render into it.
const (
	// GuardAPIVersion and GuardKind name the guard objects.
	GuardAPIVersion = "guard.servelayer.dev/v1"
	GuardKind       = "NamespaceGuard"
)

// guardNamespaces are the pair's namespaces: no cluster ever sees them.
var guardNamespaces = [2]string{"servelayer-namespace-guard-a", "servelayer-namespace-guard-b"}

// isGuard reports whether n is a guard of an earlier run.
func isGuard(n *yaml.RNode) bool {
	return n.GetApiVersion() == GuardAPIVersion && n.GetKind() == GuardKind
}

// guards are the guard pairs of the fleet's routed models.
func guards(fleet *render.Fleet) ([]*yaml.RNode, error) {
	var out []*yaml.RNode
	for _, m := range fleet.Routed() {
		var modelNS, liteNS string
		for i := range fleet.Len() {
			ref, model := fleet.Ref(i)
			switch {
			case ref.Kind == "ConfigMap" && (model == m || model.Kind != m.Kind):
				liteNS = ref.Namespace
			case model == m && modelNS == "":
				modelNS = ref.Namespace
			}
		}
		msg := fmt.Sprintf("servelayer rendered ServedModel %s into namespace %s and its LiteLLM entry (api_base naming %s) into %s; "+
			"a kustomize namespace: that runs after servelayer would move them, leaving api_base stale and the entry outside LiteLLM's namespace, so this guard stops the build. "+
			"Set metadata.namespace on the ServedModel instead, or, in the kustomization that sets namespace:, list the ServedModels under resources: and servelayer's Platform under transformers: "+
			"(kustomize applies namespace: before transformers, so the models render into it)", m.Name, modelNS, modelNS, liteNS)
		for _, ns := range guardNamespaces {
			b, err := json.Marshal(guard{APIVersion: GuardAPIVersion, Kind: GuardKind,
				Metadata:    guardMeta{Name: m.Name, Namespace: ns, Annotations: map[string]string{"config.kubernetes.io/local-config": "true"}},
				RenderedFor: guardNS{Model: modelNS, LiteLLM: liteNS}, Message: msg})
			if err != nil {
				return nil, err
			}
			n, err := yaml.Parse(string(b))
			if err != nil {
				return nil, err
			}
			blockStyle(n.YNode())
			out = append(out, n)
		}
	}
	return out, nil
}

type guard struct {
	APIVersion  string    `json:"apiVersion"`
	Kind        string    `json:"kind"`
	Metadata    guardMeta `json:"metadata"`
	RenderedFor guardNS   `json:"renderedFor"`
	Message     string    `json:"message"`
}

type guardMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Annotations map[string]string `json:"annotations"`
}

type guardNS struct {
	Model   string `json:"model"`
	LiteLLM string `json:"litellm"`
}

// blockStyle writes n as block YAML rather than the JSON it was parsed from.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// withoutGuards drops an earlier run's guards: this run emits its own.
func withoutGuards(items []*yaml.RNode) []*yaml.RNode {
	out := make([]*yaml.RNode, 0, len(items))
	for _, it := range items {
		if !isGuard(it) {
			out = append(out, it)
		}
	}
	return out
}

// guarded appends the fleet's guards to the output, or says why it could
// not (an error result, so nothing is written).
func (o *output) guarded(results *framework.Results) *output {
	gs, err := guards(o.fleet)
	if err != nil {
		*results = append(*results, &framework.Result{Severity: framework.Error, Message: "namespace guard: " + err.Error()})
		return nil
	}
	for _, g := range gs {
		o.items = append(o.items, listItem{node: g})
	}
	return o
}
