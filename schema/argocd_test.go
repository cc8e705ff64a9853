package schema

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestRepoURLNeverShowsCredentials: whatever is wrong with a repoURL, its
// message never shows the part before '@', and a token as the user of an
// HTTP URL is refused.
func TestRepoURLNeverShowsCredentials(t *testing.T) {
	for _, v := range []string{
		"https://user:s3cret@git.example.com/r.git",     // a password
		"https://s3cret@github.com/org/r.git",           // a token as the user
		"https://user:s3cret@git.example.com/r .git",    // spaces
		"https://user:s3cret@git.example.com:abc/r.git", // does not parse
		"gopher://user:s3cret@git.example.com/r.git",    // another scheme
		"s3cret@/srv/r.git",                             // neither a URL nor scp-like
	} {
		errs := repoURL(field.NewPath("spec", "argocd", "repoURL"), v)
		if len(errs) == 0 {
			t.Errorf("%q: accepted", v)
			continue
		}
		if msg := errs.ToAggregate().Error(); strings.Contains(msg, "s3cret") || !strings.Contains(msg, "REDACTED@") {
			t.Errorf("%q: %s", v, msg)
		}
	}
	for _, v := range []string{"https://git.example.com/org/r.git", "ssh://git@git.example.com/org/r.git", "git@github.com:org/r.git"} {
		if errs := repoURL(field.NewPath("repoURL"), v); len(errs) > 0 {
			t.Errorf("%q: %v", v, errs)
		}
	}
}
