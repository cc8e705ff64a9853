package conformance

import (
	"encoding/json"
	"fmt"

	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	lwsv1 "sigs.k8s.io/lws/api/leaderworkerset/v1"
)

// PodTemplate is a pod spec inside a rendered object, from which a
// controller (Deployment, KServe, llm-d) creates pods.
type PodTemplate struct {
	// Path is the field path of the pod spec in the object.
	Path string
	// Meta is the metadata the pods get as far as the object tells.
	Meta metav1.ObjectMeta
	Spec *corev1.PodSpec
}

// PodTemplates lists the pod specs of a strictly decoded object. Kinds that
// create no pods have none.
func PodTemplates(obj runtime.Object) ([]PodTemplate, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return []PodTemplate{{Path: "spec.template.spec", Meta: o.Spec.Template.ObjectMeta, Spec: &o.Spec.Template.Spec}}, nil
	case *batchv1.Job:
		return []PodTemplate{{Path: "spec.template.spec", Meta: o.Spec.Template.ObjectMeta, Spec: &o.Spec.Template.Spec}}, nil
	case *lwsv1.LeaderWorkerSet:
		t := &o.Spec.LeaderWorkerTemplate
		var out []PodTemplate
		if l := t.LeaderTemplate; l != nil {
			out = append(out, PodTemplate{Path: "spec.leaderWorkerTemplate.leaderTemplate.spec", Meta: l.ObjectMeta, Spec: &l.Spec})
		}
		return append(out, PodTemplate{Path: "spec.leaderWorkerTemplate.workerTemplate.spec", Meta: t.WorkerTemplate.ObjectMeta, Spec: &t.WorkerTemplate.Spec}), nil
	case *kservev1beta1.InferenceService:
		var out []PodTemplate
		add := func(path string, ps *kservev1beta1.PodSpec, labels, annotations map[string]string) error {
			spec, err := corePodSpec(ps)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			meta := *o.ObjectMeta.DeepCopy()
			meta.Labels = merge(meta.Labels, labels)
			meta.Annotations = merge(meta.Annotations, annotations)
			out = append(out, PodTemplate{Path: path, Meta: meta, Spec: spec})
			return nil
		}
		p := &o.Spec.Predictor
		if err := add("spec.predictor", &p.PodSpec, p.Labels, p.Annotations); err != nil {
			return nil, err
		}
		if t := o.Spec.Transformer; t != nil {
			if err := add("spec.transformer", &t.PodSpec, t.Labels, t.Annotations); err != nil {
				return nil, err
			}
		}
		if e := o.Spec.Explainer; e != nil {
			if err := add("spec.explainer", &e.PodSpec, e.Labels, e.Annotations); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *kservev1alpha2.LLMInferenceService:
		var out []PodTemplate
		workload := func(path string, w *kservev1alpha2.WorkloadSpec) {
			meta := *o.ObjectMeta.DeepCopy()
			meta.Labels = merge(meta.Labels, w.Labels)
			meta.Annotations = merge(meta.Annotations, w.Annotations)
			if w.Template != nil {
				out = append(out, PodTemplate{Path: path + "template", Meta: meta, Spec: w.Template})
			}
			if w.Worker != nil {
				out = append(out, PodTemplate{Path: path + "worker", Meta: meta, Spec: w.Worker})
			}
		}
		workload("spec.", &o.Spec.WorkloadSpec)
		if o.Spec.Prefill != nil {
			workload("spec.prefill.", o.Spec.Prefill)
		}
		if r := o.Spec.Router; r != nil && r.Scheduler != nil && r.Scheduler.Template != nil {
			meta := *o.ObjectMeta.DeepCopy()
			meta.Labels = merge(meta.Labels, r.Scheduler.Labels)
			meta.Annotations = merge(meta.Annotations, r.Scheduler.Annotations)
			out = append(out, PodTemplate{Path: "spec.router.scheduler.template", Meta: meta, Spec: r.Scheduler.Template})
		}
		return out, nil
	}
	return nil, nil
}

// corePodSpec converts KServe's copy of PodSpec to corev1.PodSpec, strictly:
// a field that does not survive the conversion is an error.
func corePodSpec(ps *kservev1beta1.PodSpec) (*corev1.PodSpec, error) {
	data, err := json.Marshal(ps)
	if err != nil {
		return nil, err
	}
	out := &corev1.PodSpec{}
	if err := strictJSON(data, out); err != nil {
		return nil, fmt.Errorf("KServe PodSpec to corev1.PodSpec: %w", err)
	}
	return out, nil
}

func merge(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// LoadLLMDPresetTemplate reads one of KServe's llm-d presets (an
// LLMInferenceServiceConfig) strictly and returns its pod template at path
// (spec.template, spec.prefill.template or spec.worker).
func LoadLLMDPresetTemplate(file, path string) (*corev1.PodSpec, error) {
	cfg, err := loadLLMDPreset(file)
	if err != nil {
		return nil, err
	}
	var spec *corev1.PodSpec
	switch path {
	case "spec.template":
		spec = cfg.Spec.Template
	case "spec.prefill.template":
		if cfg.Spec.Prefill != nil {
			spec = cfg.Spec.Prefill.Template
		}
	case "spec.worker":
		spec = cfg.Spec.Worker
	default:
		return nil, fmt.Errorf("unsupported preset path %s", path)
	}
	if spec == nil {
		return nil, fmt.Errorf("%s has no %s", file, path)
	}
	return spec, nil
}
