// Package golden compares test output with golden files, or rewrites them.
package golden

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Check compares got with the file at path; with update it rewrites the
// file instead (an empty got removes it). An absent file stands for empty
// output. regen is the command that rewrites the files, for the message.
func Check(t testing.TB, path string, got []byte, update bool, regen string) {
	t.Helper()
	if update {
		if len(got) == 0 {
			os.Remove(path)
			return
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) && len(got) == 0 {
		return
	}
	if err != nil {
		t.Fatalf("%v (run %s and review the diff)", err, regen)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}
