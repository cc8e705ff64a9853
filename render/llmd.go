package render

import (
	"fmt"
	"slices"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// llmdContainer is the container name llm-d's presets merge into.
const llmdContainer = "main"

// nixlKVTransfer is vLLM's KV-transfer config for prefill/decode over NIXL.
const nixlKVTransfer = `{"kv_connector":"NixlConnector","kv_role":"kv_both"}`

// llmd renders one LLMInferenceService. KServe's llm-d presets own the
// vLLM command line (the model at /mnt/models, port, TLS); servelayer adds
// the image, the user's args and env, and explicit resources. The router
// block makes KServe create the HTTPRoute on llm-d's own gateway and the
// InferencePool with its KV/prefix-aware endpoint picker.
func (r *modelRender) llmd() []Object {
	m := r.model
	s := &m.Spec

	spec := llmisvcSpec{
		Model: llmModel{URI: llmdURI(s.Model.Source), Name: s.Model.Name},
		Router: &llmRouter{
			Route:     &struct{}{},
			Scheduler: &struct{}{},
			Gateway: &llmGateway{Refs: []untypedObjectRef{{
				Name: r.platform.LLMD.Gateway.Name, Namespace: r.platform.LLMD.Gateway.Namespace,
			}}},
		},
	}
	if d := s.Disaggregation; d != nil {
		spec.llmWorkload = r.llmdWorkload(d.Decode.Replicas, nil, s.PoolResources(&d.Decode))
		pre := r.llmdWorkload(d.Prefill.Replicas, nil, s.PoolResources(&d.Prefill))
		spec.Prefill = &pre
		// Prefill hands its KV cache to decode over NIXL. KServe's presets
		// add only the routing sidecar; vLLM needs the connector and the
		// side-channel address on both pools, or decode recomputes prefill.
		for _, w := range []*llmWorkload{&spec.llmWorkload, spec.Prefill} {
			main := &w.Template.Containers[0]
			main.Args = append(main.Args, "--kv-transfer-config", nixlKVTransfer)
			main.Env = append(main.Env, envVar{Name: "VLLM_NIXL_SIDE_CHANNEL_HOST",
				ValueFrom: &envVarSource{FieldRef: &fieldSelector{FieldPath: "status.podIP"}}})
		}
	} else {
		spec.llmWorkload = r.llmdWorkload(s.Replicas, s.Scaling, &s.Resources)
	}

	obj := &llmInferenceService{
		typeMeta: typeMeta{APIVersion: "serving.kserve.io/v1alpha1", Kind: "LLMInferenceService"},
		Metadata: r.meta(m.Name, componentVLLM),
		Spec:     spec,
	}
	// The CRD is too large for client-side apply's last-applied annotation.
	obj.Metadata.Annotations = map[string]string{AnnotationArgoSyncOptions: "ServerSideApply=true"}
	if s.Paused {
		obj.Metadata.Annotations[AnnotationStop] = "true"
	}
	return []Object{r.object("serving.kserve.io/v1alpha1", "LLMInferenceService", m.Name, obj)}
}

func (r *modelRender) llmdWorkload(replicas *int32, sc *schema.Scaling, res *schema.Resources) llmWorkload {
	s := &r.model.Spec
	w := llmWorkload{Template: &podSpec{
		// KServe's presets merge into this template; the decode preset adds
		// a routing sidecar without a seccomp profile, so set it pod-wide.
		SecurityContext: &podSecurityContext{SeccompProfile: &seccompProfile{Type: "RuntimeDefault"}},
		Containers: []container{{
			Name:            llmdContainer,
			Image:           s.Engine.Image,
			Args:            slices.Clone(s.Engine.Args),
			Env:             envVars(s.Engine.Env),
			Resources:       r.resources(res),
			SecurityContext: hardened(false),
		}},
	}}
	w.Template.NodeSelector, w.Template.Tolerations = r.gpuScheduling(res)
	if sc == nil {
		w.Replicas = ptr(*replicas)
		return w
	}
	// llm-d autoscales through the Workload Variant Autoscaler, whose CEL
	// rules require an actuator; HPA needs nothing else in the spec.
	// Validation refuses minReplicas 0: llm-d's floor is 1.
	w.Scaling = &llmScaling{MinReplicas: ptr(*sc.MinReplicas), MaxReplicas: ptr(sc.MaxReplicas), WVA: &llmWVA{HPA: &struct{}{}}}
	return w
}

// llmdURI is the model URI KServe's storage stages for llm-d.
func llmdURI(src schema.ModelSource) string {
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

// llmdAPIBase is the path KServe's managed HTTPRoute serves on llm-d's gateway.
func llmdAPIBase(m *schema.ServedModel, p *schema.PlatformSpec) string {
	return fmt.Sprintf("%s/%s/%s/v1", strings.TrimSuffix(p.LLMD.Gateway.URL, "/"), m.Namespace, m.Name)
}
