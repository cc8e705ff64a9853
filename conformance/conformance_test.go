package conformance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"golang.org/x/mod/modfile"
)

// TestInputs: every input glob matches files, and every file holds objects.
// Passing on zero inputs would prove nothing.
func TestInputs(t *testing.T) {
	docs := inputs(t)
	if inputsErr != nil {
		t.Fatalf("inputs: %v", inputsErr)
	}
	perGlob := map[string]int{}
	for _, d := range docs {
		for _, g := range InputGlobs {
			if ok, _ := filepath.Match(g, d.Source); ok {
				perGlob[g]++
			}
		}
	}
	for _, g := range InputGlobs {
		t.Logf("%-40s %d objects", g, perGlob[g])
		if perGlob[g] == 0 {
			t.Errorf("glob %s: no object", g)
		}
	}
}

// TestStrictDecode: every object decodes strictly into its k8s.io/api or
// KServe Go type. An unknown kind, unknown field or duplicate field fails.
func TestStrictDecode(t *testing.T) {
	for _, d := range inputs(t) {
		t.Run(d.String(), func(t *testing.T) {
			if _, err := DecodeStrict(d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestCRDSchema: every object of a CRD (KServe's, KEDA's, LeaderWorkerSet) passes the CRD's structural schema, its
// CEL rules and pruning (a field the apiserver would silently drop fails),
// in-process, exactly as kube-apiserver's create path runs them.
func TestCRDSchema(t *testing.T) {
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range inputs(t) {
		if set.Version(d.GVK) == nil {
			continue
		}
		n++
		t.Run(d.String(), func(t *testing.T) {
			if err := ValidateCRDObject(context.Background(), set, d.GVK, d.JSON); err != nil {
				t.Fatal(err)
			}
		})
	}
	if n == 0 {
		t.Fatal("no KServe object among the inputs")
	}
}

// TestShippedKServeConfig pins what KServe's defaulting uses: its shipped
// inferenceservice-config, parsed by its own code. If these change, the
// defaulting tests below test something else.
func TestShippedKServeConfig(t *testing.T) {
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.ISVC.Resource
	if r.CPULimit != "1" || r.MemoryLimit != "2Gi" || r.CPURequest != "1" || r.MemoryRequest != "2Gi" {
		t.Fatalf("shipped inferenceService resource defaults = %+v, want cpu/memory limit 1/2Gi and request 1/2Gi", r)
	}
	if cfg.Deploy.DefaultDeploymentMode == "" {
		t.Fatal("shipped deploy config has no defaultDeploymentMode")
	}
	t.Logf("shipped defaults: resource %+v, defaultDeploymentMode %s, autoMountServiceAccountToken %v",
		r, cfg.Deploy.DefaultDeploymentMode, cfg.Security.AutoMountServiceAccountToken)
}

// TestKServeAdmission runs KServe's own admission code on every KServe
// object: for an InferenceService the defaulting webhook (with the shipped
// config) then the validating webhook, then the CRD schema again on the
// defaulted object; for an LLMInferenceService (v1alpha2) the v1alpha2
// webhook, then KServe's conversion to v1alpha1 (what a v1alpha1 client
// reads: nothing pruned, the v1alpha1 webhook passes, and converting back
// gives the rendered object).
func TestKServeAdmission(t *testing.T) {
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, d := range docsOf(t, "InferenceService", "LLMInferenceService") {
		t.Run(d.String(), func(t *testing.T) {
			obj, err := DecodeStrict(d)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range KServeAdmission(ctx, set, cfg, obj) {
				t.Error(e)
			}
		})
	}
}

// TestRequestsWithinLimits: in every pod template, after KServe's defaulting
// where KServe defaults, no request exceeds its limit and every extended
// resource (GPU) has a limit equal to its request. This is what catches
// KServe's default cpu limit of 1 under requests.cpu > 1.
func TestRequestsWithinLimits(t *testing.T) {
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range inputs(t) {
		t.Run(d.String(), func(t *testing.T) {
			obj, err := DecodeStrict(d)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckResources(obj, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestToolVersionsPinned: the versions the harness looks for are the ones
// tools/kube/go.mod builds, and every k8s.io staging module is replaced by
// its release matching k8s.io/kubernetes.
func TestToolVersionsPinned(t *testing.T) {
	path := filepath.Join(root(t), "conformance", "tools", "kube", "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	req := map[string]string{}
	for _, r := range mf.Require {
		req[r.Mod.Path] = r.Mod.Version
	}
	if got := req["k8s.io/kubernetes"]; got != KubeVersion {
		t.Errorf("tools/kube requires k8s.io/kubernetes %s, harness expects %s", got, KubeVersion)
	}
	if got := req["go.etcd.io/etcd/server/v3"]; got != EtcdVersion {
		t.Errorf("tools/kube requires etcd server %s, harness expects %s", got, EtcdVersion)
	}
	staging := "v0" + strings.TrimPrefix(KubeVersion, "v1")
	replaced := 0
	for _, r := range mf.Replace {
		if !strings.HasPrefix(r.Old.Path, "k8s.io/") {
			continue
		}
		replaced++
		if r.New.Path != r.Old.Path || r.New.Version != staging {
			t.Errorf("replace %s => %s %s, want %s %s", r.Old.Path, r.New.Path, r.New.Version, r.Old.Path, staging)
		}
	}
	if replaced < 30 {
		t.Errorf("only %d k8s.io replaces; k8s.io/kubernetes %s has 31 staging modules", replaced, KubeVersion)
	}
}

// TestKEDA: every ScaledObject servelayer renders (raw-vllm) passes KEDA's
// own webhook checks; and for every InferenceService on KServe's KEDA
// autoscaler class, the ScaledObject KServe's controller builds from it
// (by KServe's code) passes KEDA's CRD schema and checks and carries the
// Prometheus trigger servelayer meant.
func TestKEDA(t *testing.T) {
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	rendered, built := 0, 0
	for _, d := range inputs(t) {
		switch {
		case d.GVK == ScaledObjectGVK:
			rendered++
			t.Run(d.String(), func(t *testing.T) {
				obj, err := DecodeStrict(d)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range KEDAChecks(obj.(*kedav1alpha1.ScaledObject)) {
					t.Error(e)
				}
			})
		case d.GVK == InferenceServiceGVK:
			obj, err := DecodeStrict(d)
			if err != nil {
				t.Fatal(err)
			}
			isvc := obj.(*kservev1beta1.InferenceService)
			if isvc.Annotations["serving.kserve.io/autoscalerClass"] != "keda" {
				continue
			}
			built++
			t.Run(d.String(), func(t *testing.T) {
				so, data, err := KServeScaledObject(isvc, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if err := ValidateCRDObject(context.Background(), set, ScaledObjectGVK, data); err != nil {
					t.Fatalf("KEDA's CRD refuses the ScaledObject KServe builds: %v\n%s", err, data)
				}
				for _, e := range KEDAChecks(so) {
					t.Error(e)
				}
				ext := isvc.Spec.Predictor.AutoScaling.Metrics[0].External
				tr := so.Spec.Triggers[0]
				if tr.Type != "prometheus" || tr.Metadata["query"] != ext.Metric.Query || tr.Metadata["serverAddress"] != ext.Metric.ServerAddress ||
					tr.Metadata["threshold"] != ext.Target.Value.GetOriginal() {
					t.Errorf("KServe's trigger %+v does not carry the rendered metric %+v", tr, ext)
				}
				if so.Spec.ScaleTargetRef.Name != isvc.Name+"-predictor" {
					t.Errorf("scales %q, want the predictor Deployment", so.Spec.ScaleTargetRef.Name)
				}
			})
		}
	}
	if rendered == 0 || built == 0 {
		t.Fatalf("%d rendered ScaledObjects and %d InferenceServices on KEDA among the inputs: nothing checked", rendered, built)
	}
}
