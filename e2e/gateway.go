package e2e

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The cluster has no gateway implementation. The stand-in below writes what
// one would: Gateways Accepted and Programmed with an address, every
// HTTPRoute's parents Accepted with their refs resolved, every InferencePool
// (both API groups) accepted by the Gateway that routes to it. Only status
// is written; KServe's controllers then decide readiness themselves.
const gatewayController = "servelayer.dev/e2e-gateway"

var (
	GatewayGVK      = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}
	GatewayClassGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GatewayClass"}
	HTTPRouteGVK    = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
	PoolV1GVK       = schema.GroupVersionKind{Group: "inference.networking.k8s.io", Version: "v1", Kind: "InferencePool"}
	PoolAlphaGVK    = schema.GroupVersionKind{Group: "inference.networking.x-k8s.io", Version: "v1alpha2", Kind: "InferencePool"}
)

// Gateway creates a Gateway (class e2e) with an HTTP listener open to
// routes from every namespace.
func (c *Cluster) Gateway(ctx context.Context, namespace, name string) error {
	if err := c.EnsureNamespace(ctx, namespace, nil); err != nil {
		return err
	}
	class := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]interface{}{"name": "e2e"},
		"spec":     map[string]interface{}{"controllerName": gatewayController},
	}}
	if _, err := c.Apply(ctx, HarnessManager, class); err != nil {
		return err
	}
	gw := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]interface{}{"name": name, "namespace": namespace},
		"spec": map[string]interface{}{
			"gatewayClassName": "e2e",
			"listeners": []interface{}{map[string]interface{}{
				"name": "http", "port": int64(80), "protocol": "HTTP",
				"allowedRoutes": map[string]interface{}{"namespaces": map[string]interface{}{"from": "All"}},
			}},
		},
	}}
	_, err := c.Apply(ctx, HarnessManager, gw)
	return err
}

// RunGatewayStandIn writes gateway status until ctx ends. The returned
// function stops it and waits.
func (c *Cluster) RunGatewayStandIn(ctx context.Context, logf func(string, ...any)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if err := c.gatewayPass(ctx); err != nil && ctx.Err() == nil {
				logf("gateway stand-in: %v", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(300 * time.Millisecond):
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}

func cond(typ, reason string, generation int64) map[string]interface{} {
	return map[string]interface{}{
		"type": typ, "status": "True", "reason": reason, "message": "servelayer e2e gateway stand-in",
		"observedGeneration": generation, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
	}
}

func (c *Cluster) updateStatus(ctx context.Context, gvk schema.GroupVersionKind, u *unstructured.Unstructured) error {
	ri, err := c.resource(gvk, u.GetNamespace())
	if err != nil {
		return err
	}
	_, err = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{FieldManager: HarnessManager})
	return err
}

// gatewayPass writes missing or stale status once.
func (c *Cluster) gatewayPass(ctx context.Context) error {
	gws, err := c.List(ctx, GatewayGVK, "", metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range gws {
		g := &gws[i]
		conds, _, _ := unstructured.NestedSlice(g.Object, "status", "conditions")
		if conditionTrue(conds, "Programmed") {
			continue
		}
		gen := g.GetGeneration()
		_ = unstructured.SetNestedSlice(g.Object, []interface{}{cond("Accepted", "Accepted", gen), cond("Programmed", "Programmed", gen)}, "status", "conditions")
		_ = unstructured.SetNestedSlice(g.Object, []interface{}{map[string]interface{}{
			"type": "Hostname", "value": fmt.Sprintf("%s.%s.svc.cluster.local", g.GetName(), g.GetNamespace()),
		}}, "status", "addresses")
		if err := c.updateStatus(ctx, GatewayGVK, g); err != nil {
			return fmt.Errorf("gateway %s/%s: %w", g.GetNamespace(), g.GetName(), err)
		}
	}
	routes, err := c.List(ctx, HTTPRouteGVK, "", metav1.ListOptions{})
	if err != nil {
		return err
	}
	// gateway of each InferencePool, from the routes that reach it.
	poolParents := map[string][]interface{}{}
	for i := range routes {
		r := &routes[i]
		refs, _, _ := unstructured.NestedSlice(r.Object, "spec", "parentRefs")
		gen := r.GetGeneration()
		var parents []interface{}
		for _, ref := range refs {
			rm := ref.(map[string]interface{})
			pr := map[string]interface{}{"name": rm["name"]}
			for _, k := range []string{"group", "kind", "namespace", "sectionName", "port"} {
				if v, ok := rm[k]; ok {
					pr[k] = v
				}
			}
			parents = append(parents, map[string]interface{}{
				"parentRef":      pr,
				"controllerName": gatewayController,
				"conditions":     []interface{}{cond("Accepted", "Accepted", gen), cond("ResolvedRefs", "ResolvedRefs", gen)},
			})
			ns, _ := rm["namespace"].(string)
			if ns == "" {
				ns = r.GetNamespace()
			}
			rules, _, _ := unstructured.NestedSlice(r.Object, "spec", "rules")
			for _, rule := range rules {
				brefs, _, _ := unstructured.NestedSlice(rule.(map[string]interface{}), "backendRefs")
				for _, b := range brefs {
					bm := b.(map[string]interface{})
					if bm["kind"] != "InferencePool" {
						continue
					}
					key := fmt.Sprintf("%v/%s/%v", bm["group"], r.GetNamespace(), bm["name"])
					poolParents[key] = append(poolParents[key], map[string]interface{}{"name": rm["name"], "namespace": ns})
				}
			}
		}
		if routeUpToDate(r) {
			continue
		}
		_ = unstructured.SetNestedSlice(r.Object, parents, "status", "parents")
		if err := c.updateStatus(ctx, HTTPRouteGVK, r); err != nil {
			return fmt.Errorf("httproute %s/%s: %w", r.GetNamespace(), r.GetName(), err)
		}
	}
	for _, gvk := range []schema.GroupVersionKind{PoolV1GVK, PoolAlphaGVK} {
		pools, err := c.List(ctx, gvk, "", metav1.ListOptions{})
		if err != nil {
			return err
		}
		field := "parents"
		if gvk == PoolAlphaGVK {
			field = "parent"
		}
		for i := range pools {
			p := &pools[i]
			gws := poolParents[fmt.Sprintf("%s/%s/%s", gvk.Group, p.GetNamespace(), p.GetName())]
			if len(gws) == 0 {
				continue
			}
			existing, _, _ := unstructured.NestedSlice(p.Object, "status", field)
			if poolUpToDate(existing, p.GetGeneration()) {
				continue
			}
			gen := p.GetGeneration()
			var st []interface{}
			for _, g := range gws {
				gm := g.(map[string]interface{})
				st = append(st, map[string]interface{}{
					"parentRef": map[string]interface{}{
						"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gm["name"], "namespace": gm["namespace"],
					},
					"conditions": []interface{}{cond("Accepted", "Accepted", gen), cond("ResolvedRefs", "ResolvedRefs", gen)},
				})
			}
			if gvk == PoolV1GVK {
				for _, s := range st {
					s.(map[string]interface{})["controllerName"] = gatewayController
				}
			}
			_ = unstructured.SetNestedSlice(p.Object, st, "status", field)
			if err := c.updateStatus(ctx, gvk, p); err != nil {
				return fmt.Errorf("%s %s/%s: %w", gvk.Kind, p.GetNamespace(), p.GetName(), err)
			}
		}
	}
	return nil
}

func routeUpToDate(r *unstructured.Unstructured) bool {
	parents, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
	refs, _, _ := unstructured.NestedSlice(r.Object, "spec", "parentRefs")
	if len(parents) != len(refs) || len(parents) == 0 {
		return false
	}
	return poolUpToDate(parents, r.GetGeneration())
}

func poolUpToDate(parents []interface{}, gen int64) bool {
	if len(parents) == 0 {
		return false
	}
	for _, p := range parents {
		conds, _, _ := unstructured.NestedSlice(p.(map[string]interface{}), "conditions")
		for _, c := range conds {
			g, _, _ := unstructured.NestedInt64(c.(map[string]interface{}), "observedGeneration")
			if g < gen {
				return false
			}
		}
	}
	return true
}
