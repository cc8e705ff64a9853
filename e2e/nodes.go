package e2e

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GPUResource is the extended resource of NVIDIA's device plugin.
const GPUResource = "nvidia.com/gpu"

// NodePool is a set of kwok nodes alike: same labels, taints and capacity.
type NodePool struct {
	Name  string
	Nodes int
	GPUs  int64 // per node, of each of Resources
	// Resources are the GPU resources the nodes offer (default
	// nvidia.com/gpu).
	Resources []string
	CPU       string
	Memory    string
	Labels    map[string]string
	Taints    []corev1.Taint
}

// AddNodes creates the pool's nodes (<name>-<i>, managed by kwok) and waits
// until every one is Ready. Zones alternate zone-a / zone-b.
func (c *Cluster) AddNodes(ctx context.Context, pool NodePool) error {
	cpu, mem := pool.CPU, pool.Memory
	if cpu == "" {
		cpu = "256"
	}
	if mem == "" {
		mem = "2Ti"
	}
	var names []string
	for i := range pool.Nodes {
		name := fmt.Sprintf("%s-%d", pool.Name, i)
		labels := map[string]string{
			"kubernetes.io/hostname":      name,
			"kubernetes.io/os":            "linux",
			"kubernetes.io/arch":          "amd64",
			"type":                        "kwok",
			"topology.kubernetes.io/zone": []string{"zone-a", "zone-b"}[i%2],
		}
		for k, v := range pool.Labels {
			labels[k] = v
		}
		capacity := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse(cpu),
			corev1.ResourceMemory: resource.MustParse(mem),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		res := pool.Resources
		if len(res) == 0 {
			res = []string{GPUResource}
		}
		for _, r := range res {
			if pool.GPUs > 0 {
				capacity[corev1.ResourceName(r)] = *resource.NewQuantity(pool.GPUs, resource.DecimalSI)
			}
		}
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Labels:      labels,
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			},
			Spec:   corev1.NodeSpec{Taints: pool.Taints},
			Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
		}
		if _, err := c.Client.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{FieldManager: HarnessManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		names = append(names, name)
	}
	for _, name := range names {
		if err := poll(ctx, 60*time.Second, "node "+name+" Ready", func() (bool, string, error) {
			n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			for _, cd := range n.Status.Conditions {
				if cd.Type == corev1.NodeReady {
					return cd.Status == corev1.ConditionTrue, string(cd.Status), nil
				}
			}
			return false, "no Ready condition", nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// DeleteNodes deletes a pool's nodes.
func (c *Cluster) DeleteNodes(ctx context.Context, pool NodePool) error {
	for i := range pool.Nodes {
		err := c.Client.CoreV1().Nodes().Delete(ctx, fmt.Sprintf("%s-%d", pool.Name, i), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}
