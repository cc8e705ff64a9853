package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// Field managers: the harness's own setup, and servelayer's output.
const (
	HarnessManager = "servelayer-e2e"
	FieldManager   = "servelayer"
)

// Apply server-side applies obj (forcing conflicts) as manager.
func (c *Cluster) Apply(ctx context.Context, manager string, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, err := c.resource(obj.GroupVersionKind(), obj.GetNamespace())
	if err != nil {
		return nil, err
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	force := true
	out, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: manager, Force: &force, FieldValidation: "Strict",
	})
	if err != nil {
		return nil, fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return out, nil
}

// Get reads one object.
func (c *Cluster) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, name, metav1.GetOptions{})
}

// List lists the objects of a kind in a namespace ("" for all).
func (c *Cluster) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string, opts metav1.ListOptions) ([]unstructured.Unstructured, error) {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	l, err := ri.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Delete deletes one object in the foreground (its dependents first); a
// missing object is not an error.
func (c *Cluster) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	ri, err := c.resource(gvk, namespace)
	if err != nil {
		return err
	}
	fg := metav1.DeletePropagationForeground
	err = ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// EnsureNamespace applies a namespace with labels.
func (c *Cluster) EnsureNamespace(ctx context.Context, name string, labels map[string]string) error {
	ns := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]interface{}{"name": name},
	}}
	if len(labels) > 0 {
		ns.SetLabels(labels)
	}
	if _, err := c.Apply(ctx, HarnessManager, ns); err != nil {
		return err
	}
	// The default ServiceAccount, made by the controller manager, must exist
	// before a pod can be created in the namespace.
	return poll(ctx, 60*time.Second, "namespace "+name+" default ServiceAccount", func() (bool, string, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, "absent", nil
		}
		return err == nil, "", err
	})
}

var crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}

// installPrerequisites installs, before the KServe managers start, what
// they read at start: the kserve namespace, every CRD (the
// LLMInferenceService ones with their conversion webhook pointed at the
// manager's 127.0.0.1 port) and the inferenceservice-config ConfigMap.
func (c *Cluster) installPrerequisites(ctx context.Context) error {
	// control-plane: the pod mutator's namespaceSelector skips KServe's own
	// namespace, as a KServe install labels it.
	if err := c.EnsureNamespace(ctx, KServeNamespace, map[string]string{"control-plane": "kserve-controller-manager"}); err != nil {
		return err
	}
	files, err := c.sources.crdFiles()
	if err != nil {
		return err
	}
	caBundle := base64.StdEncoding.EncodeToString(c.pki.caPEM)
	var names []string
	for _, f := range files {
		objs, err := ReadObjectsFile(f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.GetKind() != "CustomResourceDefinition" {
				continue
			}
			switch o.GetName() {
			case "llminferenceservices.serving.kserve.io", "llminferenceserviceconfigs.serving.kserve.io":
				// What config/crd/full/llmisvc's conversion patches set, with
				// a URL in place of the in-cluster Service.
				if err := unstructured.SetNestedMap(o.Object, map[string]interface{}{
					"strategy": "Webhook",
					"webhook": map[string]interface{}{
						"clientConfig": map[string]interface{}{
							"url":      c.llmisvcHooks + "/convert",
							"caBundle": caBundle,
						},
						"conversionReviewVersions": []interface{}{"v1", "v1beta1"},
					},
				}, "spec", "conversion"); err != nil {
					return err
				}
			}
			if _, err := c.Apply(ctx, HarnessManager, o); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			names = append(names, o.GetName())
		}
	}
	if err := c.waitCRDs(ctx, names); err != nil {
		return err
	}
	cm, err := ReadObjectsFile(filepath.Join(c.sources.KServe, "config/configmap/inferenceservice.yaml"))
	if err != nil {
		return err
	}
	for _, o := range cm {
		o.SetNamespace(KServeNamespace)
		if _, err := c.Apply(ctx, HarnessManager, o); err != nil {
			return err
		}
	}
	// The default ClusterStorageContainer, with the image a release's
	// kustomization substitutes for its placeholder.
	scs, err := ReadObjectsFile(filepath.Join(c.sources.KServe, "config/storagecontainers/default.yaml"))
	if err != nil {
		return err
	}
	for _, o := range scs {
		if err := unstructured.SetNestedField(o.Object, "kserve/storage-initializer:"+KServeVersion, "spec", "container", "image"); err != nil {
			return err
		}
		if _, err := c.Apply(ctx, HarnessManager, o); err != nil {
			return err
		}
	}
	return nil
}

// installWebhooks applies KServe's webhook configurations with each
// webhook's Service replaced by its manager's 127.0.0.1 URL and the CA.
func (c *Cluster) installWebhooks(ctx context.Context) error {
	for _, w := range []struct{ file, base string }{
		{"config/webhook/manifests.yaml", c.isvcHooks},
		{"config/webhook/llmisvc/manifests.yaml", c.llmisvcHooks},
	} {
		objs, err := ReadObjectsFile(filepath.Join(c.sources.KServe, w.file))
		if err != nil {
			return err
		}
		for _, o := range objs {
			hooks, _, err := unstructured.NestedSlice(o.Object, "webhooks")
			if err != nil {
				return err
			}
			for i, h := range hooks {
				hm := h.(map[string]interface{})
				path, _, _ := unstructured.NestedString(hm, "clientConfig", "service", "path")
				if path == "" {
					return fmt.Errorf("%s: webhook %v has no service path", w.file, hm["name"])
				}
				hm["clientConfig"] = map[string]interface{}{
					"url":      w.base + path,
					"caBundle": base64.StdEncoding.EncodeToString(c.pki.caPEM),
				}
				hooks[i] = hm
			}
			if err := unstructured.SetNestedSlice(o.Object, hooks, "webhooks"); err != nil {
				return err
			}
			unstructured.RemoveNestedField(o.Object, "metadata", "creationTimestamp")
			if _, err := c.Apply(ctx, HarnessManager, o); err != nil {
				return fmt.Errorf("%s: %w", w.file, err)
			}
		}
	}
	return nil
}

// installPresets applies KServe's 8 LLMInferenceServiceConfig presets into
// the kserve namespace (through the manager's validating webhook).
func (c *Cluster) installPresets(ctx context.Context) error {
	files, err := c.sources.presetFiles()
	if err != nil {
		return err
	}
	for _, f := range files {
		objs, err := ReadObjectsFile(f)
		if err != nil {
			return err
		}
		for _, o := range objs {
			o.SetNamespace(KServeNamespace)
			// The webhook may still be warming up: retry, bounded.
			if err := poll(ctx, 60*time.Second, "apply preset "+o.GetName(), func() (bool, string, error) {
				_, err := c.Apply(ctx, HarnessManager, o)
				if err != nil && (strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "failed calling webhook")) {
					return false, err.Error(), nil
				}
				return err == nil, "", err
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func conditionTrue(conds []interface{}, typ string) bool {
	return conditionStatus(conds, typ) == "True"
}

func conditionStatus(conds []interface{}, typ string) string {
	for _, c := range conds {
		m, _ := c.(map[string]interface{})
		if m["type"] == typ {
			s, _ := m["status"].(string)
			return s
		}
	}
	return ""
}
