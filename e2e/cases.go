package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kinds of servelayer's output that a controller in the box reconciles.
var (
	ISVCGVK = schema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1beta1", Kind: "InferenceService"}
	// LLMISVCGVK is the version servelayer renders (v1alpha2, KServe
	// v0.17's storage version); LLMISVC1GVK the one it rendered before.
	LLMISVCGVK    = schema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1alpha2", Kind: "LLMInferenceService"}
	LLMISVC1GVK   = schema.GroupVersionKind{Group: "serving.kserve.io", Version: "v1alpha1", Kind: "LLMInferenceService"}
	DeploymentGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
)

// Case is one set of servelayer output applied together: a render golden's
// expected.yaml or an example rendered by kustomize.
type Case struct {
	Name    string
	Objects []*unstructured.Unstructured
	// Namespaces maps each namespace of the output to the case's own, so
	// that cases run side by side without name clashes.
	Namespaces map[string]string
	// Skip, when set, is why the case is not run on this cluster.
	Skip string
}

// GoldenCases reads every testdata/render/<case>/expected.yaml.
func GoldenCases(root string) ([]*Case, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "testdata", "render", "*", "expected.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var cases []*Case
	for _, f := range dirs {
		objs, err := ReadObjectsFile(f)
		if err != nil {
			return nil, err
		}
		cases = append(cases, &Case{Name: "golden/" + filepath.Base(filepath.Dir(f)), Objects: objs})
	}
	return cases, nil
}

// ExampleCases renders every examples/<name> with the kustomize binary and
// the servelayer exec function, as `make examples` does.
func ExampleCases(root, kustomize string) ([]*Case, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "examples", "*", "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	var cases []*Case
	for _, k := range dirs {
		dir := filepath.Dir(k)
		cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
		cmd.Dir = root
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w: %s", dir, err, stderr.String())
		}
		objs, err := ReadObjects(out)
		if err != nil {
			return nil, err
		}
		cases = append(cases, &Case{Name: "example/" + filepath.Base(dir), Objects: objs})
	}
	return cases, nil
}

// Prepare gives the case namespaces of its own (prefix + a letter per
// layer namespace, short enough that KServe's host label still fits),
// rewrites every object into them and marks what this cluster cannot run.
func (cs *Case) Prepare(prefix string) {
	cs.Namespaces = map[string]string{}
	short := map[string]string{"serving": "s", "kserve": "k", "llm-d": "l", "litellm": "m"}
	nsOf := func(ns string) string {
		if n, ok := cs.Namespaces[ns]; ok {
			return n
		}
		s, ok := short[ns]
		if !ok {
			s = fmt.Sprintf("o%d", len(cs.Namespaces))
		}
		n := prefix + s
		cs.Namespaces[ns] = n
		return n
	}
	for _, o := range cs.Objects {
		if o.GetKind() == "Namespace" {
			o.SetName(nsOf(o.GetName()))
			continue
		}
		if o.GetNamespace() != "" {
			o.SetNamespace(nsOf(o.GetNamespace()))
		}
		if o.GroupVersionKind() == ISVCGVK {
			switch o.GetAnnotations()["serving.kserve.io/deploymentMode"] {
			case "Knative", "Serverless":
				cs.Skip = "KServe Knative mode needs Knative Serving, which is not in the box"
			}
			if o.GetAnnotations()["serving.kserve.io/autoscalerClass"] == "keda" {
				cs.Skip = "KServe's keda autoscaler class creates a ScaledObject: KEDA is not in the box (conformance checks the one KServe builds against KEDA's CRD)"
			}
		}
		switch o.GetKind() {
		case "ScaledObject":
			cs.Skip = "KEDA is not in the box (conformance checks the ScaledObject against KEDA's CRD, its webhook checks and a real apiserver)"
		case "LeaderWorkerSet":
			cs.Skip = "the LeaderWorkerSet controller is not in the box (conformance checks the LeaderWorkerSet against its CRD and a real apiserver)"
		}
		if o.GroupVersionKind() == LLMISVCGVK || o.GroupVersionKind() == LLMISVC1GVK {
			if _, ok, _ := unstructured.NestedMap(o.Object, "spec", "worker"); ok {
				cs.Skip = "a worker makes KServe create a LeaderWorkerSet, and the LeaderWorkerSet controller is not in the box"
			}
		}
	}
}

// AddsCapabilities reports whether a container servelayer rendered adds
// Linux capabilities (RDMA's), which Pod Security baseline refuses.
func (cs *Case) AddsCapabilities() bool {
	for _, w := range cs.Workloads() {
		for _, ps := range podSpecs(w) {
			cs, _, _ := unstructured.NestedSlice(ps, "containers")
			for _, c := range cs {
				if add, _, _ := unstructured.NestedSlice(c.(map[string]interface{}), "securityContext", "capabilities", "add"); len(add) > 0 {
					return true
				}
			}
		}
	}
	return false
}

// Workloads are the objects a controller turns into pods.
func (cs *Case) Workloads() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range cs.Objects {
		switch o.GroupVersionKind() {
		case ISVCGVK, LLMISVCGVK, LLMISVC1GVK, DeploymentGVK:
			out = append(out, o)
		}
	}
	return out
}

// podSpecs returns the pod specs servelayer rendered in a workload, by role:
// "" for the one pod of a Deployment or an InferenceService predictor,
// "decode"/"prefill" for an LLMInferenceService.
func podSpecs(o *unstructured.Unstructured) map[string]map[string]interface{} {
	// No copy: the negative control alters the rendered specs in place.
	get := func(path ...string) map[string]interface{} {
		v, _, _ := unstructured.NestedFieldNoCopy(o.Object, path...)
		m, _ := v.(map[string]interface{})
		return m
	}
	switch o.GroupVersionKind() {
	case DeploymentGVK:
		return map[string]map[string]interface{}{"": get("spec", "template", "spec")}
	case ISVCGVK:
		return map[string]map[string]interface{}{"": get("spec", "predictor")}
	case LLMISVCGVK, LLMISVC1GVK:
		out := map[string]map[string]interface{}{"decode": get("spec", "template")}
		if p := get("spec", "prefill", "template"); p != nil {
			out["prefill"] = p
		}
		return out
	}
	return nil
}

// Prerequisites creates, in the case's namespaces, what its output refers
// to but does not render: claims (bound to a pre-made volume), secrets,
// service accounts, priority and runtime classes. It also pre-binds a
// volume to every claim the output renders (there is no provisioner).
func (c *Cluster) Prerequisites(ctx context.Context, cs *Case) error {
	labels := PodSecurityLabels
	if cs.AddsCapabilities() {
		labels = PrivilegedLabels
	}
	for _, ns := range cs.Namespaces {
		if err := c.EnsureNamespace(ctx, ns, labels); err != nil {
			return err
		}
	}
	refs := map[string]map[string]bool{} // kind -> ns/name
	add := func(kind, ns, name string) {
		if name == "" {
			return
		}
		if refs[kind] == nil {
			refs[kind] = map[string]bool{}
		}
		refs[kind][ns+"/"+name] = true
	}
	for _, o := range cs.Objects {
		ns := o.GetNamespace()
		if o.GetKind() == "PersistentVolumeClaim" {
			add("rendered-pvc", ns, o.GetName())
			continue
		}
		add("Secret", ns, o.GetAnnotations()["serving.kserve.io/storageSecretName"])
		if uri, ok, _ := unstructured.NestedString(o.Object, "spec", "model", "uri"); ok && strings.HasPrefix(uri, "pvc://") {
			claim, _, _ := strings.Cut(strings.TrimPrefix(uri, "pvc://"), "/")
			add("PersistentVolumeClaim", ns, claim)
		}
		walk(o.Object, func(key string, v interface{}, parent map[string]interface{}) {
			s, _ := v.(string)
			switch key {
			case "claimName":
				add("PersistentVolumeClaim", ns, s)
			case "secretName":
				add("Secret", ns, s)
			case "serviceAccountName":
				add("ServiceAccount", ns, s)
			case "priorityClassName":
				add("PriorityClass", "", s)
			case "runtimeClassName":
				add("RuntimeClass", "", s)
			case "imagePullSecrets":
				for _, r := range v.([]interface{}) {
					n, _ := r.(map[string]interface{})["name"].(string)
					add("Secret", ns, n)
				}
			case "secretKeyRef":
				n, _ := v.(map[string]interface{})["name"].(string)
				add("Secret", ns, n)
			case "ref":
				// The llm-d scheduler's config by reference: the user's
				// ConfigMap (KServe v0.17 reports a missing one as
				// "ConfigMap / doesn't have key").
				if r, ok := v.(map[string]interface{}); ok && parent != nil {
					n, _ := r["name"].(string)
					k, _ := r["key"].(string)
					add("SchedulerConfigMap", ns, n+"/"+cmp.Or(k, "epp"))
				}
			}
		})
	}
	for key := range refs["Secret"] {
		ns, name, _ := strings.Cut(key, "/")
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			StringData: map[string]string{"HF_TOKEN": "e2e-not-a-token", ".dockerconfigjson": `{"auths":{}}`}}
		if _, err := c.Client.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for key := range refs["SchedulerConfigMap"] {
		parts := strings.SplitN(key, "/", 3) // ns/name/key
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: parts[1], Namespace: parts[0]},
			Data: map[string]string{parts[2]: schedulerConfig}}
		if _, err := c.Client.CoreV1().ConfigMaps(parts[0]).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for key := range refs["ServiceAccount"] {
		ns, name, _ := strings.Cut(key, "/")
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
		if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for key := range refs["PriorityClass"] {
		_, name, _ := strings.Cut(key, "/")
		pc := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
			"metadata": map[string]interface{}{"name": name}, "value": int64(1000),
		}}
		if _, err := c.Apply(ctx, HarnessManager, pc); err != nil {
			return err
		}
	}
	for key := range refs["RuntimeClass"] {
		_, name, _ := strings.Cut(key, "/")
		rc := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
			"metadata": map[string]interface{}{"name": name}, "handler": name,
		}}
		if _, err := c.Apply(ctx, HarnessManager, rc); err != nil {
			return err
		}
	}
	for key := range refs["PersistentVolumeClaim"] {
		ns, name, _ := strings.Cut(key, "/")
		if refs["rendered-pvc"][key] {
			continue
		}
		empty := ""
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.PersistentVolumeClaimSpec{
				StorageClassName: &empty,
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Ti")}},
			},
		}
		// The volume first, pre-bound: the claim then binds as it is
		// created, not on a later resync of the volume binder.
		if err := c.bindVolume(ctx, pvc); err != nil {
			return err
		}
		if _, err := c.Client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	for _, o := range cs.Objects {
		if o.GetKind() != "PersistentVolumeClaim" {
			continue
		}
		pvc := &corev1.PersistentVolumeClaim{}
		if err := fromUnstructured(o, pvc); err != nil {
			return err
		}
		if err := c.bindVolume(ctx, pvc); err != nil {
			return err
		}
	}
	return nil
}

// bindVolume makes a volume pre-bound to the claim: the controller
// manager's volume binder then binds the claim, as if provisioned.
func (c *Cluster) bindVolume(ctx context.Context, pvc *corev1.PersistentVolumeClaim) error {
	size := resource.MustParse("1Ti")
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok && q.Cmp(size) > 0 {
		size = q
	}
	modes := pvc.Spec.AccessModes
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	class := ""
	if pvc.Spec.StorageClassName != nil {
		class = *pvc.Spec.StorageClassName
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-" + pvc.Namespace + "-" + pvc.Name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   modes,
			StorageClassName:              class,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			ClaimRef:                      &corev1.ObjectReference{Namespace: pvc.Namespace, Name: pvc.Name},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/e2e/" + pvc.Namespace + "/" + pvc.Name}},
		},
	}
	if _, err := c.Client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// walk calls f for every key of every map inside v.
func walk(v interface{}, f func(key string, v interface{}, parent map[string]interface{})) {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			f(k, x, t)
			walk(x, f)
		}
	case []interface{}:
		for _, x := range t {
			walk(x, f)
		}
	}
}

// NodeSelectors returns every distinct nodeSelector (as "k=v,k=v") the
// case's pods carry, "" for none.
func (cs *Case) NodeSelectors() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, w := range cs.Workloads() {
		for _, ps := range podSpecs(w) {
			sel, _, _ := unstructured.NestedStringMap(ps, "nodeSelector")
			out[selectorKey(sel)] = sel
		}
	}
	return out
}

func selectorKey(sel map[string]string) string {
	var kv []string
	for k, v := range sel {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// schedulerConfig is a user's EndpointPickerConfig for a scheduler config
// by reference: queue scoring, as a user might write.
const schedulerConfig = `apiVersion: inference.networking.x-k8s.io/v1alpha1
kind: EndpointPickerConfig
plugins:
- type: queue-scorer
- type: max-score-picker
schedulingProfiles:
- name: default
  plugins:
  - pluginRef: queue-scorer
  - pluginRef: max-score-picker
`
