package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/pod-security-admission/api"
)

// Negative tests: each layer of checks catches a deliberately broken copy
// of a fixture, and the unbroken fixture passes the same layer (so what is
// caught is the break, not the fixture).

// broken returns a copy of d with fn applied to its decoded object.
func broken(t *testing.T, d Doc, what string, fn func(obj map[string]interface{})) Doc {
	t.Helper()
	var obj map[string]interface{}
	if err := utiljson.Unmarshal(d.JSON, &obj); err != nil {
		t.Fatal(err)
	}
	fn(obj)
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := NewDoc(d.Source+" (broken: "+what+")", d.Index, data)
	if err != nil {
		t.Fatal(err)
	}
	return nd
}

// at walks obj along path (map keys and list indexes) and returns the live
// value there; it fails the test when the path does not exist.
func at(t *testing.T, obj interface{}, path ...interface{}) interface{} {
	t.Helper()
	cur := obj
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]interface{})
			if !ok || m[k] == nil {
				t.Fatalf("fixture has no %v", path[:i+1])
			}
			cur = m[k]
		case int:
			l, ok := cur.([]interface{})
			if !ok || k >= len(l) {
				t.Fatalf("fixture has no %v", path[:i+1])
			}
			cur = l[k]
		}
	}
	return cur
}

func atMap(t *testing.T, obj interface{}, path ...interface{}) map[string]interface{} {
	t.Helper()
	m, ok := at(t, obj, path...).(map[string]interface{})
	if !ok {
		t.Fatalf("fixture's %v is not an object", path)
	}
	return m
}

func wantErr(t *testing.T, layer string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s accepted the broken object; want an error containing %q", layer, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s rejected with\n  %v\nwant an error containing %q", layer, err, want)
	}
	t.Logf("%s caught it: %v", layer, err)
}

func isvcFixture(t *testing.T) Doc { return fixture(t, "kserve.yaml", "InferenceService", "qwen") }
func llmdFixture(t *testing.T) Doc { return fixture(t, "llm-d.yaml", "LLMInferenceService", "qwen") }
func deploymentFixture(t *testing.T) Doc {
	return fixture(t, "raw-vllm.yaml", "Deployment", "qwen")
}
func serviceFixture(t *testing.T) Doc { return fixture(t, "raw-vllm.yaml", "Service", "qwen") }

// "limit" for "limits": the classic typo, silently pruned by a CRD.
func isvcWithUnknownField(t *testing.T) Doc {
	return broken(t, isvcFixture(t), "resources.limit", func(o map[string]interface{}) {
		atMap(t, o, "spec", "predictor", "containers", 0, "resources")["limit"] = map[string]interface{}{"cpu": "4"}
	})
}

func TestNegativeUnknownField(t *testing.T) {
	ctx := context.Background()
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	good := isvcFixture(t)
	if _, err := DecodeStrict(good); err != nil {
		t.Fatalf("control: %v", err)
	}
	if err := ValidateCRDObject(ctx, set, good.GVK, good.JSON); err != nil {
		t.Fatalf("control: %v", err)
	}
	bad := isvcWithUnknownField(t)
	_, err = DecodeStrict(bad)
	wantErr(t, "strict decode", err, `unknown field "spec.predictor.containers[0].resources.limit"`)
	err = ValidateCRDObject(ctx, set, bad.GVK, bad.JSON)
	wantErr(t, "CRD pruning", err, `unknown field "spec.predictor.containers[0].resources.limit": the CRD schema would prune it`)

	// A core kind: a field in the wrong case is unknown too.
	dep := broken(t, deploymentFixture(t), "runAsNonroot", func(o map[string]interface{}) {
		sc := atMap(t, o, "spec", "template", "spec", "containers", 0, "securityContext")
		sc["runAsNonroot"] = sc["runAsNonRoot"]
		delete(sc, "runAsNonRoot")
	})
	_, err = DecodeStrict(dep)
	wantErr(t, "strict decode", err, `unknown field "spec.template.spec.containers[0].securityContext.runAsNonroot"`)
}

func TestNegativeUnknownKind(t *testing.T) {
	d, err := NewDoc("inline", 0, []byte(`{"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"qwen","namespace":"kserve"}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecodeStrict(d)
	wantErr(t, "strict decode", err, "unknown kind gateway.networking.k8s.io/v1, Kind=HTTPRoute")
}

func TestNegativeCEL(t *testing.T) {
	ctx := context.Background()
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	good := llmdFixture(t)
	if err := ValidateCRDObject(ctx, set, good.GVK, good.JSON); err != nil {
		t.Fatalf("control: %v", err)
	}
	both := broken(t, good, "replicas and scaling", func(o map[string]interface{}) {
		atMap(t, o, "spec")["scaling"] = map[string]interface{}{
			"minReplicas": int64(1), "maxReplicas": int64(2),
			"wva": map[string]interface{}{"hpa": map[string]interface{}{}},
		}
	})
	err = ValidateCRDObject(ctx, set, both.GVK, both.JSON)
	wantErr(t, "CEL x-kubernetes-validations", err, "replicas and scaling are mutually exclusive")

	noWVA := broken(t, good, "scaling without wva", func(o map[string]interface{}) {
		spec := atMap(t, o, "spec")
		delete(spec, "replicas")
		spec["scaling"] = map[string]interface{}{"minReplicas": int64(1), "maxReplicas": int64(2)}
	})
	err = ValidateCRDObject(ctx, set, noWVA.GVK, noWVA.JSON)
	wantErr(t, "CEL x-kubernetes-validations", err, "wva is required when scaling is configured")
}

// The Rules' cpu-limit gotcha: requests.cpu 4 with limits.cpu left unset
// passes the CRD schema and KServe's validation, and only after KServe's
// defaulting (limits.cpu 1 from the shipped config) is it invalid.
func TestNegativeKServeDefaulting(t *testing.T) {
	ctx := context.Background()
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	good := isvcFixture(t)
	goodObj, err := DecodeStrict(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckResources(goodObj, cfg); err != nil {
		t.Fatalf("control: %v", err)
	}
	bad := broken(t, good, "limits.cpu removed", func(o map[string]interface{}) {
		res := atMap(t, o, "spec", "predictor", "containers", 0, "resources")
		if got := atMap(t, res, "requests")["cpu"]; got != "4" {
			t.Fatalf("fixture requests.cpu = %v, want 4", got)
		}
		delete(atMap(t, res, "limits"), "cpu")
	})
	obj, err := DecodeStrict(bad)
	if err != nil {
		t.Fatal(err)
	}
	isvc := obj.(*kservev1beta1.InferenceService)
	// Nothing else catches it.
	if err := ValidateCRDObject(ctx, set, bad.GVK, bad.JSON); err != nil {
		t.Fatalf("the CRD schema rejects it already (%v): the test no longer isolates defaulting", err)
	}
	if _, err := ValidateInferenceService(ctx, isvc); err != nil {
		t.Fatalf("KServe validation rejects it already (%v): the test no longer isolates defaulting", err)
	}
	pts, err := PodTemplates(isvc)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRequestsWithinLimits(pts[0].Path, pts[0].Spec); err != nil {
		t.Fatalf("as rendered it has no cpu limit to exceed, yet: %v", err)
	}
	// KServe's defaulting does.
	err = CheckResources(isvc, cfg)
	wantErr(t, "requests <= limits after KServe defaulting", err,
		"spec.predictor.containers[0] (kserve-container): requests.cpu 4 > limits.cpu 1")
}

func TestNegativeKServeValidation(t *testing.T) {
	ctx := context.Background()
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	// A model name starting with a digit is a valid Kubernetes name (DNS
	// subdomain) but not a valid InferenceService name.
	isvc := broken(t, isvcFixture(t), "name 7b-qwen", func(o map[string]interface{}) {
		atMap(t, o, "metadata")["name"] = "7b-qwen"
	})
	if err := ValidateCRDObject(ctx, set, isvc.GVK, isvc.JSON); err != nil {
		t.Fatalf("the CRD schema rejects it already: %v", err)
	}
	obj, err := DecodeStrict(isvc)
	if err != nil {
		t.Fatal(err)
	}
	errs := KServeAdmission(ctx, set, cfg, obj)
	wantErr(t, "KServe InferenceService webhook", joinErrs(errs), "must start with alphabetical character")

	// A multi-node worker without parallelism.
	llm := broken(t, llmdFixture(t), "worker without parallelism", func(o map[string]interface{}) {
		atMap(t, o, "spec")["worker"] = map[string]interface{}{
			"containers": []interface{}{map[string]interface{}{"name": "main", "image": "vllm/vllm-openai:v0.11.0"}},
		}
	})
	if err := ValidateCRDObject(ctx, set, llm.GVK, llm.JSON); err != nil {
		t.Fatalf("the CRD schema rejects it already: %v", err)
	}
	obj, err = DecodeStrict(llm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ValidateLLMInferenceService(ctx, obj.(*kservev1alpha2.LLMInferenceService)); err == nil {
		t.Fatal("KServe LLMInferenceService webhook accepted a worker without parallelism")
	} else {
		wantErr(t, "KServe LLMInferenceService webhook", err, "when worker is specified, parallelism must be configured")
	}
}

func deploymentWithSysAdmin(t *testing.T) Doc {
	return broken(t, deploymentFixture(t), "SYS_ADMIN", func(o map[string]interface{}) {
		atMap(t, o, "spec", "template", "spec", "containers", 0, "securityContext", "capabilities")["add"] = []interface{}{"SYS_ADMIN"}
	})
}

func TestNegativePodSecurity(t *testing.T) {
	good := deploymentFixture(t)
	bad := deploymentWithSysAdmin(t)
	for _, c := range []struct {
		d    Doc
		want string
	}{{good, ""}, {bad, `capabilities_baseline: non-default capabilities (container "vllm" must not include "SYS_ADMIN"`}} {
		obj, err := DecodeStrict(c.d)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := PodTemplates(obj)
		if err != nil {
			t.Fatal(err)
		}
		failures, err := EvaluatePSS(api.LevelBaseline, &pts[0].Meta, pts[0].Spec)
		if err != nil {
			t.Fatal(err)
		}
		if c.want == "" {
			if len(failures) > 0 {
				t.Fatalf("control fails baseline: %v", failures)
			}
			continue
		}
		var got []string
		for _, f := range failures {
			got = append(got, f.String())
		}
		wantErr(t, "Pod Security Standards baseline", joinErrs(stringErrs(got)), c.want)
	}
}

// apiserverNegatives are run by TestAPIServer: what only the server (or
// also the server) rejects.
var apiserverNegatives = []struct {
	name    string
	doc     func(t *testing.T) Doc
	want    string
	warning bool // accepted, with a warning containing want
}{
	{
		name: "Deployment selector does not match template labels",
		doc: func(t *testing.T) Doc {
			return broken(t, deploymentFixture(t), "selector", func(o map[string]interface{}) {
				atMap(t, o, "spec", "template", "metadata", "labels")["app.kubernetes.io/name"] = "other"
			})
		},
		want: "`selector` does not match template `labels`",
	},
	{
		name: "label value is a model name with a slash",
		doc: func(t *testing.T) Doc {
			return broken(t, serviceFixture(t), "label value", func(o map[string]interface{}) {
				atMap(t, o, "metadata", "labels")["app.kubernetes.io/name"] = "Qwen/Qwen2.5-0.5B-Instruct"
			})
		},
		want: "a valid label must be an empty string or consist of alphanumeric characters",
	},
	{
		name: "Deployment requests above limits",
		doc: func(t *testing.T) Doc {
			return broken(t, deploymentFixture(t), "requests.cpu 8", func(o map[string]interface{}) {
				atMap(t, o, "spec", "template", "spec", "containers", 0, "resources", "requests")["cpu"] = "8"
			})
		},
		want: "must be less than or equal to cpu limit",
	},
	{
		name: "InferenceService unknown field (strict field validation)",
		doc:  isvcWithUnknownField,
		// Server-side apply builds a typed patch from the CRD schema first.
		want: `.spec.predictor.containers[0].resources.limit: field not declared in schema`,
	},
	{
		name: "LLMInferenceService replicas and scaling (CEL on the server)",
		doc: func(t *testing.T) Doc {
			return broken(t, llmdFixture(t), "replicas and scaling", func(o map[string]interface{}) {
				atMap(t, o, "spec")["scaling"] = map[string]interface{}{
					"minReplicas": int64(1), "maxReplicas": int64(2),
					"wva": map[string]interface{}{"hpa": map[string]interface{}{}},
				}
			})
		},
		want: "replicas and scaling are mutually exclusive",
	},
	{
		name:    "Deployment adding SYS_ADMIN warns under PodSecurity baseline",
		doc:     deploymentWithSysAdmin,
		want:    `would violate PodSecurity "baseline:latest": non-default capabilities (container "vllm" must not include "SYS_ADMIN" in securityContext.capabilities.add)`,
		warning: true,
	},
}

func joinErrs(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return fmt.Errorf("%s", b.String())
}

func stringErrs(s []string) []error {
	var out []error
	for _, x := range s {
		out = append(out, fmt.Errorf("%s", x))
	}
	return out
}

// TestNegativeConversionLoss: a v1alpha2 field that KServe's conversion to
// v1alpha1 cannot carry (an InferencePool with two target ports: v1alpha1
// pools have one) passes the v1alpha2 CRD and webhook, and fails only the
// round trip a v1alpha1 client would make.
func TestNegativeConversionLoss(t *testing.T) {
	ctx := context.Background()
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ShippedKServeConfig()
	if err != nil {
		t.Fatal(err)
	}
	llm := broken(t, llmdFixture(t), "pool with two target ports", func(o map[string]interface{}) {
		atMap(t, o, "spec", "router", "scheduler")["pool"] = map[string]interface{}{"spec": map[string]interface{}{
			"selector":          map[string]interface{}{"matchLabels": map[string]interface{}{"app": "qwen"}},
			"targetPorts":       []interface{}{map[string]interface{}{"number": int64(8000)}, map[string]interface{}{"number": int64(8001)}},
			"endpointPickerRef": map[string]interface{}{"name": "qwen-epp", "port": map[string]interface{}{"number": int64(9002)}},
		}}
	})
	if err := ValidateCRDObject(ctx, set, llm.GVK, llm.JSON); err != nil {
		t.Fatalf("the v1alpha2 CRD schema rejects it already: %v", err)
	}
	obj, err := DecodeStrict(llm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ValidateLLMInferenceService(ctx, obj.(*kservev1alpha2.LLMInferenceService)); err != nil {
		t.Fatalf("the v1alpha2 webhook rejects it already: %v", err)
	}
	wantErr(t, "conversion round trip", joinErrs(KServeAdmission(ctx, set, cfg, obj)), "conversion to v1alpha1 and back changes the object")
	base, err := DecodeStrict(llmdFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if errs := KServeAdmission(ctx, set, cfg, base); len(errs) > 0 {
		t.Fatalf("the unbroken fixture fails: %v", errs)
	}
}
