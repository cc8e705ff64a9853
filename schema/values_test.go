package schema

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

const hex64 = "4f0c2b1a8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170615243a"

// TestImageRef: the container image reference grammar, with the problem
// named for what it refuses.
func TestImageRef(t *testing.T) {
	for _, ok := range []string{
		"vllm/vllm-openai:v0.11.0",
		"ghcr.io/llm-d/llm-d-cuda:v0.4.0",
		"registry.example.com:5000/team/vllm@sha256:" + hex64,
		"vllm/vllm-openai:v0.11.0@sha256:" + hex64,
		"localhost/vllm",
		"[::1]:5000/team/vllm:dev",
		"busybox",
		"a/b__c/d-e.f:Tag_1.x",
	} {
		if errs := imageRef(field.NewPath("image"), ok); len(errs) > 0 {
			t.Errorf("%q refused: %v", ok, errs)
		}
	}
	refuses(t, func(v string) field.ErrorList { return imageRef(field.NewPath("image"), v) }, map[string]string{
		"vllm/vllm-openai:v0.11.0; rm -rf /":       "shell metacharacter",
		"vllm/vllm-openai:v0.11.0 --privileged":    "space",
		`"vllm/vllm-openai"`:                       "quote",
		"$(curl evil)/x":                           "shell metacharacter",
		"vllm/VLLM-openai":                         "lowercase",
		"vllm/x@sha256:abc123":                     "64 of them",
		"vllm/x@md5:" + hex64[:32]:                 "digest",
		"vllm/x@sha256:" + hex64[:63]:              "digest",
		"vllm/x:":                                  "not a container image reference",
		":v1":                                      "not a container image reference",
		"http://registry.example.com/vllm":         "not a container image reference",
		"vllm/x:" + strings.Repeat("t", 129):       "not a container image reference",
		"registry.example.com:99999999999999999/x": "not between 1 and 65535",
		"registry.example.com:0/x":                 "not between 1 and 65535",
	})
}

// TestGatewayURL: a base URL with a host, http or https, a valid port,
// and no user info, query or fragment.
func TestGatewayURL(t *testing.T) {
	for _, ok := range []string{"http://gw", "https://gw.example.com:8443/llm-d", "http://10.0.0.1:80", "http://[fd00::1]:8080/"} {
		if errs := gatewayURL(field.NewPath("url"), ok); len(errs) > 0 {
			t.Errorf("%q refused: %v", ok, errs)
		}
	}
	refuses(t, func(v string) field.ErrorList { return gatewayURL(field.NewPath("url"), v) }, map[string]string{
		"ftp://gw":               `not "ftp"`,
		"gw.example.com":         `not ""`,
		"http://":                "must name a host",
		"http:gw":                "must name a host",
		"http://gw?x=1":          "query",
		"http://gw?":             "query",
		"http://gw#frag":         "fragment",
		"http://gw#":             "fragment",
		"http://user:pw@gw":      `"http://user:xxxxx@gw": must not carry user info`,
		"http://gw:0":            "not between 1 and 65535",
		"http://gw:65536":        "not between 1 and 65535",
		"http://gw:":             "empty port",
		"http://gw:x":            "does not parse",
		"http://g w":             "does not parse",
		"http://[fd00::1":        "does not parse",
		"http://bad_host.local/": "not a DNS name",
	})
}

// TestBytesQuantity: memory and storage below 1Mi cannot be meant.
func TestBytesQuantity(t *testing.T) {
	for _, ok := range []Quantity{"16Gi", "1Mi", "17179869184", "16G", "1e9"} {
		if errs := bytesQuantity(field.NewPath("memory"), ok); len(errs) > 0 {
			t.Errorf("%q refused: %v", ok, errs)
		}
	}
	refuses(t, func(v Quantity) field.ErrorList { return bytesQuantity(field.NewPath("memory"), v) }, map[Quantity]string{
		"16":   "write 16Gi",
		"16.5": "write 16.5Gi",
		"16m":  "write 16Mi (m means thousandths)",
		"512k": "write a size such as 16Gi",
		"1Ki":  "is 1024 bytes",
	})
}

// refuses checks that check refuses each value with a message holding the
// wanted text.
func refuses[V ~string](t *testing.T, check func(V) field.ErrorList, cases map[V]string) {
	t.Helper()
	for bad, want := range cases {
		errs := check(bad)
		if len(errs) == 0 {
			t.Errorf("%q accepted", bad)
			continue
		}
		if msg := errs.ToAggregate().Error(); !strings.Contains(msg, want) {
			t.Errorf("%q: %s lacks %q", bad, msg, want)
		}
	}
}
