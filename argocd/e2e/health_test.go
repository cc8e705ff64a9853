package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	appv1 "github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/lua"
)

// isvcStatus builds an InferenceService at generation 1 with a status.
func isvcStatus(t *testing.T, status string) *unstructured.Unstructured {
	t.Helper()
	doc := "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: qwen, namespace: kserve, generation: 1}\nstatus:\n" + status
	data, err := utilyaml.ToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestInferenceServiceHealth runs servelayer's InferenceService health
// check in Argo CD's own Lua VM (the code the application controller
// runs), on statuses KServe v0.17 wrote on the cluster in a box, beside
// Argo CD's built-in check.
func TestInferenceServiceHealth(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(repoRoot, "argocd", "health", "serving.kserve.io_InferenceService.lua"))
	if err != nil {
		t.Fatal(err)
	}
	key := "serving.kserve.io/InferenceService"
	ours := lua.ResourceHealthOverrides{key: appv1.ResourceOverride{HealthLua: string(script)}}
	builtin := lua.ResourceHealthOverrides{}
	for _, c := range []struct {
		name          string
		status        string
		want, builtIn string // Argo CD's health status codes
	}{
		// The predictor's pod Pending for a GPU (TestArgoCD/gpus_short),
		// as a pod loading weights looks too: KServe leaves
		// transitionStatus empty. Argo CD's built-in check says Degraded,
		// and a sync waiting on health between waves fails.
		{"pod not ready", `
  conditions:
  - {type: IngressReady, status: "False", reason: Predictor ingress not created}
  - {type: PredictorReady, status: "False", reason: MinimumReplicasUnavailable, message: Deployment does not have minimum availability.}
  - {type: Ready, status: "False", reason: Predictor ingress not created}
  - {type: Stopped, status: "False", severity: Info}
  deploymentMode: Standard
  modelStatus: {copies: {failedCopies: 0}, transitionStatus: ""}
  observedGeneration: 1
`, "Progressing", "Degraded"},
		{"no pod yet", `
  conditions:
  - {type: PredictorReady, status: Unknown}
  - {type: Ready, status: Unknown}
  modelStatus: {transitionStatus: InProgress, states: {targetModelState: Pending}}
  observedGeneration: 1
`, "Progressing", "Progressing"},
		{"ready", `
  conditions:
  - {type: IngressReady, status: "True"}
  - {type: PredictorReady, status: "True"}
  - {type: Ready, status: "True"}
  - {type: Stopped, status: "False", severity: Info}
  modelStatus: {transitionStatus: UpToDate, states: {activeModelState: Loaded, targetModelState: Loaded}}
  observedGeneration: 1
`, "Healthy", "Healthy"},
		{"ready, but of an older generation", `
  conditions:
  - {type: PredictorReady, status: "True"}
  - {type: Ready, status: "True"}
  modelStatus: {transitionStatus: UpToDate}
  observedGeneration: 0
`, "Progressing", "Healthy"},
		{"failed load", `
  conditions:
  - {type: PredictorReady, status: "False"}
  - {type: Ready, status: "False"}
  modelStatus: {transitionStatus: BlockedByFailedLoad, lastFailureInfo: {reason: ModelLoadFailed, message: out of memory}}
  observedGeneration: 1
`, "Degraded", "Degraded"},
		{"stopped", `
  conditions:
  - {type: Ready, status: "False", reason: Stopped}
  - {type: Stopped, status: "True"}
  modelStatus: {transitionStatus: UpToDate}
  observedGeneration: 1
`, "Suspended", "Suspended"},
		{"no status yet", "  {}\n", "Progressing", "Progressing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			obj := isvcStatus(t, c.status)
			got, err := ours.GetResourceHealth(obj)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || string(got.Status) != c.want {
				t.Errorf("servelayer's check: %+v, want %s", got, c.want)
			}
			b, err := builtin.GetResourceHealth(obj)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil || string(b.Status) != c.builtIn {
				t.Errorf("Argo CD's built-in check: %+v, want %s (has Argo CD's check changed?)", b, c.builtIn)
			}
			t.Logf("servelayer: %s (%s); built-in: %s (%s)", got.Status, got.Message, b.Status, b.Message)
		})
	}
}
