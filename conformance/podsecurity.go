package conformance

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// PSSFailure is one Pod Security Standards check a pod template fails.
type PSSFailure struct {
	Check  policy.CheckID
	Reason string
	Detail string
}

func (f PSSFailure) String() string {
	return fmt.Sprintf("%s: %s (%s)", f.Check, f.Reason, f.Detail)
}

// EvaluatePSS evaluates a pod template against the latest version of a Pod
// Security Standards level with k8s.io/pod-security-admission's checks and
// returns the failing checks by ID, sorted.
//
// The policy package's Evaluator reports results without check IDs, so each
// check is run on its own here, with the same selection the Evaluator makes
// (for restricted: every restricted check plus the baseline checks no
// restricted check overrides). The Evaluator's own verdict is computed too,
// and a disagreement is an error, so this selection cannot drift from it.
func EvaluatePSS(level api.Level, meta *metav1.ObjectMeta, spec *corev1.PodSpec) ([]PSSFailure, error) {
	checks := policy.DefaultChecks()
	evaluator, err := policy.NewEvaluator(checks)
	if err != nil {
		return nil, err
	}
	latest := func(c policy.Check) policy.VersionedCheck { return c.Versions[len(c.Versions)-1] }

	overridden := map[policy.CheckID]bool{}
	if level == api.LevelRestricted {
		for _, c := range checks {
			if c.Level == api.LevelRestricted {
				for _, id := range latest(c).OverrideCheckIDs {
					overridden[id] = true
				}
			}
		}
	}
	var failures []PSSFailure
	for _, c := range checks {
		switch {
		case c.Level == api.LevelBaseline && !overridden[c.ID]:
		case c.Level == api.LevelRestricted && level == api.LevelRestricted:
		default:
			continue
		}
		r := latest(c).CheckPod(meta, spec)
		if !r.Allowed {
			failures = append(failures, PSSFailure{Check: c.ID, Reason: r.ForbiddenReason, Detail: r.ForbiddenDetail})
		}
	}
	sort.Slice(failures, func(i, j int) bool { return failures[i].Check < failures[j].Check })

	var want []string
	for _, r := range evaluator.EvaluatePod(api.LevelVersion{Level: level, Version: api.LatestVersion()}, meta, spec) {
		if !r.Allowed {
			want = append(want, r.ForbiddenReason+"|"+r.ForbiddenDetail)
		}
	}
	got := make([]string, 0, len(failures))
	for _, f := range failures {
		got = append(got, f.Reason+"|"+f.Detail)
	}
	sort.Strings(want)
	sort.Strings(got)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return nil, fmt.Errorf("per-check evaluation %v disagrees with the policy evaluator %v", got, want)
	}
	return failures, nil
}
