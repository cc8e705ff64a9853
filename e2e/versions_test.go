package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPinnedVersions: the versions in the binaries' names are the ones the
// tool modules pin, so a bump of a tool module cannot run stale binaries.
func TestPinnedVersions(t *testing.T) {
	for _, c := range []struct{ dir, module, want string }{
		{"conformance/tools/kube", "k8s.io/kubernetes", KubeVersion},
		{"conformance/tools/kube", "go.etcd.io/etcd/server/v3", EtcdVersion},
		{"e2e/tools/kwok", "sigs.k8s.io/kwok", KwokVersion},
		{"e2e/tools/kserve", "github.com/kserve/kserve", KServeVersion},
		{"argocd/e2e", "github.com/argoproj/argo-cd/v3", ArgoCDVersion},
		{"e2e/tools/kubectl", "k8s.io/kubectl", "v0" + strings.TrimPrefix(KubectlVersion, "v1")},
	} {
		out, err := goCmd(filepath.Join(repo, c.dir), "list", "-m", "-f", "{{.Version}}", c.module)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != c.want {
			t.Errorf("%s pins %s %s, the harness runs %s", c.dir, c.module, got, c.want)
		}
	}
}
