package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	// v1alpha1 for ClusterStorageContainer, which KServe's pod webhook lists.
	kservev1alpha1 "github.com/kserve/kserve/pkg/apis/serving/v1alpha1"
	kservev1alpha2 "github.com/kserve/kserve/pkg/apis/serving/v1alpha2"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"github.com/kserve/kserve/pkg/constants"
	"github.com/kserve/kserve/pkg/controller/v1alpha2/llmisvc"
	"github.com/kserve/kserve/pkg/credentials"
	"github.com/kserve/kserve/pkg/types"
	"github.com/kserve/kserve/pkg/utils"
	podmutator "github.com/kserve/kserve/pkg/webhook/admission/pod"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"knative.dev/pkg/kmeta"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// RunningPod is a pod as KServe's controllers and webhooks run it: the
// rendered template after KServe has merged its presets, attached the
// model's storage (modelcar, storage initializer, claim) and set the service
// account. It is what the cluster's pod security admission sees.
type RunningPod struct {
	// Path is the pod template in the rendered object the pod comes from.
	Path string
	Meta metav1.ObjectMeta
	Spec *corev1.PodSpec
}

// RunningPods builds the pods KServe v0.17.0 runs for a rendered object,
// with KServe's own code where it is exported and a transcription of it,
// file by file, where it is not:
//
//   - Deployment: its template, as the Deployment controller runs it.
//   - InferenceService (Standard mode): KServe's defaulting, the predictor's
//     pod metadata (components/predictor.go: the storage URI annotation a
//     custom container's STORAGE_URI yields), then KServe's own pod
//     mutating webhook (webhook/admission/pod/mutator.go Handle), which
//     injects the modelcar for oci:// (with enableModelcar on, as Platform
//     spec.kserve.modelcar declares). Knative's queue-proxy is not added.
//   - LLMInferenceService (v1alpha2, the hub version): its presets
//     from config/llmisvcconfig merged with llmisvc.MergeSpecs and
//     llmisvc.ReplaceVariables (what combineBaseRefsConfig does), then
//     workload_single_node.go and workload_storage.go: the routing
//     sidecar's service account, the claim, modelcar or storage
//     initializer (with credentials from the storageSecretName annotation
//     or the service account, by KServe's credential builder), and the
//     router-scheduler (EPP) pod from the scheduler preset.
func RunningPods(ctx context.Context, obj runtime.Object, cfg *KServeConfig) ([]RunningPod, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return []RunningPod{{Path: "spec.template.spec", Meta: o.Spec.Template.ObjectMeta, Spec: o.Spec.Template.Spec.DeepCopy()}}, nil
	case *kservev1beta1.InferenceService:
		cm, err := modelcarConfigMap(cfg)
		if err != nil {
			return nil, err
		}
		p, err := RunningPredictor(ctx, o, cfg, cm)
		if err != nil {
			return nil, err
		}
		return []RunningPod{p}, nil
	case *kservev1alpha2.LLMInferenceService:
		return runningLLMD(ctx, o, cfg)
	}
	return nil, nil
}

// modelcarConfigMap is KServe's shipped inferenceservice-config with
// enableModelcar: true, the setting Platform spec.kserve.modelcar declares
// (without it KServe does not run an oci:// model at all).
func modelcarConfigMap(cfg *KServeConfig) (*corev1.ConfigMap, error) {
	cm := cfg.ConfigMap.DeepCopy()
	var storage map[string]any
	if err := json.Unmarshal([]byte(cm.Data["storageInitializer"]), &storage); err != nil {
		return nil, fmt.Errorf("storageInitializer config: %w", err)
	}
	storage["enableModelcar"] = true
	b, err := json.Marshal(storage)
	if err != nil {
		return nil, err
	}
	cm.Data["storageInitializer"] = string(b)
	cm.Namespace = constants.KServeNamespace
	return cm, nil
}

func runningScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, kservev1alpha1.AddToScheme, kservev1alpha2.AddToScheme, kservev1beta1.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// RunningPredictor is the predictor pod of isvc as KServe runs it, with
// KServe's pod webhook configured by cm (an inferenceservice-config).
func RunningPredictor(ctx context.Context, isvc *kservev1beta1.InferenceService, cfg *KServeConfig, cm *corev1.ConfigMap) (RunningPod, error) {
	const path = "spec.predictor"
	def := DefaultInferenceService(isvc, cfg)
	spec, err := corePodSpec(&def.Spec.Predictor.PodSpec)
	if err != nil {
		return RunningPod{}, err
	}
	// components/predictor.go buildObjectMeta: isvc labels, predictor
	// labels, KServe's own; annotations likewise, plus the storage URI.
	labels := merge(merge(def.Labels, def.Spec.Predictor.Labels), map[string]string{
		constants.InferenceServicePodLabelKey: def.Name,
		constants.KServiceComponentLabel:      string(kservev1beta1.PredictorComponent),
	})
	annotations := merge(def.Annotations, def.Spec.Predictor.Annotations)
	if uri := def.Spec.Predictor.GetImplementation().GetStorageUri(); uri != nil {
		annotations = merge(annotations, map[string]string{constants.StorageInitializerSourceUriInternalAnnotationKey: *uri})
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: def.Name + "-predictor", Namespace: def.Namespace, Labels: labels, Annotations: annotations},
		Spec:       *spec,
	}
	scheme, err := runningScheme()
	if err != nil {
		return RunningPod{}, err
	}
	m := &podmutator.Mutator{
		Client:    fake.NewClientBuilder().WithScheme(scheme).Build(),
		Clientset: k8sfake.NewSimpleClientset(cm),
		Decoder:   admission.NewDecoder(scheme),
	}
	raw, err := json.Marshal(pod)
	if err != nil {
		return RunningPod{}, err
	}
	resp := m.Handle(ctx, admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "conformance", Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
		Namespace: def.Namespace, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw},
	}})
	if !resp.Allowed {
		msg := "denied"
		if resp.Result != nil {
			msg = resp.Result.Message
		}
		return RunningPod{}, fmt.Errorf("%s: KServe's pod mutating webhook: %s", path, msg)
	}
	if len(resp.Patches) > 0 {
		pj, err := json.Marshal(resp.Patches)
		if err != nil {
			return RunningPod{}, err
		}
		patch, err := jsonpatch.DecodePatch(pj)
		if err != nil {
			return RunningPod{}, err
		}
		if raw, err = patch.Apply(raw); err != nil {
			return RunningPod{}, fmt.Errorf("%s: applying KServe's pod webhook patch: %w", path, err)
		}
	}
	out := &corev1.Pod{}
	if err := strictJSON(raw, out); err != nil {
		return RunningPod{}, err
	}
	return RunningPod{Path: path, Meta: out.ObjectMeta, Spec: &out.Spec}, nil
}

// llmdPreset is the preset config/llmisvcconfig/config-llm-<name>.yaml.
func llmdPreset(dir, name string) (*kservev1alpha2.LLMInferenceServiceConfig, error) {
	return loadLLMDPreset(filepath.Join(dir, "config", "llmisvcconfig", "config-llm-"+name+".yaml"))
}

// loadLLMDPreset reads one of KServe's llm-d presets (an
// LLMInferenceServiceConfig) strictly.
func loadLLMDPreset(file string) (*kservev1alpha2.LLMInferenceServiceConfig, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	docs, err := SplitStream(file, data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("%s: want one document, got %d", file, len(docs))
	}
	cfg := &kservev1alpha2.LLMInferenceServiceConfig{}
	if err := strictJSON(docs[0].JSON, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}

// MergedLLMD is an LLMInferenceService merged into its presets, as
// combineBaseRefsConfig (config_merge.go) computes it, with KServe's own
// MergeSpecs and ReplaceVariables.
func MergedLLMD(ctx context.Context, svc *kservev1alpha2.LLMInferenceService) (*kservev1alpha2.LLMInferenceService, *kservev1alpha2.LLMInferenceServiceSpec, error) {
	hub := svc.DeepCopy()
	dir, err := KServeDir()
	if err != nil {
		return nil, nil, err
	}
	var names []string
	if r := hub.Spec.Router; r != nil && r.Scheduler != nil && !r.Scheduler.Pool.HasRef() {
		names = append(names, "scheduler")
	}
	// The presets config_merge.go picks: a worker with data parallelism
	// takes the data parallel worker preset (KServe v0.17 ships no other).
	pick := func(prefix string, w *kservev1alpha2.WorkloadSpec) string {
		if w.Worker != nil && w.Parallelism.IsDataParallel() {
			return prefix + "worker-data-parallel"
		}
		return prefix + "template"
	}
	if hub.Spec.Prefill != nil {
		names = append(names, pick("prefill-", hub.Spec.Prefill), pick("decode-", &hub.Spec.WorkloadSpec))
	} else {
		names = append(names, pick("", &hub.Spec.WorkloadSpec))
	}
	var specs []kservev1alpha2.LLMInferenceServiceSpec
	for _, n := range names {
		cfg, err := llmdPreset(dir, n)
		if err != nil {
			return nil, nil, err
		}
		specs = append(specs, cfg.Spec)
	}
	spec, err := llmisvc.MergeSpecs(ctx, append(specs, hub.Spec)...)
	if err != nil {
		return nil, nil, err
	}
	merged := &kservev1alpha2.LLMInferenceServiceConfig{ObjectMeta: *hub.ObjectMeta.DeepCopy(), Spec: spec}
	if r := merged.Spec.Router; r != nil && r.Scheduler != nil && r.Scheduler.Template != nil && r.Scheduler.Template.ServiceAccountName == "" {
		r.Scheduler.Template.ServiceAccountName = kmeta.ChildName(hub.Name, "-epp-sa")
	}
	merged, err = llmisvc.ReplaceVariables(hub, merged, nil)
	if err != nil {
		return nil, nil, err
	}
	return hub, &merged.Spec, nil
}

const routingSidecarName = "llm-d-routing-sidecar"

func runningLLMD(ctx context.Context, svc *kservev1alpha2.LLMInferenceService, cfg *KServeConfig) ([]RunningPod, error) {
	hub, spec, err := MergedLLMD(ctx, svc)
	if err != nil {
		return nil, err
	}
	cm, err := modelcarConfigMap(cfg)
	if err != nil {
		return nil, err
	}
	storage, err := kservev1beta1.GetStorageInitializerConfigs(cm)
	if err != nil {
		return nil, err
	}
	creds, err := credentials.GetCredentialConfig(cm)
	if err != nil {
		return nil, err
	}
	// The Secret a storageSecretName annotation names, holding HF_TOKEN
	// as KServe's credential builder expects of a Hugging Face token.
	objs := []runtime.Object{&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: hub.Namespace}}}
	if name, ok := hub.Annotations[creds.StorageSecretNameAnnotation]; ok {
		objs = append(objs, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: hub.Namespace}, Data: map[string][]byte{"HF_TOKEN": []byte("token")}})
	}
	clientset := k8sfake.NewSimpleClientset(objs...)
	scheme, err := runningScheme()
	if err != nil {
		return nil, err
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).WithRuntimeObjects(objs...).Build()
	builder := credentials.NewCredentialBuilderFromConfig(cl, clientset, creds)

	var out []RunningPod
	workload := func(path string, tmpl *corev1.PodSpec, prefill bool) error {
		if tmpl == nil {
			return nil
		}
		pod := tmpl.DeepCopy()
		// workload_single_node.go: the decode pool's routing sidecar runs
		// under the model's ServiceAccount (or the one the template names).
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: hub.Namespace}}
		if pod.ServiceAccountName != "" {
			sa.Name = pod.ServiceAccountName
		} else if !prefill && hasInit(pod, routingSidecarName) {
			pod.ServiceAccountName = kmeta.ChildName(hub.Name, "-kserve")
			sa.Name = pod.ServiceAccountName
		}
		if err := attachModel(ctx, hub, pod, storage, builder, sa); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		meta := metav1.ObjectMeta{Namespace: hub.Namespace}
		// propagateDeploymentMetadata: approved prefixes from the top level,
		// then the workload's labels and annotations.
		utils.PropagatePrefixedMap(hub.Annotations, &meta.Annotations, "k8s.v1.cni.cncf.io", constants.KueueAPIGroupName, "prometheus.io")
		utils.PropagatePrefixedMap(hub.Labels, &meta.Labels, constants.KueueAPIGroupName)
		utils.PropagateMap(spec.Labels, &meta.Labels)
		utils.PropagateMap(spec.Annotations, &meta.Annotations)
		if prefill && spec.Prefill != nil {
			utils.PropagateMap(spec.Prefill.Labels, &meta.Labels)
			utils.PropagateMap(spec.Prefill.Annotations, &meta.Annotations)
		}
		out = append(out, RunningPod{Path: path, Meta: meta, Spec: pod})
		return nil
	}
	if err := workload("spec.template", spec.Template, false); err != nil {
		return nil, err
	}
	if err := workload("spec.worker", spec.Worker, false); err != nil {
		return nil, err
	}
	if spec.Prefill != nil {
		if err := workload("spec.prefill.template", spec.Prefill.Template, true); err != nil {
			return nil, err
		}
		if err := workload("spec.prefill.worker", spec.Prefill.Worker, true); err != nil {
			return nil, err
		}
	}
	if r := spec.Router; r != nil && r.Scheduler != nil && r.Scheduler.Template != nil {
		out = append(out, RunningPod{Path: "spec.router.scheduler.template", Meta: metav1.ObjectMeta{Namespace: hub.Namespace}, Spec: r.Scheduler.Template.DeepCopy()})
	}
	return out, nil
}

func hasInit(pod *corev1.PodSpec, name string) bool {
	for _, c := range pod.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// attachModel is workload_storage.go attachModelArtifacts, on KServe's own
// exported helpers.
func attachModel(ctx context.Context, hub *kservev1alpha2.LLMInferenceService, pod *corev1.PodSpec, storage *types.StorageInitializerConfig,
	builder *credentials.CredentialBuilder, sa *corev1.ServiceAccount,
) error {
	uri := hub.Spec.Model.URI.String()
	scheme, _, _ := strings.Cut(uri, "://")
	switch scheme + "://" {
	case constants.PvcURIPrefix:
		name, path, err := utils.ParsePvcURI(uri)
		if err != nil {
			return err
		}
		return utils.AddModelMount(utils.StorageMountParams{MountPath: constants.DefaultModelLocalMountPath, VolumeName: constants.PvcSourceMountName,
			ReadOnly: true, PVCName: name, SubPath: path}, "main", pod)
	case constants.OciURIPrefix:
		return utils.ConfigureModelcarToContainer(uri, pod, "main", storage)
	case constants.HfURIPrefix:
		init := utils.CreateInitContainerWithConfig(storage, []string{uri, constants.DefaultModelLocalMountPath})
		pod.InitContainers = append(pod.InitContainers, *init)
		params := utils.StorageMountParams{MountPath: constants.DefaultModelLocalMountPath, VolumeName: constants.StorageInitializerVolumeName}
		if err := utils.AddModelMount(params, init.Name, pod); err != nil {
			return err
		}
		params.ReadOnly = true
		if err := utils.AddModelMount(params, "main", pod); err != nil {
			return err
		}
		c := utils.GetInitContainerWithName(pod, constants.StorageInitializerContainerName)
		return builder.CreateSecretVolumeAndEnvFromServiceAccount(ctx, sa, hub.Annotations, c, &pod.Volumes)
	}
	return fmt.Errorf("unsupported model URI %s", uri)
}
