package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/schema"
)

// Labels every rendered object carries, so a GitOps repo can find (and
// prune) one layer's objects after a move.
const (
	LabelName      = k8s.LabelName
	LabelComponent = k8s.LabelComponent
	LabelPartOf    = k8s.LabelPartOf
	LabelManagedBy = k8s.LabelManagedBy
	LabelLayer     = k8s.LabelLayer
)

// defaultModel fills m's defaults, the layer-independent ones and its
// layer's; it returns the layer's home, nil for an unknown layer (which
// validation then refuses).
func defaultModel(m *schema.ServedModel, p *schema.PlatformSpec) layer.Layer {
	m.Default(p)
	home, ok := layers.Get(m.Spec.Layer)
	if !ok {
		return nil
	}
	home.Default(m, p)
	return home
}

// validate runs every check of a defaulted model, in the order results
// report them: schema's (with the rule table's rows and the layer's gate
// and name suffix), then the layer's own; then, only for a valid model,
// the warnings: the rule table's, the model's and the layer's.
func validate(m *schema.ServedModel, home layer.Layer, p *schema.PlatformSpec, gated bool) (field.ErrorList, []layer.Warning) {
	var facts *schema.LayerFacts
	if home != nil {
		facts = &schema.LayerFacts{Gate: home.Gate(), Enabled: !gated || home.Enabled(p), NameSuffix: home.NameSuffix()}
	}
	errs := schema.ValidateServedModel(m, p, gated, facts)
	if home == nil {
		return errs, nil
	}
	homeErrs, homeWarnings := home.Validate(m, p, gated)
	if errs = append(errs, homeErrs...); len(errs) > 0 {
		return errs, nil
	}
	var ws []layer.Warning
	for _, w := range append(schema.RuleWarnings(m, p, gated), schema.EngineArgWarnings(m)...) {
		ws = append(ws, layer.Warning{Field: w.Field, Value: w.Value, Message: w.Message})
	}
	ws = append(ws, claimWarnings(m)...)
	ws = append(ws, homeWarnings...)
	return nil, append(ws, capacityWarnings(m, p, gated)...)
}

// part is which of a model's builders made an object: its layer's home,
// the claim it provisions or its LiteLLM entry. A Fleet records it with
// each object's identity, so that writing the object runs only that
// builder again.
type part uint8

const (
	partHome part = 1 << iota
	partClaim
	partRoute
	partStage
	allParts = partHome | partClaim | partRoute | partStage
	// partFleetRoute is the fleet form's LiteLLM ConfigMap: no one model's,
	// built from all of them (Fleet.fleetConfigMap).
	partFleetRoute part = 1 << 7
)

// build renders a valid, defaulted model: its layer's objects, the claim
// it provisions and its LiteLLM entry (those of parts only).
func build(m *schema.ServedModel, home layer.Layer, p *schema.PlatformSpec, ref ObjectRef, input int, parts part) []Object {
	wrap := func(o k8s.Object, from part) Object {
		return Object{Ref: ObjectRef{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}, Model: ref, manifest: o.Manifest, input: input, part: from}
	}
	var objs []Object
	if parts&partHome != 0 {
		for _, o := range home.Objects(m, p) {
			objs = append(objs, wrap(o, partHome))
		}
	}
	if parts&partClaim != 0 {
		if pvc, ok := provisionedClaim(m); ok {
			objs = append(objs, wrap(pvc, partClaim))
		}
	}
	if parts&partStage != 0 {
		if job, ok := stageJob(m, p); ok {
			objs = append(objs, wrap(job, partStage))
		}
	}
	if parts&partRoute != 0 {
		if cm, entries, ok := liteLLMConfigMap(m, home.APIBase(m, p), p); ok {
			o := wrap(cm, partRoute)
			o.routes = entries
			objs = append(objs, o)
		}
	}
	return objs
}

// APIBase is the OpenAI-compatible base URL LiteLLM calls for model m on
// its layer (a concrete one), with m's defaults filled on a copy.
func APIBase(m *schema.ServedModel, p *schema.PlatformSpec) string {
	c := m.DeepCopy()
	home := defaultModel(c, p)
	if home == nil {
		return ""
	}
	return home.APIBase(c, p)
}

// provisionedClaim renders the model-cache claim when the spec asks for
// one; an existing pre-staged claim is referenced, never re-created.
func provisionedClaim(m *schema.ServedModel) (k8s.Object, bool) {
	src := m.Spec.Model.Source.PVC
	if src == nil || src.Provision == nil {
		return k8s.Object{}, false
	}
	pr := src.Provision
	pvc := &k8s.PersistentVolumeClaim{
		TypeMeta: k8s.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		Metadata: k8s.Meta(m, src.ClaimName, "model-cache"),
		Spec: k8s.PVCSpec{
			AccessModes: []string{claimAccessMode(pr)},
			Resources:   k8s.ResourceRequirements{Requests: map[string]string{"storage": string(pr.Size)}},
		},
	}
	if pr.StorageClassName != "" {
		pvc.Spec.StorageClassName = k8s.Ptr(pr.StorageClassName)
	}
	// Staged weights are expensive: Argo CD must not prune or delete them.
	k8s.AddSyncOptions(&pvc.Metadata, "Prune=false", "Delete=false")
	if src.Stage != nil {
		// With its staging Job, whose pod binds it. Without one the claim
		// stays at wave 0: Argo CD reports a Pending claim as Progressing,
		// and a WaitForFirstConsumer claim stays Pending until the model
		// server (wave 0) mounts it, so wave -1 would wait for ever.
		k8s.SetSyncWave(&pvc.Metadata, k8s.SyncWaveStage)
	}
	return k8s.NewObject("v1", "PersistentVolumeClaim", m, src.ClaimName, pvc), true
}

func claimAccessMode(pr *schema.PVCProvision) string {
	if pr.AccessMode == "" {
		return "ReadWriteOnce"
	}
	return pr.AccessMode
}

// claimWarnings warns when a provisioned ReadWriteOnce claim is mounted by
// more pods than one node can hold.
func claimWarnings(m *schema.ServedModel) []layer.Warning {
	src := m.Spec.Model.Source.PVC
	if src == nil || src.Provision == nil {
		return nil
	}
	if mode := claimAccessMode(src.Provision); mode == "ReadWriteOnce" && maxPods(&m.Spec) > 1 {
		return []layer.Warning{{Field: "spec.model.source.pvc.provision.accessMode", Value: mode, Message: fmt.Sprintf(
			"up to %d pods mount this claim, but a ReadWriteOnce volume attaches to one node: pods on other nodes fail with Multi-Attach errors; use ReadOnlyMany (weights are read-only) or ReadWriteMany", maxPods(&m.Spec))}}
	}
	return nil
}

// maxPods is the most model-server pods that can run at once.
func maxPods(s *schema.ServedModelSpec) int32 {
	switch {
	case s.Disaggregation != nil:
		return *s.Disaggregation.Prefill.Replicas + *s.Disaggregation.Decode.Replicas
	case s.Scaling != nil:
		return s.Scaling.MaxReplicas
	default:
		return *s.Replicas
	}
}

// capacityWarnings warns when the Platform cannot schedule every replica
// of a single-pool model (a disaggregated model's pools are its layer's to
// check).
func capacityWarnings(m *schema.ServedModel, p *schema.PlatformSpec, gated bool) []layer.Warning {
	s := &m.Spec
	if !gated || p.GPUs == nil || s.Disaggregation != nil || s.Resources.GPUs == 0 {
		return nil
	}
	per, n := s.Resources.GPUs, int32(1)
	if s.Replicas != nil {
		n = *s.Replicas
	} else if s.Scaling != nil {
		n = max(*s.Scaling.MinReplicas, 1)
	}
	if per*n <= *p.GPUs {
		return nil
	}
	return []layer.Warning{{Field: "spec.resources.gpus", Value: per, Message: fmt.Sprintf(
		"%d replica(s) of %d GPU(s) need %d GPU(s) but the Platform has %d: some replicas will stay Pending", n, per, per*n, *p.GPUs)}}
}
