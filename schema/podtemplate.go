package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ModelContainer is the name the pod template gives the model's container
// on every layer; servelayer merges it into the layer's own (vllm on
// raw-vllm, kserve-container on kserve, main on llm-d).
const ModelContainer = "vllm"

// PodSpecFields are the JSON field names of Kubernetes' PodSpec (k8s.io/api
// v0.34), the keys a pod template's spec may hold. The conformance module
// checks the list against k8s.io/api/core/v1.PodSpec.
var PodSpecFields = []string{
	"activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "containers", "dnsConfig", "dnsPolicy",
	"enableServiceLinks", "ephemeralContainers", "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers",
	"hostname", "hostnameOverride", "imagePullSecrets", "initContainers", "nodeName", "nodeSelector", "os", "overhead",
	"preemptionPolicy", "priority", "priorityClassName", "readinessGates", "resourceClaims", "resources",
	"restartPolicy", "runtimeClassName", "schedulerName", "schedulingGates", "securityContext", "serviceAccount",
	"serviceAccountName", "setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds",
	"tolerations", "topologySpreadConstraints", "volumes",
}

// ContainerFields are the JSON field names of Kubernetes' Container
// (k8s.io/api v0.34), checked the same way.
var ContainerFields = []string{
	"args", "command", "env", "envFrom", "image", "imagePullPolicy", "lifecycle", "livenessProbe", "name", "ports",
	"readinessProbe", "resizePolicy", "resources", "restartPolicy", "restartPolicyRules", "securityContext",
	"startupProbe", "stdin", "stdinOnce", "terminationMessagePath", "terminationMessagePolicy", "tty", "volumeDevices",
	"volumeMounts", "workingDir",
}

// podTemplateNamed are pod fields a named spec field renders: the pod
// template would fight it.
var podTemplateNamed = map[string]string{
	"serviceAccountName":        "spec.pod.serviceAccountName",
	"serviceAccount":            "spec.pod.serviceAccountName",
	"priorityClassName":         "spec.pod.priorityClassName",
	"imagePullSecrets":          "spec.pod.imagePullSecrets",
	"topologySpreadConstraints": "spec.pod.topologySpread",
}

// modelContainerNamed are the model container's fields servelayer owns
// on every layer, and where the spec sets them.
var modelContainerNamed = map[string]string{
	"image":        "spec.engine.image",
	"command":      "spec.engine.args (servelayer owns --model, --served-model-name and --port)",
	"args":         "spec.engine.args (servelayer owns --model, --served-model-name and --port)",
	"env":          "spec.engine.env",
	"ports":        "nothing: servelayer and the layer own the serving port",
	"resources":    "spec.resources",
	"startupProbe": "spec.engine.startupTimeoutSeconds",
}

// Names servelayer and KServe give containers, init containers and
// volumes, and mount paths of the weights and /dev/shm: the pod template
// may not reuse them.
var (
	reservedContainers = []string{"kserve-container", "main", "modelcar", "modelcar-init", "storage-initializer", "llm-d-routing-sidecar", "queue-proxy", "check-weights"}
	reservedVolumes    = []string{"models", "dshm", "kserve-pvc-source", "kserve-provision-location", "tls-certs"}
	reservedMountPaths = []string{"/models", "/mnt/models", "/dev/shm"}
)

// ParsePodTemplate decodes spec.pod.template into maps, for validation
// (the layers merge it with internal/k8s, which keeps its key order).
func ParsePodTemplate(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object")
	}
	return obj, nil
}

// validatePodTemplate checks spec.pod.template for what holds on every
// layer: its shape (a spec holding PodSpec fields, containers and volumes
// with names), and what servelayer owns everywhere. Each layer then merges
// it into its pods and refuses any value it would change (see
// internal/k8s MergePodTemplate).
func validatePodTemplate(pod *Pod, tp *field.Path) field.ErrorList {
	if pod.Template == nil || len(pod.Template.Raw) == 0 {
		return nil
	}
	tmpl, err := ParsePodTemplate(pod.Template.Raw)
	if err != nil {
		return field.ErrorList{field.Invalid(tp, string(pod.Template.Raw), "must be a partial pod template, an object: "+err.Error())}
	}
	var errs field.ErrorList
	for _, k := range sortedKeys(tmpl) {
		switch k {
		case "spec":
		case "metadata":
			errs = append(errs, field.Forbidden(tp.Child(k), "set the pods' labels and annotations with spec.pod.labels and spec.pod.annotations"))
		default:
			errs = append(errs, field.NotSupported(tp.Child(k), k, []string{"spec"}))
		}
	}
	sp := tp.Child("spec")
	spec, ok := tmpl["spec"].(map[string]any)
	if !ok {
		if _, set := tmpl["spec"]; set {
			errs = append(errs, field.Invalid(sp, fmt.Sprint(tmpl["spec"]), "must be an object of PodSpec fields"))
		}
		return errs
	}
	for _, k := range sortedKeys(spec) {
		kp := sp.Child(k)
		switch {
		case !slices.Contains(PodSpecFields, k):
			errs = append(errs, field.Invalid(kp, k, "is not a PodSpec field"))
		case podTemplateNamed[k] != "":
			errs = append(errs, field.Forbidden(kp, "servelayer renders this from "+podTemplateNamed[k]+"; set it there"))
		case spec[k] == nil:
			errs = append(errs, field.Invalid(kp, "null", "the pod template adds to the pods servelayer renders; it cannot remove a field"))
		}
	}
	for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
		errs = append(errs, validateTemplateContainers(spec[list], sp.Child(list), list)...)
	}
	if v, ok := spec["volumes"]; ok {
		items, isList := v.([]any)
		if !isList {
			return append(errs, field.Invalid(sp.Child("volumes"), fmt.Sprint(v), "must be a list"))
		}
		seen := map[string]bool{}
		for i, item := range items {
			ip := sp.Child("volumes").Index(i)
			name, err := itemName(item)
			switch {
			case err != nil:
				errs = append(errs, field.Required(ip.Child("name"), err.Error()))
			case seen[name]:
				errs = append(errs, field.Duplicate(ip.Child("name"), name))
			case slices.Contains(reservedVolumes, name):
				errs = append(errs, field.Forbidden(ip.Child("name"), fmt.Sprintf("volume %s is servelayer's or KServe's (the weights, /dev/shm: spec.resources.sharedMemory, the model's certificates)", name)))
			}
			seen[name] = true
		}
	}
	return errs
}

func validateTemplateContainers(v any, lp *field.Path, list string) field.ErrorList {
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		return field.ErrorList{field.Invalid(lp, fmt.Sprint(v), "must be a list")}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, item := range items {
		ip := lp.Index(i)
		name, err := itemName(item)
		if err != nil {
			errs = append(errs, field.Required(ip.Child("name"), err.Error()))
			continue
		}
		if seen[name] {
			errs = append(errs, field.Duplicate(ip.Child("name"), name))
			continue
		}
		seen[name] = true
		if slices.Contains(reservedContainers, name) {
			errs = append(errs, field.Forbidden(ip.Child("name"), fmt.Sprintf(
				"%s is a container servelayer or KServe runs; the model's container is named %s in the pod template on every layer", name, ModelContainer)))
			continue
		}
		c := item.(map[string]any)
		model := name == ModelContainer
		if model && list != "containers" {
			errs = append(errs, field.Forbidden(ip.Child("name"), fmt.Sprintf("%s is the model's container: it is one of containers", name)))
			continue
		}
		for _, k := range sortedKeys(c) {
			kp := ip.Child(k)
			switch {
			case !slices.Contains(ContainerFields, k):
				errs = append(errs, field.Invalid(kp, k, "is not a Container field"))
			case model && modelContainerNamed[k] != "":
				errs = append(errs, field.Forbidden(kp, "servelayer owns the model container's "+k+": "+modelContainerNamed[k]))
			case c[k] == nil:
				errs = append(errs, field.Invalid(kp, "null", "the pod template adds to the pods servelayer renders; it cannot remove a field"))
			}
		}
		if mounts, ok := c["volumeMounts"].([]any); ok {
			for j, mnt := range mounts {
				mm, _ := mnt.(map[string]any)
				p, _ := mm["mountPath"].(string)
				n, _ := mm["name"].(string)
				if slices.Contains(reservedMountPaths, strings.TrimSuffix(p, "/")) || slices.Contains(reservedVolumes, n) {
					errs = append(errs, field.Forbidden(ip.Child("volumeMounts").Index(j), fmt.Sprintf(
						"mounts volume %s at %s: the weights and /dev/shm volumes and their paths are servelayer's (size /dev/shm with spec.resources.sharedMemory)", n, p)))
				}
			}
		}
	}
	return errs
}

func itemName(item any) (string, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return "", fmt.Errorf("an object with a name")
	}
	name, ok := m["name"].(string)
	if !ok || name == "" {
		return "", fmt.Errorf("a name: entries merge by name")
	}
	return name, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
