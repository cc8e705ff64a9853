package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// pssException allows one restricted-level Pod Security Standards check to
// fail for one pod template of one kind. Each one is listed, with the same
// reason, in README.md ("Restricted pod security exceptions").
type pssException struct {
	Kind   string
	Path   string // pod template path, as PodTemplates reports it
	Check  policy.CheckID
	Reason string
	// Preset, for an LLMInferenceService template, is what KServe's llm-d
	// preset (the LLMInferenceServiceConfig KServe merges the rendered
	// template into) does about Check; TestPodSecurityPresetClaims verifies
	// it against the presets KServe ships.
	Preset presetClaim
}

type presetClaim int

const (
	presetNone presetClaim = iota
	// presetSatisfies: the preset's main container passes the check, and the
	// merged pod keeps that unless the rendered template overrides it.
	presetSatisfies
	// presetFailsToo: the preset itself fails the check, deliberately.
	presetFailsToo
)

const (
	reasonISVCRoot = "vLLM's image runs as root, and for an oci:// model KServe's modelcar replaces " +
		"kserve-container's whole securityContext with {runAsUser: uidModelcar} (shipped config: 1010; its _example " +
		"block says 10, and KServe documents that some clusters need 0), so a runAsNonRoot set by servelayer would be " +
		"overwritten or would stop the pod; servelayer sets every other restricted field"
	reasonLLMDRoot = "KServe's llm-d presets run container main with runAsNonRoot: false (the llm-d/vLLM " +
		"images run as root); servelayer does not override the preset"
	// A baseline check: the model's namespace must be privileged (rule
	// rdma-capabilities warns).
	reasonRDMACaps = "spec.network.rdma: servelayer adds the RDMA capabilities (default IPC_LOCK; SYS_RAWIO, NET_RAW on request) to " +
		"the vLLM container, which baseline refuses: such a model's namespace must be Pod Security privileged (rule rdma-capabilities warns)"
	reasonRDMARoot = "spec.network.rdma on raw-vllm: added capabilities take effect only for root, so the vllm container runs as the " +
		"image's user (root) instead of uid 1000, and the pod sets no runAsNonRoot (the weights check keeps its own)"
)

// The LeaderWorkerSet's pod templates, as PodTemplates names them.
const (
	lwsLeader = "spec.leaderWorkerTemplate.leaderTemplate.spec"
	lwsWorker = "spec.leaderWorkerTemplate.workerTemplate.spec"
)

// Not an exception: seccompProfile_restricted. KServe's decode preset
// (config-llm-decode-template, used with a prefill pool) has an
// llm-d-routing-sidecar without a seccompProfile, so only a pod-level
// seccompProfile in the rendered template makes the merged pod pass.
var restrictedExceptions = []pssException{
	{Kind: "InferenceService", Path: "spec.predictor", Check: "runAsNonRoot", Reason: reasonISVCRoot},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "runAsNonRoot", Reason: reasonLLMDRoot, Preset: presetFailsToo},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "runAsNonRoot", Reason: reasonLLMDRoot, Preset: presetFailsToo},
	{Kind: "LLMInferenceService", Path: "spec.worker", Check: "runAsNonRoot", Reason: reasonLLMDRoot, Preset: presetFailsToo},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "capabilities_baseline", Reason: reasonRDMACaps},
	{Kind: "LLMInferenceService", Path: "spec.template", Check: "capabilities_restricted", Reason: reasonRDMACaps},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "capabilities_baseline", Reason: reasonRDMACaps},
	{Kind: "LLMInferenceService", Path: "spec.prefill.template", Check: "capabilities_restricted", Reason: reasonRDMACaps},
	{Kind: "LeaderWorkerSet", Path: lwsLeader, Check: "capabilities_baseline", Reason: reasonRDMACaps},
	{Kind: "LeaderWorkerSet", Path: lwsLeader, Check: "capabilities_restricted", Reason: reasonRDMACaps},
	{Kind: "LeaderWorkerSet", Path: lwsLeader, Check: "runAsNonRoot", Reason: reasonRDMARoot},
	{Kind: "LeaderWorkerSet", Path: lwsWorker, Check: "capabilities_baseline", Reason: reasonRDMACaps},
	{Kind: "LeaderWorkerSet", Path: lwsWorker, Check: "capabilities_restricted", Reason: reasonRDMACaps},
	{Kind: "LeaderWorkerSet", Path: lwsWorker, Check: "runAsNonRoot", Reason: reasonRDMARoot},
}

// TestPodSecurity evaluates every rendered pod template with
// k8s.io/pod-security-admission. Baseline must pass. Restricted may fail
// only the checks restrictedExceptions allows; an exception no longer needed
// fails too, so the list (and README.md) cannot go stale.
func TestPodSecurity(t *testing.T) {
	allowed := map[string]pssException{}
	for _, e := range restrictedExceptions {
		allowed[e.Kind+" "+e.Path+" "+string(e.Check)] = e
	}
	used := map[string]bool{}
	seen := map[string]bool{} // kind and pod template path
	var report []string
	templates := 0
	for _, d := range inputs(t) {
		obj, err := DecodeStrict(d)
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		pts, err := PodTemplates(obj)
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		for _, pt := range pts {
			templates++
			seen[d.GVK.Kind+" "+pt.Path] = true
			ids := checkPodSecurity(t, fmt.Sprintf("%s %s", d, pt.Path), d.GVK.Kind+" "+pt.Path, &pt.Meta, pt.Spec, allowed, used)
			report = append(report, fmt.Sprintf("%s %s: restricted fails [%s]", d, pt.Path, strings.Join(ids, ", ")))
		}
	}
	if templates == 0 {
		t.Fatal("no pod template among the inputs")
	}
	sort.Strings(report)
	t.Logf("restricted-level results:\n%s", strings.Join(report, "\n"))
	for key, e := range allowed {
		if seen[e.Kind+" "+e.Path] && !used[key] {
			t.Errorf("restricted exception %q is no longer needed by any %s %s: remove it here and from README.md", key, e.Kind, e.Path)
		}
	}
}

// checkPodSecurity evaluates one pod spec (where names it in errors, key is
// "Kind path"): baseline must pass, and restricted may fail only the
// checks allowed holds for key, which it marks used (a baseline check
// allowed there fails baseline too, deliberately). It returns the
// restricted checks that fail.
func checkPodSecurity(t *testing.T, where, key string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, allowed map[string]pssException, used map[string]bool) []string {
	t.Helper()
	base, err := EvaluatePSS(api.LevelBaseline, meta, spec)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, f := range base {
		// A baseline check is allowed only where capabilities are added
		// (RDMA; KServe's multi-node presets): the namespace must admit it.
		k := key + " " + string(f.Check)
		if _, ok := allowed[k]; ok {
			used[k] = true
			continue
		}
		t.Errorf("%s: fails Pod Security Standards baseline: %s", where, f)
	}
	restricted, err := EvaluatePSS(api.LevelRestricted, meta, spec)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	var ids []string
	for _, f := range restricted {
		ids = append(ids, string(f.Check))
		k := key + " " + string(f.Check)
		if _, ok := allowed[k]; ok {
			used[k] = true
			continue
		}
		t.Errorf("%s: fails Pod Security Standards restricted check %s, which no exception allows: %s", where, f.Check, f)
	}
	return ids
}

// TestPodSecurityExceptionsDocumented: every exception appears in
// README.md's table as "| Kind | path | check |".
func TestPodSecurityExceptionsDocumented(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root(t), "conformance", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, e := range restrictedExceptions {
		row := fmt.Sprintf("| %s | `%s` | `%s` |", e.Kind, e.Path, e.Check)
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the exception row %q", row)
		}
	}
}

// llmdPresets maps an LLMInferenceService pod template path to the KServe
// preset files (config/llmisvcconfig) whose template it is merged into:
// spec.template into config-llm-template, or config-llm-decode-template
// when there is a prefill pool.
var llmdPresets = map[string][]struct{ file, path string }{
	"spec.template": {
		{"config/llmisvcconfig/config-llm-template.yaml", "spec.template"},
		{"config/llmisvcconfig/config-llm-decode-template.yaml", "spec.template"},
	},
	"spec.prefill.template": {
		{"config/llmisvcconfig/config-llm-prefill-template.yaml", "spec.prefill.template"},
	},
	"spec.worker": {
		{"config/llmisvcconfig/config-llm-worker-data-parallel.yaml", "spec.worker"},
		{"config/llmisvcconfig/config-llm-decode-worker-data-parallel.yaml", "spec.worker"},
	},
}

// TestPodSecurityPresetClaims verifies what the LLMInferenceService
// exceptions say about KServe's presets, on the presets KServe v0.17.0 ships.
func TestPodSecurityPresetClaims(t *testing.T) {
	dir, err := KServeDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range restrictedExceptions {
		if e.Preset == presetNone {
			continue
		}
		presets, ok := llmdPresets[e.Path]
		if !ok {
			t.Errorf("exception %s %s %s: no preset known for the path", e.Kind, e.Path, e.Check)
			continue
		}
		for _, p := range presets {
			spec, err := LoadLLMDPresetTemplate(filepath.Join(dir, p.file), p.path)
			if err != nil {
				t.Fatal(err)
			}
			failures, err := EvaluatePSS(api.LevelRestricted, &metav1.ObjectMeta{}, spec)
			if err != nil {
				t.Fatal(err)
			}
			fails := false
			for _, f := range failures {
				if f.Check == e.Check {
					fails = true
				}
			}
			switch {
			case e.Preset == presetSatisfies && fails:
				t.Errorf("exception %s %s %s says KServe's preset supplies it, but %s %s fails it", e.Kind, e.Path, e.Check, p.file, p.path)
			case e.Preset == presetFailsToo && !fails:
				t.Errorf("exception %s %s %s says KServe's preset fails it too, but %s %s passes it: servelayer can fix it", e.Kind, e.Path, e.Check, p.file, p.path)
			}
		}
	}
}
