package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	kservev1alpha1 "github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// ValidateCRDObject runs JSON of kind gvk through the CRD pipeline of the
// KServe CRD that serves gvk. An unknown field (pruned), a schema violation
// or a failing CEL rule is an error.
func ValidateCRDObject(ctx context.Context, set *CRDSet, gvk schema.GroupVersionKind, data []byte) error {
	_, err := validateCRDObject(ctx, set, gvk, data)
	return err
}

func validateCRDObject(ctx context.Context, set *CRDSet, gvk schema.GroupVersionKind, data []byte) (CRDResult, error) {
	v := set.Version(gvk)
	if v == nil {
		return CRDResult{}, fmt.Errorf("no KServe CRD serves %s", gvk)
	}
	var obj map[string]interface{}
	if err := utiljson.Unmarshal(data, &obj); err != nil {
		return CRDResult{}, err
	}
	res, err := v.Validate(ctx, obj)
	if err != nil {
		return res, err
	}
	return res, res.Err()
}

// KServeAdmission runs KServe's admission code on a strictly decoded KServe
// object and returns every problem found.
//
// InferenceService: the validating webhook on the object as rendered; the
// defaulting webhook with the shipped config; the validating webhook and the
// CRD schema again on the defaulted object (the order a cluster runs them:
// mutating webhooks, schema, validating webhooks).
//
// LLMInferenceService (rendered at v1alpha2, the storage version): the
// v1alpha2 validating webhook; then what a client at v1alpha1 meets through
// KServe's conversion webhook: the object converted to v1alpha1 must keep
// every field under the v1alpha1 CRD schema (no pruning), pass the v1alpha1
// webhook, and convert back to exactly what was rendered.
func KServeAdmission(ctx context.Context, set *CRDSet, cfg *KServeConfig, obj runtime.Object) []error {
	var errs []error
	switch o := obj.(type) {
	case *kservev1beta1.InferenceService:
		if w, err := ValidateInferenceService(ctx, o); err != nil {
			errs = append(errs, fmt.Errorf("KServe validation webhook (as rendered): %w", err))
		} else if len(w) > 0 {
			errs = append(errs, fmt.Errorf("KServe validation webhook warnings (as rendered): %s", strings.Join(w, "; ")))
		}
		def := DefaultInferenceService(o, cfg)
		if w, err := ValidateInferenceService(ctx, def); err != nil {
			errs = append(errs, fmt.Errorf("KServe validation webhook (after KServe defaulting): %w", err))
		} else if len(w) > 0 {
			errs = append(errs, fmt.Errorf("KServe validation webhook warnings (after KServe defaulting): %s", strings.Join(w, "; ")))
		}
		data, err := json.Marshal(def)
		if err != nil {
			return append(errs, err)
		}
		if err := ValidateCRDObject(ctx, set, InferenceServiceGVK, data); err != nil {
			errs = append(errs, fmt.Errorf("CRD schema (after KServe defaulting): %w", err))
		}
	case *kservev1alpha2.LLMInferenceService:
		if w, err := ValidateLLMInferenceService(ctx, o); err != nil {
			errs = append(errs, fmt.Errorf("KServe validation webhook: %w", err))
		} else if len(w) > 0 {
			errs = append(errs, fmt.Errorf("KServe validation webhook warnings: %s", strings.Join(w, "; ")))
		}
		old, back, err := AsV1alpha1(o)
		if err != nil {
			return append(errs, err)
		}
		data, err := json.Marshal(old)
		if err != nil {
			return append(errs, err)
		}
		// A v1alpha1 client (kubectl, an Argo CD app holding an older
		// render) reads the converted object and may write it back.
		if res, err := validateCRDObject(ctx, set, old.GroupVersionKind(), data); len(res.Pruned) > 0 {
			errs = append(errs, fmt.Errorf("v1alpha1 would prune fields after KServe's conversion: %v", res.Pruned))
		} else if err != nil {
			errs = append(errs, fmt.Errorf("v1alpha1 CRD schema (after KServe's conversion): %w", err))
		}
		if w, err := (&kservev1alpha1.LLMInferenceServiceValidator{}).ValidateCreate(ctx, old.DeepCopy()); err != nil {
			errs = append(errs, fmt.Errorf("KServe v1alpha1 webhook (after conversion): %w", err))
		} else if len(w) > 0 {
			errs = append(errs, fmt.Errorf("KServe v1alpha1 webhook warnings (after conversion): %s", strings.Join(w, "; ")))
		}
		if !apiequality.Semantic.DeepEqual(o, back) {
			a, _ := json.Marshal(o)
			b, _ := json.Marshal(back)
			errs = append(errs, fmt.Errorf("KServe's conversion to v1alpha1 and back changes the object:\n rendered %s\n returned %s", a, b))
		}
	default:
		errs = append(errs, fmt.Errorf("%T is not a KServe object", obj))
	}
	return errs
}

// CheckResources checks requests against limits in every pod template of
// obj, after KServe's defaulting for an InferenceService (cfg is KServe's
// config). See CheckRequestsWithinLimits.
func CheckResources(obj runtime.Object, cfg *KServeConfig) error {
	if isvc, ok := obj.(*kservev1beta1.InferenceService); ok {
		obj = DefaultInferenceService(isvc, cfg)
	}
	pts, err := PodTemplates(obj)
	if err != nil {
		return err
	}
	var errs []error
	for _, pt := range pts {
		if err := CheckRequestsWithinLimits(pt.Path, pt.Spec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// isExtendedResource reports a resource the kubelet cannot overcommit (a
// device such as nvidia.com/gpu): a domain-qualified name outside
// kubernetes.io. Such a request must equal its limit.
func isExtendedResource(name corev1.ResourceName) bool {
	n := string(name)
	if !strings.Contains(n, "/") || strings.HasPrefix(n, "requests.") {
		return false
	}
	domain := n[:strings.Index(n, "/")]
	return domain != "kubernetes.io" && !strings.HasSuffix(domain, ".kubernetes.io")
}
