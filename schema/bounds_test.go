package schema_test

// Bounds stated once: the CRD markers on the types (+kubebuilder:validation:
// Minimum, Maximum, Enum, MinLength, MaxLength) are the one statement of a
// field's numeric bounds and enums. This test reads every such bound from the
// embedded CRDs, derives its boundary cases, and proves ValidateServedModel
// and ValidatePlatform agree with each: a value the CRD accepts draws no
// error at that field, and a value it rejects draws an error at exactly that
// field naming the value (or, for too-long strings, the limit).
//
// Every bound needs an entry in boundSetups, which puts a value into a
// minimal valid ServedModel and Platform with whatever context the field's
// other rules need. The test fails on a CRD bound without an entry (so a new
// marker cannot land without proving validation agrees), on an entry whose
// path the CRD no longer has, and on a bound keyword it does not know how to
// test.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/layers"
	"github.com/servelayer/servelayer/schema"
)

// knownDisagreements are boundary cases where validation and the CRD
// disagree today, keyed by case name as the test prints it. They do not fail
// the test, but each must still disagree: once fixed (a marker added to
// types.go, or validation changed), the test fails until its entry is removed.
var knownDisagreements = map[string]string{}

// unboundedLen is the length of the in-bound probe for a string the CRD
// bounds below (minLength) but not above: well past any limit validation
// states, so a limit validation has and the CRD lacks shows up.
const unboundedLen = 4096

// boundSetup puts one field's value into a fixture. Setup runs before
// defaulting, the way render sees a user's object: Platform.Default(), then
// ServedModel.Default(&platform.Spec), then validation.
type boundSetup struct {
	// at is the field path errors are expected at, with a concrete index,
	// when the CRD path has [] (every item of a list).
	at string
	// setInt sets an integer field; setStr a string one (enums and lengths).
	setInt func(f *fixture, v int32)
	setStr func(f *fixture, v string)
	// wide is a multi-byte character the field accepts; when set, a field
	// with a maxLength is also tried at maxLength characters of it, since the
	// CRD counts characters, not bytes.
	wide rune
}

// boundSetups has one entry per CRD field that carries a bound, keyed by
// kind and JSON path.
var boundSetups = map[string]boundSetup{
	"ServedModel spec.network.rdma.count": {
		setInt: func(f *fixture, v int32) {
			f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Count: &v}}
		},
	},
	"ServedModel spec.network.rdma.capabilities[]": {
		at: "spec.network.rdma.capabilities[0]",
		setStr: func(f *fixture, v string) {
			f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Capabilities: []schema.RDMACapability{schema.RDMACapability(v)}}}
		},
	},
	"ServedModel spec.disaggregation.prefill.network.rdma.count": {
		setInt: func(f *fixture, v int32) { // the other pool takes the model's
			d := f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib"}}
			d.Prefill.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Count: &v}}
		},
	},
	"ServedModel spec.disaggregation.prefill.network.rdma.capabilities[]": {
		at: "spec.disaggregation.prefill.network.rdma.capabilities[0]",
		setStr: func(f *fixture, v string) {
			d := f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib"}}
			d.Prefill.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Capabilities: []schema.RDMACapability{schema.RDMACapability(v)}}}
		},
	},
	"ServedModel spec.disaggregation.decode.network.rdma.count": {
		setInt: func(f *fixture, v int32) { // the other pool takes the model's
			d := f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib"}}
			d.Decode.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Count: &v}}
		},
	},
	"ServedModel spec.disaggregation.decode.network.rdma.capabilities[]": {
		at: "spec.disaggregation.decode.network.rdma.capabilities[0]",
		setStr: func(f *fixture, v string) {
			d := f.disaggregated()
			f.model.Spec.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib"}}
			d.Decode.Network = &schema.Network{RDMA: &schema.RDMA{Resource: "rdma/ib", Capabilities: []schema.RDMACapability{schema.RDMACapability(v)}}}
		},
	},
	"ServedModel spec.scheduler.profile": {
		setStr: func(f *fixture, v string) { f.scheduler(&schema.Scheduler{Profile: schema.SchedulerProfile(v)}) },
	},
	"ServedModel spec.scheduler.blockSize": {
		setInt: func(f *fixture, v int32) {
			f.scheduler(&schema.Scheduler{Profile: schema.SchedulerPrecisePrefixCache, BlockSize: &v})
		},
	},
	"ServedModel spec.scheduler.config.configMapRef.name": {
		setStr: func(f *fixture, v string) {
			f.scheduler(&schema.Scheduler{Config: &schema.SchedulerConfig{ConfigMapRef: &schema.ConfigMapKeyRef{Name: v}}})
		},
	},
	"ServedModel spec.scheduler.config.configMapRef.key": {
		setStr: func(f *fixture, v string) {
			f.scheduler(&schema.Scheduler{Config: &schema.SchedulerConfig{ConfigMapRef: &schema.ConfigMapKeyRef{Name: "epp", Key: v}}})
		},
	},
	"ServedModel spec.disaggregation.kvConnector": {
		setStr: func(f *fixture, v string) { f.disaggregated().KVConnector = schema.KVConnector(v) },
	},
	"ServedModel spec.parallelism.tensor": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Parallelism = &schema.Parallelism{Tensor: &v} },
	},
	"ServedModel spec.parallelism.pipeline": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Parallelism = &schema.Parallelism{Pipeline: &v} },
	},
	"ServedModel spec.parallelism.data": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Parallelism = &schema.Parallelism{Data: &v} },
	},
	"ServedModel spec.disaggregation.prefill.parallelism.tensor": {
		setInt: func(f *fixture, v int32) { // a pod of as many GPUs: llm-d spans pods only by data parallelism
			d := f.disaggregated()
			d.Prefill.Parallelism = &schema.Parallelism{Tensor: &v}
			d.Prefill.Resources = poolResources(min(max(v, 1), 64))
		},
	},
	"ServedModel spec.disaggregation.prefill.parallelism.pipeline": {
		setInt: func(f *fixture, v int32) { // a pod of as many GPUs: llm-d spans pods only by data parallelism
			d := f.disaggregated()
			d.Prefill.Parallelism = &schema.Parallelism{Pipeline: &v}
			d.Prefill.Resources = poolResources(min(max(v, 1), 64))
		},
	},
	"ServedModel spec.disaggregation.prefill.parallelism.data": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Prefill.Parallelism = &schema.Parallelism{Data: &v} },
	},
	"ServedModel spec.disaggregation.prefill.engine.env[].name": {
		at:     "spec.disaggregation.prefill.engine.env[1].name",
		setStr: func(f *fixture, v string) { f.poolEnv(&f.disaggregated().Prefill, schema.EnvVar{Name: v, Value: "1"}) },
	},
	"ServedModel spec.disaggregation.prefill.engine.env[].secretKeyRef.name": {
		at: "spec.disaggregation.prefill.engine.env[1].secretKeyRef.name",
		setStr: func(f *fixture, v string) {
			f.poolEnv(&f.disaggregated().Prefill, schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: v, Key: "token"}})
		},
	},
	"ServedModel spec.disaggregation.prefill.engine.env[].secretKeyRef.key": {
		at: "spec.disaggregation.prefill.engine.env[1].secretKeyRef.key",
		setStr: func(f *fixture, v string) {
			f.poolEnv(&f.disaggregated().Prefill, schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: "hf", Key: v}})
		},
	},
	"ServedModel spec.disaggregation.decode.parallelism.tensor": {
		setInt: func(f *fixture, v int32) { // a pod of as many GPUs: llm-d spans pods only by data parallelism
			d := f.disaggregated()
			d.Decode.Parallelism = &schema.Parallelism{Tensor: &v}
			d.Decode.Resources = poolResources(min(max(v, 1), 64))
		},
	},
	"ServedModel spec.disaggregation.decode.parallelism.pipeline": {
		setInt: func(f *fixture, v int32) { // a pod of as many GPUs: llm-d spans pods only by data parallelism
			d := f.disaggregated()
			d.Decode.Parallelism = &schema.Parallelism{Pipeline: &v}
			d.Decode.Resources = poolResources(min(max(v, 1), 64))
		},
	},
	"ServedModel spec.disaggregation.decode.parallelism.data": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Decode.Parallelism = &schema.Parallelism{Data: &v} },
	},
	"ServedModel spec.disaggregation.decode.engine.env[].name": {
		at:     "spec.disaggregation.decode.engine.env[1].name",
		setStr: func(f *fixture, v string) { f.poolEnv(&f.disaggregated().Decode, schema.EnvVar{Name: v, Value: "1"}) },
	},
	"ServedModel spec.disaggregation.decode.engine.env[].secretKeyRef.name": {
		at: "spec.disaggregation.decode.engine.env[1].secretKeyRef.name",
		setStr: func(f *fixture, v string) {
			f.poolEnv(&f.disaggregated().Decode, schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: v, Key: "token"}})
		},
	},
	"ServedModel spec.disaggregation.decode.engine.env[].secretKeyRef.key": {
		at: "spec.disaggregation.decode.engine.env[1].secretKeyRef.key",
		setStr: func(f *fixture, v string) {
			f.poolEnv(&f.disaggregated().Decode, schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: "hf", Key: v}})
		},
	},
	// ServedModel. The base model is raw-vllm on a pvc, replicas 1.
	"ServedModel spec.replicas": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Replicas = &v }, // raw-vllm: 0 is fine (kserve Standard clamps it)
	},
	"ServedModel spec.resources.gpus": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Resources.GPUs = v },
	},
	"ServedModel spec.scaling.minReplicas": { // scaling needs an autoscaler, and 0 needs KServe Knative mode
		setInt: func(f *fixture, v int32) {
			f.kserve("Knative")
			f.model.Spec.Scaling = &schema.Scaling{MinReplicas: &v, MaxReplicas: 1000}
		},
	},
	"ServedModel spec.scaling.maxReplicas": {
		setInt: func(f *fixture, v int32) {
			f.kserve("Standard")
			f.model.Spec.Scaling = &schema.Scaling{MaxReplicas: v} // minReplicas defaults to 1
		},
	},
	"ServedModel spec.rollout.canaryTrafficPercent": { // a canary needs kserve in Knative mode
		setInt: func(f *fixture, v int32) {
			f.kserve("Knative")
			f.model.Spec.Rollout = &schema.Rollout{CanaryTrafficPercent: &v}
		},
	},
	"ServedModel spec.disaggregation.prefill.replicas": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Prefill.Replicas = &v },
	},
	"ServedModel spec.disaggregation.decode.replicas": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Decode.Replicas = &v },
	},
	"ServedModel spec.disaggregation.prefill.resources.gpus": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Prefill.Resources = poolResources(v) },
	},
	"ServedModel spec.disaggregation.decode.resources.gpus": {
		setInt: func(f *fixture, v int32) { f.disaggregated().Decode.Resources = poolResources(v) },
	},
	// Layer auto is resolved by render (render.ChooseLayer) before defaulting
	// and validation, so render never validates it; ValidateServedModel
	// accepts it for direct callers and runs only the layer-independent
	// checks. The case checks exactly that, without going through render:
	// what render then picks is ChooseLayer's business, not this bound's.
	"ServedModel spec.layer": {
		setStr: func(f *fixture, v string) { f.model.Spec.Layer = schema.Layer(v) },
	},
	"ServedModel spec.model.name": {
		setStr: func(f *fixture, v string) { f.model.Spec.Model.Name = v },
		wide:   'é',
	},
	"ServedModel spec.model.source.pvc.claimName": {
		setStr: func(f *fixture, v string) { f.model.Spec.Model.Source.PVC.ClaimName = v },
	},
	"ServedModel spec.model.source.pvc.path": {
		setStr: func(f *fixture, v string) { f.model.Spec.Model.Source.PVC.Path = v },
	},
	"ServedModel spec.model.source.pvc.provision.accessMode": {
		setStr: func(f *fixture, v string) {
			f.model.Spec.Model.Source.PVC.Provision = &schema.PVCProvision{Size: "50Gi", AccessMode: v}
		},
	},
	"ServedModel spec.model.adapters[].name": {
		at:     "spec.model.adapters[0].name",
		setStr: func(f *fixture, v string) { f.model.Spec.Model.Adapters = []schema.Adapter{{Name: v, Path: "lora"}} },
		wide:   'é',
	},
	"ServedModel spec.model.adapters[].alias": {
		at: "spec.model.adapters[0].alias",
		setStr: func(f *fixture, v string) {
			f.model.Spec.Model.Adapters = []schema.Adapter{{Name: "sql", Path: "lora", Alias: v}}
		},
		wide: 'é',
	},
	"ServedModel spec.model.adapterLimits.maxRank": { // 8 and 512 are ranks vLLM accepts
		setInt: func(f *fixture, v int32) {
			f.model.Spec.Model.Adapters = []schema.Adapter{{Name: "sql", Path: "lora"}}
			f.model.Spec.Model.AdapterLimits = &schema.AdapterLimits{MaxRank: &v}
		},
	},
	"ServedModel spec.model.adapterLimits.maxLoaded": {
		setInt: func(f *fixture, v int32) {
			f.model.Spec.Model.Adapters = []schema.Adapter{{Name: "sql", Path: "lora"}}
			f.model.Spec.Model.AdapterLimits = &schema.AdapterLimits{MaxLoaded: &v}
		},
	},
	"ServedModel spec.scaling.metric": { // raw-vllm scales on every metric through KEDA
		setStr: func(f *fixture, v string) {
			f.platform.Spec.Prometheus.URL = "http://prometheus.monitoring:9090"
			f.model.Spec.Scaling = &schema.Scaling{MaxReplicas: 2, Metric: schema.ScalingMetric(v), Target: "0.5"}
		},
	},
	"ServedModel spec.engine.env[].name": {
		at:     "spec.engine.env[1].name",
		setStr: func(f *fixture, v string) { f.env(schema.EnvVar{Name: v, Value: "1"}) },
	},
	"ServedModel spec.engine.env[].secretKeyRef.name": {
		at: "spec.engine.env[1].secretKeyRef.name",
		setStr: func(f *fixture, v string) {
			f.env(schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: v, Key: "token"}})
		},
	},
	"ServedModel spec.engine.env[].secretKeyRef.key": {
		at: "spec.engine.env[1].secretKeyRef.key",
		setStr: func(f *fixture, v string) {
			f.env(schema.EnvVar{Name: "HF_TOKEN", SecretKeyRef: &schema.SecretKeyRef{Name: "hf", Key: v}})
		},
	},
	"ServedModel spec.engine.startupTimeoutSeconds": {
		setInt: func(f *fixture, v int32) { f.model.Spec.Engine.StartupTimeoutSeconds = &v },
	},
	// The Platform declares the class; a name past the limit cannot be
	// declared, and validation names the limit before looking it up.
	"ServedModel spec.resources.gpuClass": {
		setStr: func(f *fixture, v string) {
			f.declareClass(v)
			f.model.Spec.Resources.GPUClass = v
		},
	},
	"ServedModel spec.disaggregation.prefill.resources.gpuClass": {
		setStr: func(f *fixture, v string) {
			f.declareClass(v)
			r := poolResources(1)
			r.GPUClass = v
			f.disaggregated().Prefill.Resources = r
		},
	},
	"ServedModel spec.disaggregation.decode.resources.gpuClass": {
		setStr: func(f *fixture, v string) {
			f.declareClass(v)
			r := poolResources(1)
			r.GPUClass = v
			f.disaggregated().Decode.Resources = r
		},
	},
	"ServedModel spec.pod.serviceAccountName": {
		setStr: func(f *fixture, v string) { f.model.Spec.Pod = &schema.Pod{ServiceAccountName: v} },
	},
	"ServedModel spec.pod.priorityClassName": {
		setStr: func(f *fixture, v string) { f.model.Spec.Pod = &schema.Pod{PriorityClassName: v} },
	},
	"ServedModel spec.pod.imagePullSecrets[]": {
		at: "spec.pod.imagePullSecrets[1]",
		setStr: func(f *fixture, v string) {
			f.model.Spec.Pod = &schema.Pod{ImagePullSecrets: []string{"registry-creds", v}}
		},
	},
	"ServedModel spec.pod.topologySpread[].maxSkew": {
		at: "spec.pod.topologySpread[1].maxSkew",
		setInt: func(f *fixture, v int32) {
			f.model.Spec.Pod = &schema.Pod{TopologySpread: []schema.TopologySpread{{TopologyKey: "topology.kubernetes.io/zone"}, {TopologyKey: "kubernetes.io/hostname", MaxSkew: &v}}}
		},
	},
	"ServedModel spec.pod.topologySpread[].whenUnsatisfiable": {
		at: "spec.pod.topologySpread[1].whenUnsatisfiable",
		setStr: func(f *fixture, v string) {
			f.model.Spec.Pod = &schema.Pod{TopologySpread: []schema.TopologySpread{{TopologyKey: "topology.kubernetes.io/zone"}, {TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: v}}}
		},
	},
	"ServedModel spec.disruptionBudget.maxUnavailable": {
		setInt: func(f *fixture, v int32) {
			f.model.Spec.DisruptionBudget = &schema.DisruptionBudget{MaxUnavailable: &v}
		},
	},
	"ServedModel spec.model.credentials.secretName": { // an oci modelcar on kserve, which something downloads
		setStr: func(f *fixture, v string) {
			f.kserve("Standard")
			f.platform.Spec.KServe.Modelcar = true
			f.model.Spec.Model.Source = schema.ModelSource{OCI: "registry.example.com/models/qwen@sha256:" + strings.Repeat("a", 64)}
			f.model.Spec.Model.Credentials = &schema.ModelCredentials{SecretName: v}
		},
	},
	"ServedModel spec.routing.alias": {
		setStr: func(f *fixture, v string) { f.model.Spec.Routing = &schema.Routing{Alias: v} },
	},

	"ServedModel spec.model.source.pvc.stage.revision": {
		setStr: func(f *fixture, v string) {
			f.model.Spec.Model.Source.PVC.Stage = &schema.PVCStage{HF: "Qwen/Qwen2.5-0.5B-Instruct", Revision: v}
		},
	},

	// Platform.
	"Platform spec.litellm.configMap": {
		setStr: func(f *fixture, v string) { f.platform.Spec.LiteLLM.ConfigMap = v },
	},
	"Platform spec.gpus": {
		setInt: func(f *fixture, v int32) { f.platform.Spec.GPUs = &v },
	},
	"Platform spec.gpuNodes.gpusPerNode": { // a model without GPUs fits any node (gpus-exceed-node)
		setInt: func(f *fixture, v int32) {
			f.platform.Spec.GPUNodes.GPUsPerNode = &v
			f.model.Spec.Resources.GPUs = 0
		},
	},
	"Platform spec.gpuNodes.tolerations[].operator": { // Equal needs a key; Exists needs no value
		at: "spec.gpuNodes.tolerations[1].operator",
		setStr: func(f *fixture, v string) {
			f.toleration(schema.Toleration{Key: "example.com/dedicated", Operator: v, Effect: "NoSchedule"})
		},
	},
	"Platform spec.gpuNodes.tolerations[].effect": {
		at: "spec.gpuNodes.tolerations[1].effect",
		setStr: func(f *fixture, v string) {
			f.toleration(schema.Toleration{Key: "example.com/dedicated", Operator: "Exists", Effect: v})
		},
	},
	"Platform spec.gpuNodes.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions[].operator": {
		at: "spec.gpuNodes.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].operator",
		setStr: func(f *fixture, v string) {
			f.platform.Spec.GPUNodes.Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &schema.NodeSelector{NodeSelectorTerms: []schema.NodeSelectorTerm{requirement(v)}},
			}}
		},
	},
	"Platform spec.gpuNodes.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].preference.matchExpressions[].operator": {
		at: "spec.gpuNodes.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[1].operator",
		setStr: func(f *fixture, v string) {
			f.platform.Spec.GPUNodes.Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []schema.PreferredSchedulingTerm{{Weight: 10, Preference: requirement(v)}},
			}}
		},
	},
	"Platform spec.gpuNodes.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].weight": {
		at: "spec.gpuNodes.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
		setInt: func(f *fixture, v int32) {
			f.platform.Spec.GPUNodes.Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []schema.PreferredSchedulingTerm{{Weight: v, Preference: requirement("Exists")}},
			}}
		},
	},
	// A class the model does not choose, at index 0 (or 1 after a valid one).
	"Platform spec.gpuClasses[].name": {
		at: "spec.gpuClasses[1].name",
		setStr: func(f *fixture, v string) {
			f.platform.Spec.GPUClasses = []schema.GPUClass{{Name: "h100"}, {Name: v}}
		},
	},
	"Platform spec.gpuClasses[].gpusPerNode": {
		at:     "spec.gpuClasses[0].gpusPerNode",
		setInt: func(f *fixture, v int32) { f.gpuClass().GPUsPerNode = &v },
	},
	"Platform spec.gpuClasses[].tolerations[].operator": {
		at: "spec.gpuClasses[0].tolerations[1].operator",
		setStr: func(f *fixture, v string) {
			f.gpuClass().Tolerations = []schema.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists"}, {Key: "example.com/dedicated", Operator: v, Effect: "NoSchedule"}}
		},
	},
	"Platform spec.gpuClasses[].tolerations[].effect": {
		at: "spec.gpuClasses[0].tolerations[1].effect",
		setStr: func(f *fixture, v string) {
			f.gpuClass().Tolerations = []schema.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists"}, {Key: "example.com/dedicated", Operator: "Exists", Effect: v}}
		},
	},
	"Platform spec.gpuClasses[].affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[].matchExpressions[].operator": {
		at: "spec.gpuClasses[0].affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].operator",
		setStr: func(f *fixture, v string) {
			f.gpuClass().Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &schema.NodeSelector{NodeSelectorTerms: []schema.NodeSelectorTerm{requirement(v)}},
			}}
		},
	},
	"Platform spec.gpuClasses[].affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].preference.matchExpressions[].operator": {
		at: "spec.gpuClasses[0].affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[1].operator",
		setStr: func(f *fixture, v string) {
			f.gpuClass().Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []schema.PreferredSchedulingTerm{{Weight: 10, Preference: requirement(v)}},
			}}
		},
	},
	"Platform spec.gpuClasses[].affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[].weight": {
		at: "spec.gpuClasses[0].affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
		setInt: func(f *fixture, v int32) {
			f.gpuClass().Affinity = &schema.Affinity{NodeAffinity: &schema.NodeAffinity{
				PreferredDuringSchedulingIgnoredDuringExecution: []schema.PreferredSchedulingTerm{{Weight: v, Preference: requirement("Exists")}},
			}}
		},
	},
	"Platform spec.kserve.deploymentMode": {
		setStr: func(f *fixture, v string) { f.platform.Spec.KServe.DeploymentMode = schema.DeploymentMode(v) },
	},
}

// fixture is a minimal valid ServedModel and the Platform it is validated
// against, with both optional layers enabled (validation is gated).
type fixture struct {
	model    *schema.ServedModel
	platform *schema.Platform
}

func newFixture() *fixture {
	return &fixture{
		model: &schema.ServedModel{
			TypeMeta:   metav1.TypeMeta{APIVersion: schema.APIVersion, Kind: schema.KindModel},
			ObjectMeta: metav1.ObjectMeta{Name: "qwen"},
			Spec: schema.ServedModelSpec{
				Layer: schema.LayerRawVLLM,
				Model: schema.Model{
					Name:   "Qwen/Qwen2.5-0.5B-Instruct",
					Source: schema.ModelSource{PVC: &schema.PVCSource{ClaimName: "models", Path: "qwen"}},
				},
				Resources: schema.Resources{CPU: "4", Memory: "16Gi", GPUs: 1},
			},
		},
		platform: &schema.Platform{
			TypeMeta:   metav1.TypeMeta{APIVersion: schema.APIVersion, Kind: schema.KindPlatform},
			ObjectMeta: metav1.ObjectMeta{Name: "cluster"},
			Spec:       schema.PlatformSpec{Features: schema.Features{KServe: true, LLMD: true}},
		},
	}
}

// kserve moves the model to layer kserve in the given deployment mode.
func (f *fixture) kserve(mode string) {
	f.model.Spec.Layer = schema.LayerKServe
	f.platform.Spec.KServe.DeploymentMode = schema.DeploymentMode(mode)
}

// disaggregated moves the model to llm-d with prefill/decode pools.
func (f *fixture) disaggregated() *schema.Disaggregation {
	f.model.Spec.Layer = schema.LayerLLMD
	f.model.Spec.Disaggregation = &schema.Disaggregation{}
	return f.model.Spec.Disaggregation
}

func poolResources(gpus int32) *schema.Resources {
	return &schema.Resources{CPU: "2", Memory: "8Gi", GPUs: gpus}
}

// gpuClass declares a GPU class the model does not choose and returns it.
func (f *fixture) gpuClass() *schema.GPUClass {
	f.platform.Spec.GPUClasses = []schema.GPUClass{{Name: "a100"}}
	return &f.platform.Spec.GPUClasses[0]
}

// declareClass declares GPU class name, when it can be one (a DNS label).
func (f *fixture) declareClass(name string) {
	if name != "" && len(name) <= 63 {
		f.platform.Spec.GPUClasses = []schema.GPUClass{{Name: name}}
	}
}

// requirement is a valid node requirement, then one with operator op and
// the values op needs, so it is at index 1.
func requirement(op string) schema.NodeSelectorTerm {
	var values []string
	switch op {
	case "In", "NotIn":
		values = []string{"h100"}
	case "Gt", "Lt":
		values = []string{"1"}
	}
	return schema.NodeSelectorTerm{MatchExpressions: []schema.NodeSelectorRequirement{
		{Key: "nvidia.com/gpu.present", Operator: "Exists"},
		{Key: "nvidia.com/gpu.count", Operator: op, Values: values},
	}}
}

// env adds a valid variable, then e, so e is at index 1.
func (f *fixture) env(e schema.EnvVar) {
	f.model.Spec.Engine.Env = []schema.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, e}
}

// scheduler moves the model to llm-d with spec.scheduler sc.
func (f *fixture) scheduler(sc *schema.Scheduler) {
	f.model.Spec.Layer = schema.LayerLLMD
	f.model.Spec.Scheduler = sc
}

// poolEnv gives a pool a valid variable, then e, so e is at index 1.
func (f *fixture) poolEnv(p *schema.Pool, e schema.EnvVar) {
	p.Engine = &schema.PoolEngine{Env: []schema.EnvVar{{Name: "LOG_LEVEL", Value: "debug"}, e}}
}

// toleration adds a valid toleration, then t, so t is at index 1.
func (f *fixture) toleration(t schema.Toleration) {
	f.platform.Spec.GPUNodes.Tolerations = []schema.Toleration{{Key: "nvidia.com/gpu", Operator: "Exists", Effect: "NoSchedule"}, t}
}

// validate defaults both objects the way render does and validates them.
func (f *fixture) validate() (model, platform field.ErrorList) {
	f.platform.Default()
	f.model.Default(&f.platform.Spec)
	var facts *schema.LayerFacts
	if home, ok := layers.Get(f.model.Spec.Layer); ok {
		home.Default(f.model, &f.platform.Spec)
		facts = &schema.LayerFacts{Gate: home.Gate(), Enabled: home.Enabled(&f.platform.Spec), NameSuffix: home.NameSuffix()}
	}
	return schema.ValidateServedModel(f.model, &f.platform.Spec, true, facts), schema.ValidatePlatform(f.platform)
}

// fieldBounds are the bounds the CRD of kind states on the field at path.
type fieldBounds struct {
	kind, path   string
	typ, format  string
	min, max     *int64 // minimum and maximum as written
	exMin, exMax bool   // exclusiveMinimum/exclusiveMaximum: true
	enum         []string
	minLen       *int64
	maxLen       *int64
}

func (b fieldBounds) key() string { return b.kind + " " + b.path }

// keywords lists the bounds, one per CRD keyword.
func (b fieldBounds) keywords() []string {
	var out []string
	if b.min != nil {
		out = append(out, fmt.Sprintf("%s %d", map[bool]string{false: "minimum", true: "exclusiveMinimum"}[b.exMin], *b.min))
	}
	if b.max != nil {
		out = append(out, fmt.Sprintf("%s %d", map[bool]string{false: "maximum", true: "exclusiveMaximum"}[b.exMax], *b.max))
	}
	if b.enum != nil {
		out = append(out, "enum "+strings.Join(b.enum, "|"))
	}
	if b.minLen != nil {
		out = append(out, fmt.Sprintf("minLength %d", *b.minLen))
	}
	if b.maxLen != nil {
		out = append(out, fmt.Sprintf("maxLength %d", *b.maxLen))
	}
	return out
}

// Bound keywords this test derives cases for, and ones it does not know.
var (
	boundKeywords     = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum", "minLength", "maxLength"}
	unhandledKeywords = []string{"minItems", "maxItems", "minProperties", "maxProperties", "multipleOf", "uniqueItems",
		"x-kubernetes-validations", "allOf", "anyOf", "oneOf", "not"}
)

// loadCRDBounds reads every bound of the CRDs schema embeds.
func loadCRDBounds(t *testing.T) []fieldBounds {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(schema.CRDs()))
	var all []fieldBounds
	var kinds []string
	for {
		var crd map[string]any
		err := dec.Decode(&crd)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decoding the embedded CRDs: %v", err)
		}
		kind, _ := dig(crd, "spec", "names", "kind").(string)
		versions, _ := dig(crd, "spec", "versions").([]any)
		if kind == "" || len(versions) != 1 {
			t.Fatalf("CRD %v: want a kind and one version, got kind %q and %d versions", dig(crd, "metadata", "name"), kind, len(versions))
		}
		v, _ := versions[0].(map[string]any)
		if v["name"] != schema.Version {
			t.Fatalf("CRD %s: version %v, want %s", kind, v["name"], schema.Version)
		}
		root, ok := dig(v, "schema", "openAPIV3Schema").(map[string]any)
		if !ok {
			t.Fatalf("CRD %s has no openAPIV3Schema", kind)
		}
		if err := walkSchema(kind, "", root, &all); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, kind)
	}
	slices.Sort(kinds)
	if want := []string{schema.KindPlatform, schema.KindModel}; !slices.Equal(kinds, want) {
		t.Fatalf("embedded CRDs are for %v, want %v", kinds, want)
	}
	return all
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// walkSchema appends the bounds of s and of every schema under it. Paths
// are JSON paths from the object's root; [] stands for every list item and
// [*] for every map value.
func walkSchema(kind, path string, s map[string]any, out *[]fieldBounds) error {
	var errs []error
	for _, k := range unhandledKeywords {
		if _, ok := s[k]; ok {
			errs = append(errs, fmt.Errorf("%s %s: %s is a bound bounds_test.go cannot derive cases for yet; teach it, with a setup entry", kind, path, k))
		}
	}
	b := fieldBounds{kind: kind, path: path}
	b.typ, _ = s["type"].(string)
	b.format, _ = s["format"].(string)
	has := false
	for _, k := range boundKeywords {
		raw, ok := s[k]
		if !ok {
			continue
		}
		has = true
		var err error
		switch k {
		case "minimum":
			b.min, err = asInt(raw)
		case "maximum":
			b.max, err = asInt(raw)
		case "minLength":
			b.minLen, err = asInt(raw)
		case "maxLength":
			b.maxLen, err = asInt(raw)
		case "exclusiveMinimum", "exclusiveMaximum":
			ex, isBool := raw.(bool)
			if !isBool {
				err = fmt.Errorf("want a boolean (OpenAPI v3.0), got %v", raw)
			}
			if k == "exclusiveMinimum" {
				b.exMin = ex
			} else {
				b.exMax = ex
			}
		case "enum":
			list, _ := raw.([]any)
			for _, e := range list {
				str, isStr := e.(string)
				if !isStr {
					err = fmt.Errorf("enum member %v is not a string", e)
				}
				b.enum = append(b.enum, str)
			}
			if len(b.enum) == 0 {
				err = fmt.Errorf("empty enum")
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %s: %w", kind, path, k, err))
		}
	}
	if (b.exMin && b.min == nil) || (b.exMax && b.max == nil) {
		errs = append(errs, fmt.Errorf("%s %s: exclusive bound without its minimum/maximum", kind, path))
	}
	if has {
		*out = append(*out, b)
	}
	child := func(p string, v any) {
		if cs, ok := v.(map[string]any); ok {
			errs = append(errs, walkSchema(kind, p, cs, out))
		}
	}
	props, _ := s["properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		p := name
		if path != "" {
			p = path + "." + name
		}
		child(p, props[name])
	}
	child(path+"[]", s["items"])
	child(path+"[*]", s["additionalProperties"])
	return errors.Join(errs...)
}

func asInt(v any) (*int64, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%d is out of range", x)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return nil, fmt.Errorf("%v is not an integer: teach bounds_test.go non-integer bounds", x)
		}
		n = int64(x)
	default:
		return nil, fmt.Errorf("%v (%T) is not a number", v, v)
	}
	return &n, nil
}

// boundCase is one value tried at one field.
type boundCase struct {
	label   string // what is tried, such as "maximum 1000: 1001"
	inBound bool   // whether the CRD accepts the value
	// probe marks an in-bound value at a side the CRD leaves open (the
	// integer format's limit, or a long string): other fields may then fail
	// for cross-field reasons, so only this field's errors count.
	probe    bool
	isString bool
	n        int64
	s        string
	tooLong  int64 // for a string past maxLength: the limit a TooLong error names
}

// cases derives the boundary cases of b. wide is the setup's multi-byte
// character, or 0.
func (b fieldBounds) cases(wide rune) ([]boundCase, error) {
	var cs []boundCase
	switch {
	case b.min != nil || b.max != nil:
		if b.typ != "integer" {
			return nil, fmt.Errorf("minimum/maximum on type %q: teach bounds_test.go non-integer bounds", b.typ)
		}
		lim, ok := map[string][2]int64{"int32": {math.MinInt32, math.MaxInt32}, "int64": {math.MinInt64, math.MaxInt64}}[b.format]
		if !ok {
			return nil, fmt.Errorf("integer format %q: teach bounds_test.go its range", b.format)
		}
		num := func(label string, in bool, n int64) {
			cs = append(cs, boundCase{label: fmt.Sprintf("%s: %d", label, n), inBound: in, n: n})
		}
		if b.min != nil {
			lo, kw := *b.min, fmt.Sprintf("minimum %d", *b.min)
			if b.exMin {
				lo, kw = lo+1, fmt.Sprintf("exclusiveMinimum %d", *b.min)
			}
			num(kw, true, lo)
			if lo > lim[0] {
				num(kw, false, lo-1)
			}
		} else {
			cs = append(cs, boundCase{label: fmt.Sprintf("no minimum (%s): %d", b.format, lim[0]), inBound: true, probe: true, n: lim[0]})
		}
		if b.max != nil {
			hi, kw := *b.max, fmt.Sprintf("maximum %d", *b.max)
			if b.exMax {
				hi, kw = hi-1, fmt.Sprintf("exclusiveMaximum %d", *b.max)
			}
			num(kw, true, hi)
			if hi < lim[1] {
				num(kw, false, hi+1)
			}
		} else {
			cs = append(cs, boundCase{label: fmt.Sprintf("no maximum (%s): %d", b.format, lim[1]), inBound: true, probe: true, n: lim[1]})
		}
		for i := range cs {
			if cs[i].n < math.MinInt32 || cs[i].n > math.MaxInt32 {
				return nil, fmt.Errorf("case %s does not fit the int32 setters: teach bounds_test.go int64 fields", cs[i].label)
			}
		}
	case b.enum != nil || b.minLen != nil || b.maxLen != nil:
		if b.typ != "string" {
			return nil, fmt.Errorf("enum/length on type %q: teach bounds_test.go its cases", b.typ)
		}
	}
	str := func(label string, in bool, s string) boundCase {
		return boundCase{label: label, inBound: in, isString: true, s: s}
	}
	if b.enum != nil {
		for _, e := range b.enum {
			cs = append(cs, str(fmt.Sprintf("enum member %q", e), true, e))
		}
		non := nonMember(b.enum)
		cs = append(cs, str(fmt.Sprintf("enum non-member %q", non), false, non))
	}
	if b.minLen != nil {
		n := *b.minLen
		cs = append(cs, str(fmt.Sprintf("minLength %d: length %d", n, n), true, strings.Repeat("a", int(n))))
		if n > 0 {
			cs = append(cs, str(fmt.Sprintf("minLength %d: length %d", n, n-1), false, strings.Repeat("a", int(n-1))))
		}
	}
	if b.maxLen != nil {
		n := *b.maxLen
		cs = append(cs, str(fmt.Sprintf("maxLength %d: length %d", n, n), true, strings.Repeat("a", int(n))))
		if wide != 0 {
			cs = append(cs, str(fmt.Sprintf("maxLength %d: length %d in %d-byte characters", n, n, len(string(wide))), true, strings.Repeat(string(wide), int(n))))
		}
		c := str(fmt.Sprintf("maxLength %d: length %d", n, n+1), false, strings.Repeat("a", int(n+1)))
		c.tooLong = n
		cs = append(cs, c)
	} else if b.minLen != nil && b.enum == nil {
		c := str(fmt.Sprintf("no maxLength: length %d", unboundedLen), true, strings.Repeat("a", unboundedLen))
		c.probe = true
		cs = append(cs, c)
	}
	return cs, nil
}

// nonMember is a near miss: the first member with its first letter's case
// swapped, which also catches case-insensitive comparisons.
func nonMember(enum []string) string {
	first := enum[0]
	var non string
	if r := rune(first[0]); r >= 'a' && r <= 'z' {
		non = strings.ToUpper(first[:1]) + first[1:]
	} else {
		non = strings.ToLower(first[:1]) + first[1:]
	}
	for slices.Contains(enum, non) {
		non += "x"
	}
	return non
}

// concretePath checks a setup's at against the CRD path and returns the
// path errors are expected at.
func concretePath(path string, st boundSetup) (string, error) {
	if !strings.Contains(path, "[") {
		if st.at != "" && st.at != path {
			return "", fmt.Errorf("setup at %q, but the path has no list", st.at)
		}
		return path, nil
	}
	re := regexp.QuoteMeta(path)
	re = strings.ReplaceAll(re, `\[\]`, `\[\d+\]`)
	re = strings.ReplaceAll(re, `\[\*\]`, `\[[^\]]+\]`)
	if !regexp.MustCompile("^" + re + "$").MatchString(st.at) {
		return "", fmt.Errorf("setup at %q is not a concrete instance of %s", st.at, path)
	}
	return st.at, nil
}

var indexRE = regexp.MustCompile(`\[[^\]]*\]`)

// abstractPath turns an error's field path back into the CRD's form.
func abstractPath(p string) string { return indexRE.ReplaceAllString(p, "[]") }

func TestValidationAgreesWithCRDBounds(t *testing.T) {
	bounds := loadCRDBounds(t)
	byKey := map[string]fieldBounds{}
	nKeywords := 0
	for _, b := range bounds {
		byKey[b.key()] = b
		nKeywords += len(b.keywords())
		t.Logf("bound: %s: %s", b.key(), strings.Join(b.keywords(), ", "))
	}
	t.Logf("%d bounds on %d fields", nKeywords, len(bounds))

	// Every bound has a setup, and every setup a bound.
	for _, b := range bounds {
		if _, ok := boundSetups[b.key()]; !ok {
			t.Errorf("%s has %s in the CRD but no entry in boundSetups: add one that proves validation agrees", b.key(), strings.Join(b.keywords(), ", "))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(boundSetups)) {
		if _, ok := byKey[k]; !ok {
			t.Errorf("boundSetups has %q, but the CRD has no bound there any more: remove the entry", k)
		}
	}

	t.Run("base fixture is valid", func(t *testing.T) {
		if m, p := newFixture().validate(); len(m)+len(p) > 0 {
			t.Fatalf("the base fixture must be valid: %v", short(append(m, p...)))
		}
	})

	seen := map[string]bool{}
	for _, b := range bounds {
		st, ok := boundSetups[b.key()]
		if !ok {
			continue
		}
		at, err := concretePath(b.path, st)
		if err != nil {
			t.Errorf("%s: %v", b.key(), err)
			continue
		}
		cases, err := b.cases(st.wide)
		if err != nil {
			t.Errorf("%s: %v", b.key(), err)
			continue
		}
		for _, c := range cases {
			name := b.key() + " " + c.label
			seen[name] = true
			t.Run(name, func(t *testing.T) {
				disagreement := checkCase(t, bounds, b, st, at, c)
				why, known := knownDisagreements[name]
				switch {
				case known && disagreement == "":
					t.Errorf("knownDisagreements[%q] (%s) no longer disagrees: remove the entry", name, why)
				case known:
					t.Logf("known disagreement: %s\n\t%s", why, disagreement)
				case disagreement != "":
					t.Error(disagreement)
				}
			})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(knownDisagreements)) {
		if !seen[k] {
			t.Errorf("knownDisagreements[%q] names no case the CRD yields any more: remove it", k)
		}
	}
}

// checkCase applies c and checks validation's answer. It returns a
// disagreement between the CRD and validation at the field, and reports
// anything else wrong (a setup that trips other rules, an error that does
// not name the value, a NotSupported list unlike the enum) as an error.
func checkCase(t *testing.T, bounds []fieldBounds, b fieldBounds, st boundSetup, at string, c boundCase) string {
	t.Helper()
	f := newFixture()
	switch {
	case c.isString && st.setStr != nil:
		st.setStr(f, c.s)
	case !c.isString && st.setInt != nil:
		st.setInt(f, int32(c.n))
	default:
		t.Fatalf("setup for %s has no %s setter", b.key(), map[bool]string{true: "setStr", false: "setInt"}[c.isString])
	}
	mErrs, pErrs := f.validate()
	target, other := mErrs, pErrs
	if b.kind == schema.KindPlatform {
		target, other = pErrs, mErrs
	}
	checkNotSupported(t, bounds, b.kind, target)

	var atField, rest field.ErrorList
	for _, e := range target {
		if e.Field == at {
			atField = append(atField, e)
		} else {
			rest = append(rest, e)
		}
	}
	value := c.describe()
	if len(other) > 0 {
		t.Errorf("setup for %s makes the other kind invalid: %v", b.key(), short(other))
	}
	if c.inBound {
		if !c.probe && len(rest) > 0 {
			t.Errorf("setup for %s trips other rules (fix its context so only %s is under test): %v", b.key(), at, short(rest))
		}
		if len(atField) > 0 {
			return fmt.Sprintf("the CRD accepts %s=%s (%s) but validation rejects it: %v", at, value, c.label, short(atField))
		}
		return ""
	}
	// Other errors are not checked here: the in-bound cases prove the
	// setup's context, and an out-of-bound value may rightly break a
	// cross-field rule too (minReplicas past maxReplicas's maximum).
	if len(atField) == 0 {
		return fmt.Sprintf("the CRD rejects %s=%s (%s) but validation accepts it (errors elsewhere: %v)", at, value, c.label, short(rest))
	}
	if !slices.ContainsFunc(atField, c.named) {
		t.Errorf("validation rejects %s=%s (%s) but no error there names the value%s: %v", at, value, c.label,
			map[bool]string{true: fmt.Sprintf(" or the limit %d", c.tooLong), false: ""}[c.tooLong > 0], short(atField))
	}
	return ""
}

// named reports whether e names the case's value: its bad value is the
// value and its message shows it. A string past maxLength may instead be a
// TooLong error naming the limit (TooLong omits the value); an empty string
// may be a Required error.
func (c boundCase) named(e *field.Error) bool {
	switch {
	case !c.isString:
		v := strconv.FormatInt(c.n, 10)
		return fmt.Sprint(e.BadValue) == v && strings.Contains(e.Error(), v)
	case c.tooLong > 0 && e.Type == field.ErrorTypeTooLong:
		return strings.Contains(e.Detail, strconv.FormatInt(c.tooLong, 10))
	case c.s == "" && e.Type == field.ErrorTypeRequired:
		return true
	default: // the bad value may be a named string type, such as schema.Layer
		return fmt.Sprint(e.BadValue) == c.s && strings.Contains(e.Error(), strconv.Quote(c.s))
	}
}

func (c boundCase) describe() string {
	if !c.isString {
		return strconv.FormatInt(c.n, 10)
	}
	if len(c.s) > 24 {
		return fmt.Sprintf("%q… (%d characters)", c.s[:12], len([]rune(c.s)))
	}
	return strconv.Quote(c.s)
}

// checkNotSupported checks every NotSupported error: validation may list
// supported values only where the CRD states an enum, and its list must be
// exactly that enum.
func checkNotSupported(t *testing.T, bounds []fieldBounds, kind string, errs field.ErrorList) {
	t.Helper()
	for _, e := range errs {
		if e.Type != field.ErrorTypeNotSupported {
			continue
		}
		path := abstractPath(e.Field)
		i := slices.IndexFunc(bounds, func(b fieldBounds) bool { return b.kind == kind && b.path == path && b.enum != nil })
		if i < 0 {
			t.Errorf("validation lists supported values at %s %s but the CRD states no enum there: add +kubebuilder:validation:Enum (%s)", kind, e.Field, e.Detail)
			continue
		}
		got := supportedValues(e.Detail)
		want := slices.Clone(bounds[i].enum)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("validation's supported values at %s %s are %q; the CRD's enum is %q", kind, e.Field, got, want)
		}
	}
}

// supportedValues parses field.NotSupported's detail.
func supportedValues(detail string) []string {
	list, ok := strings.CutPrefix(detail, "supported values: ")
	if !ok {
		return nil
	}
	var out []string
	for _, q := range strings.Split(list, ", ") {
		v, err := strconv.Unquote(q)
		if err != nil {
			v = q
		}
		out = append(out, v)
	}
	return out
}

// short prints errors with long values cut, so a 4096-character probe does
// not flood the output.
func short(errs field.ErrorList) string {
	var out []string
	for _, e := range errs {
		s := e.Error()
		if len(s) > 240 {
			s = s[:240] + "…"
		}
		out = append(out, s)
	}
	return "[" + strings.Join(out, "; ") + "]"
}

// TestWalkSchemaBounds checks the walker and case derivation on a schema
// using what the real CRDs do not (yet): exclusive bounds, maps, and a
// keyword the test cannot handle.
func TestWalkSchemaBounds(t *testing.T) {
	const doc = `
properties:
  spec:
    properties:
      weights:
        items:
          type: integer
          format: int32
          minimum: 0
          exclusiveMinimum: true
          maximum: 10
          exclusiveMaximum: true
        type: array
      labels:
        additionalProperties:
          type: string
          maxLength: 3
        type: object
      ids:
        type: array
        maxItems: 4
        items:
          type: string
`
	var s map[string]any
	if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
		t.Fatal(err)
	}
	var got []fieldBounds
	err := walkSchema("Thing", "", s, &got)
	if err == nil || !strings.Contains(err.Error(), "Thing spec.ids: maxItems") {
		t.Errorf("walkSchema error = %v, want one for maxItems at spec.ids", err)
	}
	var keys []string
	for _, b := range got {
		keys = append(keys, b.key()+": "+strings.Join(b.keywords(), ", "))
	}
	want := []string{
		"Thing spec.labels[*]: maxLength 3",
		"Thing spec.weights[]: exclusiveMinimum 0, exclusiveMaximum 10",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("bounds = %q, want %q", keys, want)
	}
	var labels []string
	cs, err := got[1].cases(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		labels = append(labels, fmt.Sprintf("%s in=%v", c.label, c.inBound))
	}
	wantLabels := []string{
		"exclusiveMinimum 0: 1 in=true", "exclusiveMinimum 0: 0 in=false",
		"exclusiveMaximum 10: 9 in=true", "exclusiveMaximum 10: 10 in=false",
	}
	if !slices.Equal(labels, wantLabels) {
		t.Errorf("cases = %q, want %q", labels, wantLabels)
	}
	if at, err := concretePath("spec.labels[*]", boundSetup{at: "spec.labels[team]"}); err != nil || at != "spec.labels[team]" {
		t.Errorf("concretePath = %q, %v", at, err)
	}
	if _, err := concretePath("spec.weights[]", boundSetup{}); err == nil {
		t.Error("concretePath accepted a list path without a concrete index")
	}
}
