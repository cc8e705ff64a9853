package conformance

import (
	"encoding/json"
	"errors"
	"fmt"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	kservekeda "github.com/kserve/kserve/pkg/controller/v1beta1/inferenceservice/reconcilers/keda"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KEDAChecks runs the checks of KEDA's own admission webhook that need no
// cluster (apis/keda/v1alpha1: replica bounds, triggers) on a ScaledObject.
func KEDAChecks(so *kedav1alpha1.ScaledObject) []error {
	var errs []error
	if err := kedav1alpha1.CheckReplicaCountBoundsAreValid(so); err != nil {
		errs = append(errs, err)
	}
	if err := kedav1alpha1.ValidateTriggers(so.Spec.Triggers); err != nil {
		errs = append(errs, err)
	}
	if so.Spec.ScaleTargetRef == nil || so.Spec.ScaleTargetRef.Name == "" {
		errs = append(errs, errors.New("spec.scaleTargetRef.name is empty"))
	}
	return errs
}

// KServeScaledObject is the ScaledObject KServe v0.17's InferenceService
// controller builds for a Standard-mode predictor with autoscaler class
// keda, by its own code (reconcilers/keda NewKedaReconciler), with the
// shipped inferenceservice-config; as JSON, for the KEDA CRD.
func KServeScaledObject(isvc *kservev1beta1.InferenceService, cfg *KServeConfig) (*kedav1alpha1.ScaledObject, []byte, error) {
	meta := metav1.ObjectMeta{
		Name:        isvc.Name + "-predictor",
		Namespace:   isvc.Namespace,
		Labels:      isvc.Labels,
		Annotations: isvc.Annotations,
	}
	r, err := kservekeda.NewKedaReconciler(nil, nil, meta, &isvc.Spec.Predictor.ComponentExtensionSpec, cfg.ConfigMap)
	if err != nil {
		return nil, nil, fmt.Errorf("KServe builds no ScaledObject: %w", err)
	}
	so := r.ScaledObject.DeepCopy()
	so.APIVersion, so.Kind = ScaledObjectGVK.GroupVersion().String(), ScaledObjectGVK.Kind
	data, err := json.Marshal(so)
	return so, data, err
}
