//go:build tools

// Package tools pins the binaries built from this module: the control plane
// of the conformance dry runs (kube-apiserver, etcd) and of the e2e cluster
// (plus kube-controller-manager and kube-scheduler).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
