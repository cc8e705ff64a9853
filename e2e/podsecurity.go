package e2e

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RestrictedNamespace enforces the restricted Pod Security Standard; pods
// are dry-run created there to learn which restricted checks they fail.
// BaselineNamespace enforces baseline: the baseline checks a pod in a
// privileged namespace fails (restricted's capabilities check hides
// baseline's).
const (
	RestrictedNamespace = "pss-restricted"
	BaselineNamespace   = "pss-baseline"
)

// pssReasons maps the reasons the apiserver's PodSecurity admission gives
// (k8s.io/pod-security-admission/policy's ForbiddenReason) to check IDs.
var pssReasons = []struct{ prefix, check string }{
	{"allowPrivilegeEscalation != false", "allowPrivilegeEscalation"},
	{"unrestricted capabilities", "capabilities_restricted"},
	{"runAsNonRoot != true", "runAsNonRoot"},
	{"runAsUser=0", "runAsUser"},
	{"seccompProfile", "seccompProfile_restricted"},
	{"restricted volume types", "restrictedVolumes"},
	{"privileged", "privileged"},
	{"host namespaces", "hostNamespaces"},
	{"hostPath volumes", "hostPathVolumes"},
	{"hostPort", "hostPorts"},
	{"non-default capabilities", "capabilities_baseline"},
	{"forbidden sysctls", "sysctls"},
	{"procMount", "procMount"},
	{"forbidden AppArmor profile", "appArmorProfile"},
	{"seLinuxOptions", "seLinuxOptions"},
}

var violatesRE = regexp.MustCompile(`violates PodSecurity "[a-z]+:[a-z0-9.]+": (.*)$`)

// RestrictedFailures dry-run creates the pod, as the controllers made it,
// in the restricted namespace and returns the restricted checks the
// apiserver's PodSecurity admission rejects it for, sorted.
func (c *Cluster) RestrictedFailures(ctx context.Context, live *corev1.Pod) ([]string, error) {
	return c.pssFailures(ctx, live, RestrictedNamespace)
}

// BaselineFailures is RestrictedFailures in the baseline namespace.
func (c *Cluster) BaselineFailures(ctx context.Context, live *corev1.Pod) ([]string, error) {
	return c.pssFailures(ctx, live, BaselineNamespace)
}

func (c *Cluster) pssFailures(ctx context.Context, live *corev1.Pod, ns string) ([]string, error) {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: live.Name, Namespace: ns,
			Labels: live.Labels, Annotations: live.Annotations,
		},
		Spec: *live.Spec.DeepCopy(),
	}
	// Only the pod's own security matters: the service account (and the
	// token volume its admission added) belongs to the original namespace.
	p.Spec.ServiceAccountName = "default"
	p.Spec.DeprecatedServiceAccount = ""
	p.Spec.NodeName = ""
	var vols []corev1.Volume
	for _, v := range p.Spec.Volumes {
		if !strings.HasPrefix(v.Name, "kube-api-access-") {
			vols = append(vols, v)
		}
	}
	p.Spec.Volumes = vols
	strip := func(cs []corev1.Container) {
		for i := range cs {
			var ms []corev1.VolumeMount
			for _, m := range cs[i].VolumeMounts {
				if !strings.HasPrefix(m.Name, "kube-api-access-") {
					ms = append(ms, m)
				}
			}
			cs[i].VolumeMounts = ms
		}
	}
	strip(p.Spec.Containers)
	strip(p.Spec.InitContainers)
	_, err := c.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err == nil {
		return nil, nil
	}
	if !apierrors.IsForbidden(err) {
		return nil, err
	}
	m := violatesRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, fmt.Errorf("dry run refused, not by PodSecurity: %w", err)
	}
	var checks []string
	for _, part := range splitTopLevel(m[1]) {
		found := ""
		for _, r := range pssReasons {
			if strings.HasPrefix(part, r.prefix) {
				found = r.check
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("unknown PodSecurity reason %q in %v", part, err)
		}
		checks = append(checks, found)
	}
	sort.Strings(checks)
	return checks, nil
}

// splitTopLevel splits "a (x, y), b (z)" at the commas outside parentheses.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// Exception is one row of conformance/README.md's table "Restricted
// exceptions of the pods KServe runs": a restricted check allowed to fail
// for the pods of one kind's pod template.
type Exception struct {
	Kind, Path, Check, Reason string
}

var rowRE = regexp.MustCompile("^\\| (\\w+) \\| `([^`]+)` \\| `([^`]+)` \\| (.*) \\|$")

// AsRunExceptions reads that table.
func AsRunExceptions(readme string) ([]Exception, error) {
	data, err := os.ReadFile(readme)
	if err != nil {
		return nil, err
	}
	_, section, ok := strings.Cut(string(data), "## Restricted exceptions of the pods KServe runs")
	if !ok {
		return nil, fmt.Errorf("%s: no section \"Restricted exceptions of the pods KServe runs\"", readme)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var out []Exception
	for _, line := range strings.Split(section, "\n") {
		if m := rowRE.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			out = append(out, Exception{Kind: m[1], Path: m[2], Check: m[3], Reason: m[4]})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the as-run exceptions table has no rows", readme)
	}
	return out, nil
}
