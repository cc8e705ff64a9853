package specdoc_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoHandTypedErrorPrefixes: field.Error builds "Invalid value: ...",
// "Required value: ..." and the like; a message that types one by hand
// drifts from the value quoting field.Error does.
func TestNoHandTypedErrorPrefixes(t *testing.T) {
	prefix := regexp.MustCompile(`"[^"]*(Invalid value|Required value|Unsupported value|Duplicate value|Forbidden|Too long|Not found): `)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "conformance" || strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if prefix.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d: an error prefix typed by hand; build it with k8s.io/apimachinery's field.Error: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
