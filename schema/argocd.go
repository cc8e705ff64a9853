package schema

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// scpLikeRE is Git's scp-like form, [user@]host:path (git@github.com:org/repo.git).
var scpLikeRE = regexp.MustCompile(`^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:[^/\\][^\s]*$`)

// gitSchemes are the URL schemes Argo CD clones Git repositories over.
var gitSchemes = []string{"https", "http", "ssh", "git", "file"}

// validateArgoCD checks spec.argocd; nil is valid (no Application).
func validateArgoCD(ap *field.Path, a *ArgoCD) field.ErrorList {
	if a == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, repoURL(ap.Child("repoURL"), a.RepoURL)...)
	errs = append(errs, repoPath(ap.Child("path"), a.Path, true)...)
	if a.PlatformFile != "" {
		errs = append(errs, repoPath(ap.Child("platformFile"), a.PlatformFile, false)...)
	}
	if v := a.TargetRevision; v != "" && (hasSpaceOrControl(v) || strings.HasPrefix(v, "-")) {
		errs = append(errs, field.Invalid(ap.Child("targetRevision"), v, "must be a branch, tag or commit: no spaces or control characters, not starting with -"))
	}
	if v := a.Project; v != "" {
		errs = append(errs, dnsSubdomain(ap.Child("project"), v)...)
	}
	if v := a.Namespace; v != "" {
		errs = append(errs, dnsLabel(ap.Child("namespace"), v)...)
	}
	if v := a.Name; v != "" {
		// Argo CD writes the name into a label value (app.kubernetes.io/instance
		// under label tracking): 63 characters at most.
		if len(v) > 63 {
			errs = append(errs, field.Invalid(ap.Child("name"), v, "must be at most 63 characters (Argo CD writes it into a label value)"))
		} else {
			errs = append(errs, dnsSubdomain(ap.Child("name"), v)...)
		}
	}
	if v := a.Destination.Server; v != "" {
		errs = append(errs, gatewayURL(ap.Child("destination", "server"), v)...)
	}
	return errs
}

// repoURL checks a Git repository URL: a URL of a scheme Argo CD clones,
// or the scp-like form, and never credentials (they would be in Git and in
// every Application). Messages show the value with any user part redacted,
// whether or not it parses.
func repoURL(p *field.Path, v string) field.ErrorList {
	const want = "; write https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git"
	shown := redactUser(v)
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "the Git repository holding the models' directory"+want)}
	case hasSpaceOrControl(v):
		return field.ErrorList{field.Invalid(p, shown, "must not contain spaces or control characters"+want)}
	case !strings.Contains(v, "://"):
		if !scpLikeRE.MatchString(v) {
			return field.ErrorList{field.Invalid(p, shown, "is neither a URL nor Git's scp-like form"+want)}
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return field.ErrorList{field.Invalid(p, shown, "does not parse as a URL"+want)}
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return field.ErrorList{field.Invalid(p, shown, "must not carry a password or token (give Argo CD the credentials as a repository Secret)"+want)}
	}
	switch {
	case !slices.Contains(gitSchemes, u.Scheme):
		return field.ErrorList{field.Invalid(p, shown, fmt.Sprintf("scheme %q is not one Argo CD clones Git over (%s)", u.Scheme, strings.Join(gitSchemes, ", "))+want)}
	case u.User != nil && (u.Scheme == "https" || u.Scheme == "http"):
		// Over HTTP a user part is a token as often as a name.
		return field.ErrorList{field.Invalid(p, shown, "must not carry a user or token over "+u.Scheme+" (give Argo CD the credentials as a repository Secret)"+want)}
	case u.Scheme != "file" && u.Host == "":
		return field.ErrorList{field.Invalid(p, shown, "must name a host"+want)}
	}
	return nil
}

// redactUser hides what stands before '@' in a repository URL's
// authority (or in the scp-like form), textually, so no message shows a
// credential, even of a value that does not parse.
func redactUser(v string) string {
	scheme, rest, isURL := strings.Cut(v, "://")
	if !isURL {
		scheme, rest = "", v
	}
	auth := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 && isURL {
		auth = rest[:i]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		return v
	}
	out := "REDACTED@" + rest[at+1:]
	if isURL {
		out = scheme + "://" + out
	}
	return out
}

// repoPath checks a path inside the repository (dir: the models'
// directory, where "." is the root) or inside that directory: relative,
// clean, never leaving it, as Argo CD and the plugin require.
func repoPath(p *field.Path, v string, dir bool) field.ErrorList {
	switch {
	case v == "":
		return field.ErrorList{field.Required(p, "the models' directory in the repository, relative to its root (. for the root)")}
	case hasSpaceOrControl(strings.ReplaceAll(v, " ", "")):
		return field.ErrorList{field.Invalid(p, v, "must not contain control characters")}
	case path.IsAbs(v) || strings.Contains(v, `\`):
		return field.ErrorList{field.Invalid(p, v, "must be a relative path with / separators")}
	case path.Clean(v) != v:
		return field.ErrorList{field.Invalid(p, v, "must be a clean path: write "+path.Clean(v))}
	case v == ".." || strings.HasPrefix(v, "../"):
		return field.ErrorList{field.Invalid(p, v, "must not leave its directory (..)")}
	case !dir && v == ".":
		return field.ErrorList{field.Invalid(p, v, "must name a file")}
	}
	return nil
}

func hasSpaceOrControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
}
