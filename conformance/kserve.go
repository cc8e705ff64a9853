package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	kservev1alpha1 "github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// KServeConfigMapFile is KServe's shipped inferenceservice-config, relative
// to the module root: the configuration its webhooks default with.
const KServeConfigMapFile = "config/configmap/inferenceservice.yaml"

// KServeConfig is the parsed inferenceservice-config.
type KServeConfig struct {
	ConfigMap *corev1.ConfigMap
	ISVC      *kservev1beta1.InferenceServicesConfig
	Deploy    *kservev1beta1.DeployConfig
	Security  *kservev1beta1.SecurityConfig
}

// ShippedKServeConfig parses KServe's shipped configmap with KServe's own
// config parsers, as its defaulting webhook does, once per test binary.
var ShippedKServeConfig = sync.OnceValues(loadKServeConfig)

func loadKServeConfig() (*KServeConfig, error) {
	dir, err := KServeDir()
	if err != nil {
		return nil, err
	}
	f := filepath.Join(dir, KServeConfigMapFile)
	data, err := os.ReadFile(f)
	if err != nil {
		return nil, err
	}
	docs, err := SplitStream(f, data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 || docs[0].GVK != ConfigMapGVK {
		return nil, fmt.Errorf("%s: want one ConfigMap", f)
	}
	obj, err := DecodeStrict(docs[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f, err)
	}
	cm := obj.(*corev1.ConfigMap)
	c := &KServeConfig{ConfigMap: cm}
	if c.ISVC, err = kservev1beta1.NewInferenceServicesConfig(cm); err != nil {
		return nil, err
	}
	if c.Deploy, err = kservev1beta1.NewDeployConfig(cm); err != nil {
		return nil, err
	}
	if c.Security, err = kservev1beta1.NewSecurityConfig(cm); err != nil {
		return nil, err
	}
	return c, nil
}

// ValidateInferenceService runs KServe's validating webhook on isvc.
func ValidateInferenceService(ctx context.Context, isvc *kservev1beta1.InferenceService) ([]string, error) {
	w, err := (&kservev1beta1.InferenceServiceValidator{}).ValidateCreate(ctx, isvc.DeepCopy())
	return w, err
}

// DefaultInferenceService runs KServe's defaulting webhook on a copy of
// isvc with cfg, no LocalModelCache objects (local model caching is off in
// the shipped config), and returns the copy.
func DefaultInferenceService(isvc *kservev1beta1.InferenceService, cfg *KServeConfig) *kservev1beta1.InferenceService {
	out := isvc.DeepCopy()
	out.DefaultInferenceService(cfg.ISVC, cfg.Deploy, cfg.Security, nil)
	return out
}

// ValidateLLMInferenceService runs KServe's v1alpha2 validating webhook on
// svc, the version servelayer renders and KServe v0.17 stores (KServe has
// no defaulting webhook for it: its controller defaults at merge time).
func ValidateLLMInferenceService(ctx context.Context, svc *kservev1alpha2.LLMInferenceService) ([]string, error) {
	w, err := (&kservev1alpha2.LLMInferenceServiceValidator{}).ValidateCreate(ctx, svc.DeepCopy())
	if err != nil {
		return w, fmt.Errorf("v1alpha2 webhook: %w", err)
	}
	return w, nil
}

// AsV1alpha1 is svc as a client reading at v1alpha1 gets it: KServe's
// conversion webhook runs ConvertFrom. back is that object converted to
// v1alpha2 again (ConvertTo, what a v1alpha1 write of it stores).
func AsV1alpha1(svc *kservev1alpha2.LLMInferenceService) (old *kservev1alpha1.LLMInferenceService, back *kservev1alpha2.LLMInferenceService, err error) {
	old = &kservev1alpha1.LLMInferenceService{}
	if err := old.ConvertFrom(svc.DeepCopy()); err != nil {
		return nil, nil, fmt.Errorf("convert to v1alpha1: %w", err)
	}
	old.APIVersion, old.Kind = kservev1alpha1.SchemeGroupVersion.String(), "LLMInferenceService"
	back = &kservev1alpha2.LLMInferenceService{}
	if err := old.DeepCopy().ConvertTo(back); err != nil {
		return old, nil, fmt.Errorf("convert back to v1alpha2: %w", err)
	}
	back.APIVersion, back.Kind = svc.APIVersion, svc.Kind
	return old, back, nil
}

// CheckRequestsWithinLimits fails for every container whose request of a
// resource exceeds its limit of that resource (the Deployment KServe or llm-d
// generates from it is invalid and never rolls out), and for every extended
// resource (GPU) whose request is not equal to its limit.
func CheckRequestsWithinLimits(path string, spec *corev1.PodSpec) error {
	var errs []error
	check := func(kind string, cs []corev1.Container) {
		for i, c := range cs {
			names := make([]string, 0, len(c.Resources.Requests))
			for n := range c.Resources.Requests {
				names = append(names, string(n))
			}
			sort.Strings(names)
			for _, n := range names {
				req := c.Resources.Requests[corev1.ResourceName(n)]
				lim, ok := c.Resources.Limits[corev1.ResourceName(n)]
				switch {
				case isExtendedResource(corev1.ResourceName(n)) && (!ok || req.Cmp(lim) != 0):
					errs = append(errs, fmt.Errorf("%s.%s[%d] (%s): extended resource %s: request %s must equal its limit (limit %s)",
						path, kind, i, c.Name, n, req.String(), quantityOrUnset(lim, ok)))
				case ok && req.Cmp(lim) > 0:
					errs = append(errs, fmt.Errorf("%s.%s[%d] (%s): requests.%s %s > limits.%s %s",
						path, kind, i, c.Name, n, req.String(), n, lim.String()))
				}
			}
		}
	}
	check("initContainers", spec.InitContainers)
	check("containers", spec.Containers)
	return errors.Join(errs...)
}

func quantityOrUnset(q resource.Quantity, ok bool) string {
	if !ok {
		return "unset"
	}
	return q.String()
}
