package conformance

import (
	"context"
	kservev1beta1 "github.com/kserve/kserve/pkg/apis/serving/v1beta1"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// SkipAPIServerEnv skips TestAPIServer when set to 1. Nothing else skips
// it: missing binaries fail the test.
const SkipAPIServerEnv = "CONFORMANCE_SKIP_APISERVER"

// namespaceLabels: every namespace enforces (and warns on) the baseline Pod
// Security Standard, so the apiserver's own PodSecurity admission checks
// the pod templates of workload objects too.
var namespaceLabels = map[string]string{
	"pod-security.kubernetes.io/enforce": "baseline",
	"pod-security.kubernetes.io/warn":    "baseline",
}

// TestAPIServer is the final word: a real kube-apiserver v1.34.3 with
// KServe's CRDs installed accepts every rendered object with a server-side
// apply dry run (dryRun=All, fieldManager=servelayer, strict field
// validation), without a warning. It also shows, on broken copies of the
// fixtures, that it rejects what only a server checks.
func TestAPIServer(t *testing.T) {
	if os.Getenv(SkipAPIServerEnv) == "1" {
		t.Skipf("%s=1: the real apiserver check is skipped", SkipAPIServerEnv)
	}
	docs := inputs(t)
	set, err := KServeCRDs()
	if err != nil {
		t.Fatal(err)
	}
	apiserverBin, etcdBin := KubeBinaries(root(t))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	start := time.Now()
	s, err := StartAPIServer(ctx, apiserverBin, etcdBin)
	if err != nil {
		t.Fatalf("start kube-apiserver: %v", err)
	}
	defer s.Stop()
	t.Logf("etcd %s and kube-apiserver %s ready in %s", EtcdVersion, KubeVersion, time.Since(start).Round(10*time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("server logs:\n%s", s.Logs(40))
		}
	}()

	start = time.Now()
	if err := s.InstallCRDs(ctx, set.CRDs); err != nil {
		t.Fatalf("install KServe and KEDA CRDs: %v", err)
	}
	t.Logf("%d KServe and KEDA CRDs applied server-side and Established in %s", len(set.CRDs), time.Since(start).Round(10*time.Millisecond))

	namespaces := map[string]bool{}
	for _, d := range docs {
		if d.Namespace != "" {
			namespaces[d.Namespace] = true
		}
	}
	names := make([]string, 0, len(namespaces))
	for n := range namespaces {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := s.EnsureNamespace(ctx, n, namespaceLabels); err != nil {
			t.Fatalf("create namespace %s: %v", n, err)
		}
	}

	t.Run("rendered", func(t *testing.T) {
		for _, d := range docs {
			t.Run(d.String(), func(t *testing.T) {
				warnings, err := s.DryRunApply(ctx, d.GVK, d.Namespace, d.Name, d.JSON)
				if err != nil {
					t.Fatal(err)
				}
				if len(warnings) > 0 {
					t.Fatalf("accepted with warnings:\n%s", strings.Join(warnings, "\n"))
				}
			})
		}
	})

	// What KServe's controller builds from a KEDA-class InferenceService
	// (by its own code) must be accepted too: servelayer does not render it.
	t.Run("kserve-built", func(t *testing.T) {
		cfg, err := ShippedKServeConfig()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range docs {
			if d.GVK != InferenceServiceGVK || !strings.Contains(string(d.JSON), `"serving.kserve.io/autoscalerClass":"keda"`) {
				continue
			}
			n++
			t.Run(d.String(), func(t *testing.T) {
				obj, err := DecodeStrict(d)
				if err != nil {
					t.Fatal(err)
				}
				so, data, err := KServeScaledObject(obj.(*kservev1beta1.InferenceService), cfg)
				if err != nil {
					t.Fatal(err)
				}
				warnings, err := s.DryRunApply(ctx, ScaledObjectGVK, so.Namespace, so.Name, data)
				if err != nil {
					t.Fatalf("%v\n%s", err, data)
				}
				if len(warnings) > 0 {
					t.Fatalf("accepted with warnings:\n%s", strings.Join(warnings, "\n"))
				}
			})
		}
		if n == 0 {
			t.Fatal("no InferenceService on KServe's KEDA class among the inputs")
		}
	})

	t.Run("negative", func(t *testing.T) {
		for _, nc := range apiserverNegatives {
			t.Run(nc.name, func(t *testing.T) {
				d := nc.doc(t)
				warnings, err := s.DryRunApply(ctx, d.GVK, d.Namespace, d.Name, d.JSON)
				if nc.warning {
					if err != nil {
						t.Fatalf("rejected: %v; want acceptance with a warning containing %q", err, nc.want)
					}
					if !strings.Contains(strings.Join(warnings, "\n"), nc.want) {
						t.Fatalf("warnings %q; want one containing %q", warnings, nc.want)
					}
					t.Logf("warned as expected: %s", strings.Join(warnings, "; "))
					return
				}
				if err == nil {
					t.Fatalf("the apiserver accepted the broken object; want an error containing %q", nc.want)
				}
				if !strings.Contains(err.Error(), nc.want) {
					t.Fatalf("rejected with\n  %v\nwant an error containing %q", err, nc.want)
				}
				t.Logf("rejected as expected: %v", err)
			})
		}
	})
}
