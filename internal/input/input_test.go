package input_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/internal/corpus"
	"github.com/servelayer/servelayer/internal/input"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		doc     string
		want    input.Kind
		wantErr string
	}{
		{"apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\n", input.ServedModel, ""},
		{"apiVersion: servelayer.dev/v2\nkind: Platform\n", input.Platform, ""},
		{"apiVersion: v1\nkind: ConfigMap\n", input.Other, ""},
		{"kind: Kustomization\n", input.Other, ""},
		{"- a\n", input.NotObject, ""},
		{"apiVersion: servelayer.dev/v1alpha1\nkind: ServedModl\nmetadata: {name: x}\n", input.UnknownKind,
			`kind: Unsupported value: "ServedModl": supported values: "ServedModel", "Platform"`},
		{"apiVersion: example.com/v1\nkind: ServedModel\n", input.ForeignGroup,
			`apiVersion: Invalid value: "example.com/v1": must be servelayer.dev/v1alpha1`},
	}
	for _, c := range cases {
		n, err := yaml.Parse(c.doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := input.Classify(n); got != c.want {
			t.Errorf("%q: Classify = %d, want %d", c.doc, got, c.want)
		}
		if got := input.KindError(n); (got == nil) != (c.wantErr == "") || got != nil && got.Error() != c.wantErr {
			t.Errorf("%q: KindError = %v, want %q", c.doc, got, c.wantErr)
		}
	}
	if input.Classify(nil) != input.NotObject {
		t.Error("a nil node is an object")
	}
}

func TestWalkAndExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.yaml", "a.yml", "c.json", "notes.txt", "sub/d.yaml", ".hidden/e.yaml", "sub/.f.yaml"} {
		corpus.WriteFile(t, filepath.Join(dir, f), "{}\n")
	}
	rel := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	for _, c := range []struct {
		recursive bool
		want      []string
	}{
		{false, []string{"a.yml", "b.yaml", "c.json"}},
		{true, []string{"a.yml", "b.yaml", "c.json", "sub/.f.yaml", "sub/d.yaml"}},
	} {
		var walked []string
		if err := input.Walk(dir, c.recursive, func(p string) error { walked = append(walked, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := rel(walked); !slices.Equal(got, c.want) {
			t.Errorf("Walk(recursive=%v) = %q, want %q", c.recursive, got, c.want)
		}
		// A file named twice, directly and through its directory, is read once.
		got, err := input.Expand([]string{filepath.Join(dir, "c.json"), dir}, c.recursive)
		if err != nil {
			t.Fatal(err)
		}
		want := append([]string{"c.json"}, slices.DeleteFunc(slices.Clone(c.want), func(s string) bool { return s == "c.json" })...)
		if !slices.Equal(rel(got), want) {
			t.Errorf("Expand(recursive=%v) = %q, want %q", c.recursive, rel(got), want)
		}
	}
	stop := errors.New("stop")
	if err := input.Walk(dir, false, func(string) error { return stop }); err != stop {
		t.Errorf("Walk returned %v, want the visitor's error", err)
	}
	_, err := input.Expand([]string{filepath.Join(dir, "missing.yaml")}, false)
	var argErr *input.ArgError
	if !errors.As(err, &argErr) || err.Error() != "-f "+filepath.Join(dir, "missing.yaml")+": no such file or directory" {
		t.Errorf("Expand(missing) = %v", err)
	}
}

const (
	model    = "apiVersion: servelayer.dev/v1alpha1\nkind: ServedModel\nmetadata: {name: %s}\n"
	platform = "apiVersion: servelayer.dev/v1alpha1\nkind: Platform\nmetadata: {name: lab}\n"
)

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "models.yaml"), strings.ReplaceAll(model, "%s", "a")+"---\n"+strings.ReplaceAll(model, "%s", "b"))
	corpus.WriteFile(t, filepath.Join(dir, "kustomization.yaml"), "kind: Kustomization\n")
	corpus.WriteFile(t, filepath.Join(dir, "platform.yaml"), platform)

	in, err := input.ReadFiles([]string{dir}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Models) != 2 || in.Platform == nil || in.PlatformFile != filepath.Join(dir, "platform.yaml") || len(in.Skipped) != 1 {
		t.Fatalf("got %d models, platform %q, skipped %q", len(in.Models), in.PlatformFile, in.Skipped)
	}
	// The --platform file among the files is not a second Platform.
	if _, err := input.ReadFiles([]string{dir}, filepath.Join(dir, "platform.yaml"), false); err != nil {
		t.Fatal(err)
	}
	sel, names := input.Select(in.Models, "b")
	if len(sel) != 1 || sel[0].GetName() != "b" || !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("Select(b) = %d models, names %q", len(sel), names)
	}
	if sel, _ := input.Select(in.Models, ""); len(sel) != 2 {
		t.Errorf("Select(\"\") = %d models, want all", len(sel))
	}

	bad := []struct {
		name, file, content, platform string
		want                          any
		msg                           string
	}{
		{"second platform", "p2.yaml", platform, "", new(*input.PlatformError), "a second Platform (the first is in "},
		{"not an object", "list.yaml", "- a\n", "", new(*input.Error), "line 1: <document>: must be a mapping (a Kubernetes object), not a list"},
		{"misspelt kind", "typo.yaml", "apiVersion: servelayer.dev/v1alpha1\nkind: ServedModl\nmetadata: {name: x}\n", "",
			new(*input.DocError), `document 1: ServedModl x: kind: Unsupported value: "ServedModl"`},
		{"not yaml", "bad.yaml", "a: [\n", "", new(*input.Error), "invalid YAML"},
		{"platform file not a platform", "", "", "models.yaml", new(*input.PlatformError), "--platform must hold exactly one servelayer.dev/v1alpha1/Platform"},
		{"missing platform file", "", "", "missing.yaml", new(*input.OpenError), "no such file or directory"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			corpus.WriteFile(t, filepath.Join(d, "m.yaml"), strings.ReplaceAll(model, "%s", "a")+"---\n"+platform)
			if c.file != "" {
				corpus.WriteFile(t, filepath.Join(d, c.file), c.content)
			}
			p := ""
			if c.platform != "" {
				p = filepath.Join(dir, c.platform)
			}
			_, err := input.ReadFiles([]string{d}, p, false)
			if err == nil || !errors.As(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %T %v, want a %T with %q", err, err, c.want, c.msg)
			}
		})
	}
}

func TestResolveInside(t *testing.T) {
	outside := t.TempDir()
	corpus.WriteFile(t, filepath.Join(outside, "platform.yaml"), platform)
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "ok.yaml"), platform)
	corpus.WriteFile(t, filepath.Join(dir, "sub", "p.yaml"), platform)
	if err := os.Symlink(filepath.Join(outside, "platform.yaml"), filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.yaml", filepath.Join(dir, "inner-link.yaml")); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]error{
		"../x.yaml": input.ErrNotLocal, "/etc/passwd": input.ErrNotLocal, "sub/../../x.yaml": input.ErrNotLocal,
		"missing.yaml": input.ErrNotFound, "link.yaml": input.ErrOutside, "sub": input.ErrNotRegular,
		"ok.yaml": nil, "sub/p.yaml": nil, "inner-link.yaml": nil,
	} {
		got, err := input.ResolveInside(dir, rel)
		if !errors.Is(err, want) || err == nil && got != filepath.Join(dir, filepath.FromSlash(rel)) {
			t.Errorf("%s: %q, %v; want %v", rel, got, err, want)
		}
	}
}

func TestHoldsServedModel(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]struct {
		content string
		want    bool
	}{
		"stream.yaml":  {"kind: ConfigMap\n---\nkind: ServedModel\n", true},
		"quoted.yaml":  {"kind: \"ServedModel\" # a comment\r\n", true},
		"json.json":    {`{"apiVersion": "servelayer.dev/v1alpha1", "kind": "ServedModel"}`, true},
		"nested.yaml":  {"kind: ConfigMap\ndata:\n  x: |\n    kind: ServedModel\n", false},
		"comment.yaml": {"# kind: ServedModel\nkind: ConfigMap\n", false},
	} {
		corpus.WriteFile(t, filepath.Join(dir, name), c.content)
		if got, err := input.HoldsServedModel(filepath.Join(dir, name)); err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", name, got, err, c.want)
		}
	}
	if got, err := input.HoldsServedModel(dir); got || err != nil {
		t.Errorf("a directory: %v, %v; want false, nil", got, err)
	}
}

func TestReadRefusesOversizedInput(t *testing.T) {
	big := strings.NewReader(strings.Repeat("#", input.MaxInputBytes+10))
	if _, err := input.Read("<stdin>", big); err == nil || !strings.Contains(err.Error(), "input is 8388618 bytes, more than the limit") {
		t.Errorf("err = %v", err)
	}
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "big.yaml"), strings.Repeat("#", input.MaxInputBytes+1))
	var ie *input.Error
	if _, err := input.ReadFile(filepath.Join(dir, "big.yaml")); !errors.As(err, &ie) || !strings.Contains(ie.Message, "more than the limit") {
		t.Errorf("err = %v", err)
	}
}

// hostileDir makes an app directory holding a model and, next to it, every
// kind of file servelayer must not read: symlinks leaving the directory (to
// a model, to a Platform, to /proc/self/environ), an absolute symlink, a
// symlink loop, a dangling symlink, a symlink to a directory, a FIFO and a
// socket. Each is returned with the error reading it must give.
func hostileDir(t *testing.T) (dir string, hostile map[string]error) {
	t.Helper()
	outside := t.TempDir()
	corpus.WriteFile(t, filepath.Join(outside, "model.yaml"), strings.ReplaceAll(model, "%s", "stranger"))
	corpus.WriteFile(t, filepath.Join(outside, "platform.yaml"), platform)
	dir = t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "ok.yaml"), strings.ReplaceAll(model, "%s", "ok"))
	corpus.WriteFile(t, filepath.Join(dir, "sub", "up.yaml"), "{}\n")
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// Allowed: symlinks that stay inside, relative.
	link("ok.yaml", "inner-link.yaml")
	link("../ok.yaml", "sub/inner-up.yaml")
	hostile = map[string]error{
		"other-model.yaml": input.ErrOutside,
		"platform.yaml":    input.ErrOutside,
		"environ.yaml":     input.ErrOutside,
		"escape.yaml":      input.ErrOutside,
		"absolute.yaml":    input.ErrOutside,
		"loop.yaml":        input.ErrOutside,
		"dangling.yaml":    input.ErrNotFound,
		"dir.yaml":         input.ErrNotRegular,
		"fifo.yaml":        input.ErrNotRegular,
		"socket.yaml":      input.ErrNotRegular,
	}
	link(filepath.Join(outside, "model.yaml"), "other-model.yaml")
	link(filepath.Join(outside, "platform.yaml"), "platform.yaml")
	link("/proc/self/environ", "environ.yaml")
	rel, err := filepath.Rel(dir, filepath.Join(outside, "model.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	link(rel, "escape.yaml")                             // relative, leaving through ..
	link(filepath.Join(dir, "ok.yaml"), "absolute.yaml") // inside, but absolute
	link("loop.yaml", "loop.yaml")
	link("missing", "dangling.yaml")
	link("sub", "dir.yaml")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "socket.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return dir, hostile
}

// noHang fails the test if f has not returned after a generous while: a
// FIFO opened for reading without a writer blocks forever.
func noHang(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s blocked", what)
	}
}

// TestNothingOutsideTheDirectory: a directory's files are read only when
// they resolve to regular files inside it; the others are refused without
// being opened, and the error quotes neither their target nor their
// content.
func TestNothingOutsideTheDirectory(t *testing.T) {
	const secret = "ARGOCD_ENV_TOKEN_VALUE_5c1e7"
	t.Setenv("ARGOCD_ENV_TOKEN", secret)
	dir, hostile := hostileDir(t)

	got := map[string]error{}
	noHang(t, "WalkInside", func() {
		err := input.WalkInside(dir, true, func(p string, err error) error {
			rel, _ := filepath.Rel(dir, p)
			got[filepath.ToSlash(rel)] = err
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	for name, want := range hostile {
		if !errors.Is(got[name], want) {
			t.Errorf("%s: %v, want %v", name, got[name], want)
		}
	}
	for _, name := range []string{"ok.yaml", "inner-link.yaml", "sub/up.yaml", "sub/inner-up.yaml"} {
		if err, ok := got[name]; !ok || err != nil {
			t.Errorf("%s: %v (walked %v), want it read", name, err, ok)
		}
	}

	// Each hostile file alone next to the model: reading the directory
	// fails, naming the file and why, never its target or content.
	for name, want := range hostile {
		t.Run(name, func(t *testing.T) {
			d := t.TempDir()
			corpus.WriteFile(t, filepath.Join(d, "ok.yaml"), strings.ReplaceAll(model, "%s", "ok"))
			corpus.WriteFile(t, filepath.Join(d, "sub", "x.txt"), "") // dir.yaml's target
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(d, name)); err != nil {
				t.Fatal(err)
			}
			defer os.Rename(filepath.Join(d, name), filepath.Join(dir, name))
			var err error
			noHang(t, "ReadFiles", func() { _, err = input.ReadFilesIn(d, []string{d}, "", false) })
			var inside *input.InsideError
			if !errors.As(err, &inside) || !errors.Is(err, want) || !strings.Contains(err.Error(), name) {
				t.Fatalf("err = %T %v, want an InsideError naming %s: %v", err, err, name, want)
			}
			for _, leak := range []string{secret, "stranger", "/proc", "missing"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("the error quotes %q: %v", leak, err)
				}
			}
		})
	}

	// Discovery skips them, without blocking.
	var found []string
	noHang(t, "FindServedModels", func() {
		var err error
		if found, err = input.FindServedModels(dir, true); err != nil {
			t.Error(err)
		}
	})
	if want := []string{"inner-link.yaml", "ok.yaml", "sub/inner-up.yaml"}; !slices.Equal(found, want) {
		t.Errorf("FindServedModels = %q, want %q", found, want)
	}

	// Confined to a directory, an argument or a platform file outside it is
	// refused too, and a platform file inside is read inside.
	for _, c := range []struct{ files, platform string }{
		{filepath.Join(dir, "..", filepath.Base(dir)+"-x"), ""},
		{dir, filepath.Join(dir, "platform.yaml")},
		{dir, filepath.Join(dir, "environ.yaml")},
	} {
		_, err := input.ReadFilesIn(dir, []string{c.files}, c.platform, false)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Errorf("ReadFilesIn(%s, %s) = %v, want a refusal", c.files, c.platform, err)
		}
	}
}

// TestFloodsRefusedBeforeParsing: an input under MaxInputBytes that is a
// flood of documents, List items or flow entries is refused with an error
// naming the limit, having allocated a small multiple of its size (it is
// scanned, not parsed into millions of nodes). Before these limits, a
// million empty documents took minutes and gigabytes.
func TestFloodsRefusedBeforeParsing(t *testing.T) {
	fill := func(head, unit, tail string) []byte {
		n := (input.MaxInputBytes - len(head) - len(tail)) / len(unit)
		return []byte(head + strings.Repeat(unit, n) + tail)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty documents", fill("", "{}\n---\n", "{}\n"), "more than the limit of 1500000"},
		{"empty List items", fill("apiVersion: v1\nkind: List\nitems:\n", "- {}\n", ""), "more than the limit of 1500000"},
		{"flow entries", fill("apiVersion: v1\nkind: ConfigMap\nx: [", "a,", "a]\n"), "more than the limit of 1500000"},
		{"flow mappings", fill("x: [", "{},", "{}]\n"), "more than the limit of 1500000"},
		{"documents", []byte(strings.Repeat("{}\n---\n", input.MaxObjects) + "{}\n"), "more than 20000 objects (documents)"},
		{"List items", []byte("apiVersion: v1\nkind: List\nitems:\n" + strings.Repeat("- {}\n", input.MaxObjects+1)), "more than 20000 objects (documents and List items)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if len(c.data) > input.MaxInputBytes {
				t.Fatalf("the input is %d bytes, over the size cap", len(c.data))
			}
			var err error
			alloc := corpus.Allocated(func() {
				var data []byte
				var ierr *input.Error
				if data, ierr = input.Read("in.yaml", bytes.NewReader(c.data)); ierr == nil {
					_, ierr = input.ParseObjects("in.yaml", data, nil)
				}
				if ierr != nil {
					err = ierr
				}
			})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if limit := uint64(8*len(c.data)) + 32<<20; alloc > limit {
				t.Errorf("allocated %d bytes for a %d-byte input, want at most %d", alloc, len(c.data), limit)
			}
		})
	}
	// Blank documents ("---" lines, comments) up to the cap are not
	// parsed at all: the stream is the one model.
	blank := fill(strings.ReplaceAll(model, "%s", "a"), "---\n# c\n", "")
	var objs []input.Object
	alloc := corpus.Allocated(func() {
		var ierr *input.Error
		if objs, ierr = input.ParseObjects("in.yaml", blank, nil); ierr != nil {
			t.Fatal(ierr)
		}
	})
	if len(objs) != 1 {
		t.Fatalf("%d objects, want 1", len(objs))
	}
	if limit := uint64(4*len(blank)) + 32<<20; alloc > limit {
		t.Errorf("blank documents: allocated %d bytes for a %d-byte input, want at most %d", alloc, len(blank), limit)
	}
}

// TestModelsPerRunCapped: more than MaxModels ServedModels in one read is
// refused, naming the limit.
func TestModelsPerRunCapped(t *testing.T) {
	var b strings.Builder
	for i := range input.MaxModels + 1 {
		if i > 0 {
			b.WriteString("---\n")
		}
		fmt.Fprintf(&b, model, fmt.Sprintf("m%d", i))
	}
	dir := t.TempDir()
	corpus.WriteFile(t, filepath.Join(dir, "fleet.yaml"), b.String())
	_, err := input.ReadFiles([]string{dir}, "", false)
	if err == nil || !strings.Contains(err.Error(), "10001 ServedModels in one render: more than the limit of 10000") {
		t.Fatalf("err = %v", err)
	}
}
