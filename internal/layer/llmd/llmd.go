// Package llmd is the llm-d layer's home: one LLMInferenceService, merged
// by KServe into its llm-d presets, with the router (HTTPRoute, InferencePool
// and endpoint picker) on llm-d's own gateway.
package llmd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

const (
	// Container is the container name llm-d's presets merge into.
	Container = "main"
	// ModelsDir is where KServe's storage puts the weights.
	ModelsDir = "/mnt/models"
	// nixlKVTransfer is vLLM's KV-transfer config for prefill/decode over NIXL.
	nixlKVTransfer = `{"kv_connector":"NixlConnector","kv_role":"kv_both"}`
	apiVersion     = "serving.kserve.io/v1alpha1"
	kind           = "LLMInferenceService"
)

// Layer is llm-d.
type Layer struct{}

var _ layer.Layer = Layer{}

func (Layer) Name() schema.Layer                      { return schema.LayerLLMD }
func (Layer) Gate() string                            { return "llmd" }
func (Layer) Enabled(p *schema.PlatformSpec) bool     { return p.Features.LLMD }
func (Layer) Enable(p *schema.PlatformSpec)           { p.Features.LLMD = true }
func (Layer) Namespace(p *schema.PlatformSpec) string { return p.Namespaces.LLMD }
func (Layer) NameSuffix() string                      { return "-kserve-router-scheduler" }
func (Layer) Plan() layer.Planner                     { return planner{} }

// APIBase is the path KServe's managed HTTPRoute serves on llm-d's gateway.
func (Layer) APIBase(m *schema.ServedModel, p *schema.PlatformSpec) string {
	return fmt.Sprintf("%s/%s/%s/v1", strings.TrimSuffix(p.LLMD.Gateway.URL, "/"), m.Namespace, m.Name)
}

// Default leaves the image empty: llm-d's presets bring their own (built
// with NIXL for prefill/decode KV transfer); only an explicit one overrides it.
func (Layer) Default(m *schema.ServedModel, p *schema.PlatformSpec) {
	if m.Namespace == "" {
		m.Namespace = p.Namespaces.LLMD
	}
}

// Validate refuses "{{" in what KServe's controller runs through Go's
// text/template, and warns about pools that cannot serve as asked.
func (Layer) Validate(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) (field.ErrorList, []layer.Warning) {
	s := &m.Spec
	errs := templateErrors(s)
	d := s.Disaggregation
	if d == nil {
		return errs, nil
	}
	var ws []layer.Warning
	for _, pool := range []struct {
		path string
		p    *schema.Pool
	}{{"spec.disaggregation.prefill", &d.Prefill}, {"spec.disaggregation.decode", &d.Decode}} {
		if s.PoolResources(pool.p).GPUs == 0 && s.Resources.GPUs > 0 {
			ws = append(ws, layer.Warning{Field: pool.path + ".resources.gpus", Value: 0,
				Message: "this pool's resources override the model's and request no GPU; set gpus in the pool's resources"})
		}
	}
	if *d.Decode.Replicas == 0 {
		ws = append(ws, layer.Warning{Field: "spec.disaggregation.decode.replicas", Value: 0,
			Message: "no decode replica: nothing serves tokens; use spec.paused: true to idle the model"})
	}
	if gated && p.GPUs != nil {
		pre := s.PoolResources(&d.Prefill).GPUs * *d.Prefill.Replicas
		dec := s.PoolResources(&d.Decode).GPUs * *d.Decode.Replicas
		if pre+dec > *p.GPUs {
			ws = append(ws, layer.Warning{Field: "spec.disaggregation", Message: fmt.Sprintf(
				"prefill needs %d GPU(s) and decode %d, but the Platform has %d: rendered anyway, but only one pool will schedule until more GPUs join",
				pre, dec, *p.GPUs)})
		}
	}
	return errs, ws
}

// templateErrors: KServe's LLMInferenceService controller merges the spec
// into its presets and runs the result through Go's text/template
// (ReplaceVariables), so "{{" in an argument or environment value would be
// evaluated, or fail the reconcile, instead of reaching vLLM.
func templateErrors(s *schema.ServedModelSpec) field.ErrorList {
	const why = "on llm-d KServe's controller evaluates \"{{\" as a Go template; put the text in a file (a ConfigMap mount) and pass its path"
	var errs field.ErrorList
	ep := field.NewPath("spec", "engine")
	for i, a := range s.Engine.Args {
		if strings.Contains(a, "{{") {
			errs = append(errs, field.Invalid(ep.Child("args").Index(i), a, why))
		}
	}
	for i, e := range s.Engine.Env {
		if strings.Contains(e.Value, "{{") {
			errs = append(errs, field.Invalid(ep.Child("env").Index(i).Child("value"), e.Value, why))
		}
	}
	return errs
}

// Objects renders one LLMInferenceService. KServe's llm-d presets own the
// vLLM command line (the model at /mnt/models, port, TLS); servelayer adds
// the image, the user's args and env, and explicit resources. The router
// block makes KServe create the HTTPRoute on llm-d's own gateway and the
// InferencePool with its KV/prefix-aware endpoint picker.
func (Layer) Objects(m *schema.ServedModel, p *schema.PlatformSpec) []k8s.Object {
	s := &m.Spec
	spec := k8s.LLMInferenceServiceSpec{
		Model: k8s.LLMModel{URI: URI(s.Model.Source), Name: s.Model.Name},
		Router: &k8s.LLMRouter{
			Route:     &struct{}{},
			Scheduler: &struct{}{},
			Gateway: &k8s.LLMGateway{Refs: []k8s.UntypedObjectRef{{
				Name: p.LLMD.Gateway.Name, Namespace: p.LLMD.Gateway.Namespace,
			}}},
		},
	}
	if d := s.Disaggregation; d != nil {
		spec.LLMWorkload = workload(m, p, d.Decode.Replicas, nil, s.PoolResources(&d.Decode))
		pre := workload(m, p, d.Prefill.Replicas, nil, s.PoolResources(&d.Prefill))
		spec.Prefill = &pre
		// Prefill hands its KV cache to decode over NIXL. KServe's presets
		// add only the routing sidecar; vLLM needs the connector and the
		// side-channel address on both pools, or decode recomputes prefill.
		for _, w := range []*k8s.LLMWorkload{&spec.LLMWorkload, spec.Prefill} {
			main := &w.Template.Containers[0]
			main.Args = append(main.Args, "--kv-transfer-config", nixlKVTransfer)
			main.Env = append(main.Env, k8s.EnvVar{Name: "VLLM_NIXL_SIDE_CHANNEL_HOST",
				ValueFrom: &k8s.EnvVarSource{FieldRef: &k8s.FieldSelector{FieldPath: "status.podIP"}}})
		}
	} else {
		spec.LLMWorkload = workload(m, p, s.Replicas, s.Scaling, &s.Resources)
	}

	obj := &k8s.LLMInferenceService{
		TypeMeta: k8s.TypeMeta{APIVersion: apiVersion, Kind: kind},
		Metadata: k8s.Meta(m, m.Name, k8s.ComponentModelServer),
		Spec:     spec,
	}
	// The CRD is too large for client-side apply's last-applied annotation.
	obj.Metadata.Annotations = map[string]string{k8s.AnnotationArgoSyncOptions: "ServerSideApply=true"}
	if s.Paused {
		obj.Metadata.Annotations[k8s.AnnotationStop] = "true"
	}
	return []k8s.Object{k8s.NewObject(apiVersion, kind, m, m.Name, obj)}
}

func workload(m *schema.ServedModel, p *schema.PlatformSpec, replicas *int32, sc *schema.Scaling, res *schema.Resources) k8s.LLMWorkload {
	s := &m.Spec
	w := k8s.LLMWorkload{Template: &k8s.PodSpec{
		// KServe's presets merge into this template; the decode preset adds
		// a routing sidecar without a seccomp profile, so set it pod-wide.
		SecurityContext: &k8s.PodSecurityContext{SeccompProfile: k8s.RuntimeDefaultSeccomp()},
		Containers: []k8s.Container{{
			Name:            Container,
			Image:           s.Engine.Image,
			Args:            k8s.EngineArgs(s),
			Env:             k8s.EnvVars(s.Engine.Env),
			Resources:       k8s.Resources(res, p),
			SecurityContext: k8s.Hardened(false),
		}},
	}}
	w.Template.NodeSelector, w.Template.Tolerations = k8s.GPUScheduling(res, p)
	if sc == nil {
		w.Replicas = k8s.Ptr(*replicas)
		return w
	}
	// llm-d autoscales through the Workload Variant Autoscaler, whose CEL
	// rules require an actuator; HPA needs nothing else in the spec. The
	// rule table refuses minReplicas 0: llm-d's floor is 1.
	w.Scaling = &k8s.LLMScaling{MinReplicas: k8s.Ptr(*sc.MinReplicas), MaxReplicas: k8s.Ptr(sc.MaxReplicas), WVA: &k8s.LLMWVA{HPA: &struct{}{}}}
	return w
}

// URI is the model URI KServe's storage stages for llm-d.
func URI(src schema.ModelSource) string {
	switch {
	case src.PVC != nil:
		return "pvc://" + src.PVC.ClaimName + "/" + src.PVC.Path
	case src.OCI != "":
		repo, digest := schema.SplitOCI(src.OCI)
		return "oci://" + repo + "@" + digest
	default:
		return "hf://" + strings.TrimPrefix(src.HF, "hf://")
	}
}
