package schema

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// imageRef checks a container image reference against the reference
// grammar of the distribution project (what registries and container
// runtimes parse): lowercase path components, an optional registry host
// and port, an optional tag, an optional @digest with a known algorithm
// and the right number of hex digits. Spaces, quotes and shell
// metacharacters are outside the grammar.
func imageRef(p *field.Path, v string) field.ErrorList {
	if v == "" {
		return field.ErrorList{field.Required(p, "a container image")}
	}
	named, err := reference.ParseNormalizedNamed(v)
	if err != nil {
		return field.ErrorList{field.Invalid(p, v, "is not a container image reference ("+referenceProblem(v, err)+
			"); write [registry[:port]/]repository[:tag][@sha256:<64 hex>], such as vllm/vllm-openai:v0.11.0")}
	}
	return registryPort(p, v, named)
}

// registryPort: the grammar takes any digits for the registry's port.
func registryPort(p *field.Path, v string, named reference.Named) field.ErrorList {
	if _, port, err := net.SplitHostPort(reference.Domain(named)); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return field.ErrorList{field.Invalid(p, v, "the registry's port "+port+" is not between 1 and 65535")}
		}
	}
	return nil
}

// referenceProblem names what is wrong with a reference the grammar refuses.
func referenceProblem(v string, err error) string {
	switch {
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || strings.ContainsRune("\"'`$;&|<>()\\*?!{}[]#~", r) }):
		return "it holds a space, quote or shell metacharacter"
	case errors.Is(err, reference.ErrNameContainsUppercase):
		return "the repository must be lowercase"
	case errors.Is(err, reference.ErrNameTooLong):
		return fmt.Sprintf("the name is longer than %d characters", reference.NameTotalLengthMax)
	case strings.Contains(v, "@"):
		return "the digest must be an algorithm and its hex digits, such as sha256: and 64 of them"
	}
	return err.Error()
}

// validateOCI checks an oci model source: a digest-pinned image reference,
// with or without oci://.
func validateOCI(p *field.Path, v string) field.ErrorList {
	ref := strings.TrimPrefix(v, "oci://")
	repo, digest := SplitOCI(v)
	switch {
	case !strings.Contains(ref, "@"):
		return field.ErrorList{field.Invalid(p, v, "must be pinned by digest (registry/repo@sha256:<64 hex>); a tag can be re-pushed under a running model")}
	case !ociRepoRE.MatchString(repo):
		return field.ErrorList{field.Invalid(p, v, "repository must look like registry.example.com/models/name (lowercase)")}
	case !digestRE.MatchString(digest):
		return field.ErrorList{field.Invalid(p, v, "digest must be sha256: followed by 64 lowercase hex digits")}
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return field.ErrorList{field.Invalid(p, v, "is not a container image reference ("+referenceProblem(ref, err)+")")}
	}
	return registryPort(p, v, named)
}

// gatewayURL checks a gateway's base URL: http or https, a host, a port in
// 1-65535, and nothing a base URL cannot carry (user info, a query, a
// fragment).
func gatewayURL(p *field.Path, v string) field.ErrorList {
	const want = "; write http[s]://host[:port][/path], such as http://gateway.example.com"
	bad := func(msg string) field.ErrorList { return field.ErrorList{field.Invalid(p, v, msg+want)} }
	u, err := url.Parse(v)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return bad("does not parse as a URL (" + err.Error() + ")")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad(fmt.Sprintf("must be an http or https URL, not %q", u.Scheme))
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return bad("must name a host")
	case u.User != nil:
		return field.ErrorList{field.Invalid(p, u.Redacted(), "must not carry user info (credentials in a URL leak into every manifest)"+want)}
	case u.RawQuery != "" || u.ForceQuery:
		return bad("must not have a query: it is a base URL that paths are appended to")
	case u.Fragment != "" || strings.Contains(v, "#"):
		return bad("must not have a fragment")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port " + port + " is not between 1 and 65535")
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("has an empty port")
	}
	if h := u.Hostname(); net.ParseIP(h) == nil && strings.ContainsAny(h, "_ ") {
		return bad("host " + strconv.Quote(h) + " is not a DNS name or an IP address")
	}
	return nil
}

// minBytes is the least memory or storage a quantity can mean: below it, a
// plain number was almost surely meant in Gi.
var minBytes = resource.MustParse("1Mi")

// bytesQuantity refuses a memory or storage quantity below 1Mi, which
// cannot be meant: Kubernetes reads a plain number as bytes (16 is 16
// bytes, not 16Gi) and a lowercase m as thousandths (16m).
func bytesQuantity(p *field.Path, q Quantity) field.ErrorList {
	v, err := q.Parse()
	if err != nil || v.Sign() <= 0 || v.Cmp(minBytes) >= 0 {
		return nil
	}
	s := strings.TrimSpace(string(q))
	fix := "a size such as 16Gi"
	switch {
	case strings.HasSuffix(s, "m"):
		fix = strings.TrimSuffix(s, "m") + "Mi (m means thousandths)"
	case strings.Trim(s, "0123456789.") == "":
		fix = s + "Gi"
	}
	return field.ErrorList{field.Invalid(p, string(q), fmt.Sprintf(
		"is %s bytes, too little to be meant (a plain number counts bytes in Kubernetes, and m thousandths); write %s", strconv.FormatFloat(v.AsApproximateFloat64(), 'g', -1, 64), fix))}
}
