package k8s

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// expand is Kubernetes' $(VAR) expansion of container command, args and
// env values (k8s.io/kubernetes third_party/forked/golang/expansion), with
// vars as the container's environment.
func expand(in string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		if in[i] != '$' || i+1 == len(in) {
			b.WriteByte(in[i])
			continue
		}
		switch next := in[i+1]; next {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(in[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := in[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString("$(" + name + ")")
			}
			i += 2 + end
		default:
			b.WriteByte('$')
			b.WriteByte(next)
			i++
		}
	}
	return b.String()
}

// TestEscapeExpansion: what Kubernetes expands from an escaped argument is
// the argument, whatever variables the container has, except references to
// the variables the user declared, which expand.
func TestEscapeExpansion(t *testing.T) {
	vars := map[string]string{"HOME": "/home", "KEY": "secret", "A": "a"}
	refs := map[string]bool{"KEY": true}
	for _, c := range []struct{ in, escaped, expanded string }{
		{"plain", "plain", "plain"},
		{"$(HOME)/x", "$$(HOME)/x", "$(HOME)/x"},
		{"--api-key=$(KEY)", "--api-key=$(KEY)", "--api-key=secret"},
		{"$$(KEY)", "$$$(KEY)", "$secret"},
		{"a$$b", "a$$$b", "a$$b"},
		{"cost: $5 $", "cost: $5 $", "cost: $5 $"},
		{"$(unclosed", "$$(unclosed", "$(unclosed"},
		{"$(A)$(KEY)$", "$$(A)$(KEY)$", "$(A)secret$"},
	} {
		got := EscapeExpansion(c.in, refs)
		if got != c.escaped {
			t.Errorf("EscapeExpansion(%q) = %q, want %q", c.in, got, c.escaped)
		}
		if x := expand(got, vars); x != c.expanded {
			t.Errorf("expansion of %q = %q, want %q", got, x, c.expanded)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "$()AKEY$x"
	for range 20000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		if x := expand(EscapeExpansion(s, nil), vars); x != s {
			t.Fatalf("%q escapes to %q, which expands to %q", s, EscapeExpansion(s, nil), x)
		}
	}
}
