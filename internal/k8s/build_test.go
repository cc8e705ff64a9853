package k8s

import (
	"math/rand/v2"
	"testing"

	"github.com/servelayer/servelayer/internal/vllmoracle"
)

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
		if x := vllmoracle.Expand(got, vars); x != c.expanded {
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
		if x := vllmoracle.Expand(EscapeExpansion(s, nil), vars); x != s {
			t.Fatalf("%q escapes to %q, which expands to %q", s, EscapeExpansion(s, nil), x)
		}
	}
}

// TestAddSyncOptions: options merge after the ones an object holds, each
// once, so adding them again (or in another call) changes nothing.
func TestAddSyncOptions(t *testing.T) {
	var m ObjectMeta
	AddSyncOptions(&m, "Prune=false", "Delete=false")
	AddSyncOptions(&m, "ServerSideApply=true", "Prune=false")
	AddSyncOptions(&m)
	if got, want := m.Annotations[AnnotationArgoSyncOptions], "Prune=false,Delete=false,ServerSideApply=true"; got != want {
		t.Errorf("sync-options = %q, want %q", got, want)
	}
	m = ObjectMeta{Annotations: map[string]string{"other": "x"}}
	SetSyncWave(&m, SyncWaveRoute)
	if m.Annotations[AnnotationArgoSyncWave] != "1" || m.Annotations["other"] != "x" {
		t.Errorf("annotations = %v", m.Annotations)
	}
}
