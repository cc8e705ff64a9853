package conformance

import (
	"errors"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
	lwsv1 "sigs.k8s.io/lws/api/leaderworkerset/v1"
)

// Kinds servelayer renders, each with the Go type its control plane decodes
// it into. A kind not listed here fails the strict decode: a new rendered kind
// needs its type (and, for a CRD, its CRD) added here first.
var (
	DeploymentGVK            = appsv1.SchemeGroupVersion.WithKind("Deployment")
	ServiceGVK               = corev1.SchemeGroupVersion.WithKind("Service")
	PersistentVolumeClaimGVK = corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim")
	ConfigMapGVK             = corev1.SchemeGroupVersion.WithKind("ConfigMap")
	PodDisruptionBudgetGVK   = policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget")
	JobGVK                   = batchv1.SchemeGroupVersion.WithKind("Job")
	// NamespaceGVK: servelayer renders none, but examples pass user
	// Namespaces through the function untouched.
	NamespaceGVK           = corev1.SchemeGroupVersion.WithKind("Namespace")
	InferenceServiceGVK    = kservev1beta1.SchemeGroupVersion.WithKind("InferenceService")
	LLMInferenceServiceGVK = kservev1alpha2.SchemeGroupVersion.WithKind("LLMInferenceService")
	ScaledObjectGVK        = kedav1alpha1.SchemeGroupVersion.WithKind("ScaledObject")
	// LeaderWorkerSetGVK: raw-vllm's replicas spanning pods.
	LeaderWorkerSetGVK = lwsv1.SchemeGroupVersion.WithKind("LeaderWorkerSet")
)

var newTyped = map[schema.GroupVersionKind]func() runtime.Object{
	DeploymentGVK:            func() runtime.Object { return &appsv1.Deployment{} },
	ServiceGVK:               func() runtime.Object { return &corev1.Service{} },
	PersistentVolumeClaimGVK: func() runtime.Object { return &corev1.PersistentVolumeClaim{} },
	ConfigMapGVK:             func() runtime.Object { return &corev1.ConfigMap{} },
	PodDisruptionBudgetGVK:   func() runtime.Object { return &policyv1.PodDisruptionBudget{} },
	JobGVK:                   func() runtime.Object { return &batchv1.Job{} },
	NamespaceGVK:             func() runtime.Object { return &corev1.Namespace{} },
	InferenceServiceGVK:      func() runtime.Object { return &kservev1beta1.InferenceService{} },
	LLMInferenceServiceGVK:   func() runtime.Object { return &kservev1alpha2.LLMInferenceService{} },
	ScaledObjectGVK:          func() runtime.Object { return &kedav1alpha1.ScaledObject{} },
	LeaderWorkerSetGVK:       func() runtime.Object { return &lwsv1.LeaderWorkerSet{} },
}

// KnownKinds lists the kinds DecodeStrict accepts.
func KnownKinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(newTyped))
	for k := range newTyped {
		out = append(out, k)
	}
	return out
}

// DecodeStrict decodes the document into its k8s.io/api or KServe Go type.
// Unknown fields, duplicate fields, a field in the wrong case, a value of the
// wrong type and an unknown kind are all errors.
func DecodeStrict(d Doc) (runtime.Object, error) {
	return DecodeStrictJSON(d.GVK, d.JSON)
}

// DecodeStrictJSON is DecodeStrict on raw JSON of a known kind.
func DecodeStrictJSON(gvk schema.GroupVersionKind, data []byte) (runtime.Object, error) {
	mk, ok := newTyped[gvk]
	if !ok {
		return nil, fmt.Errorf("unknown kind %s: servelayer's conformance knows only %v", gvk, KnownKinds())
	}
	obj := mk()
	strictErrs, err := sigsjson.UnmarshalStrict(data, obj)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", gvk.Kind, err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("strict decode %s: %w", gvk.Kind, errors.Join(strictErrs...))
	}
	got := obj.GetObjectKind().GroupVersionKind()
	if got != gvk {
		return nil, fmt.Errorf("decoded %s as %s", gvk, got)
	}
	return obj, nil
}

func sigsjsonUnmarshalStrict(data []byte, v interface{}) ([]error, error) {
	return sigsjson.UnmarshalStrict(data, v)
}
