package input

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/servelayer/servelayer/schema"
)

// Walk calls visit, in lexical order, for every YAML or JSON file (.yaml,
// .yml, .json) in dir; in its subdirectories too when recursive, except
// hidden ones (.git and the like). An error from the walk or from visit
// stops it and is returned as is.
func Walk(dir string, recursive bool, visit func(path string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && (!recursive || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			return visit(p)
		}
		return nil
	})
}

// ArgError is a -f argument that names nothing readable: the arguments are
// at fault rather than the content.
type ArgError struct {
	Arg string
	Err error
}

func (e *ArgError) Error() string { return fmt.Sprintf("-f %s: %v", e.Arg, e.Err) }
func (e *ArgError) Unwrap() error { return e.Err }

// Expand turns files and directories into a de-duplicated list of files,
// in argument order: a file as given, a directory as the files Walk finds
// in it, sorted. The error is an *ArgError.
func Expand(args []string, recursive bool) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, &ArgError{a, errors.Unwrap(err)}
		}
		if !st.IsDir() {
			add(a)
			continue
		}
		var found []string
		err = Walk(a, recursive, func(p string) error {
			found = append(found, p)
			return nil
		})
		if err != nil {
			return nil, &ArgError{a, err}
		}
		slices.Sort(found)
		for _, p := range found {
			add(p)
		}
	}
	return out, nil
}

// servedModelKind matches a top-level `kind: ServedModel` line.
var servedModelKind = regexp.MustCompile(`^kind:\s*["']?` + schema.KindModel + `["']?\s*(#.*)?$`)

// maxScan bounds how much of one file HoldsServedModel reads.
const maxScan = MaxInputBytes

// HoldsServedModel reports, without parsing, whether the file at path
// seems to hold a ServedModel: a top-level `kind: ServedModel` line, or a
// JSON "kind": "ServedModel" on one line. It is a cheap test for deciding
// whether a directory is servelayer's at all (the Argo CD plugin's
// discovery); reading the files then finds out for certain. Anything but a
// regular file holds none.
func HoldsServedModel(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false, err
	}
	r := bufio.NewReader(io.LimitReader(f, maxScan))
	for {
		line, err := r.ReadString('\n')
		if servedModelKind.MatchString(strings.TrimRight(line, "\r\n")) {
			return true, nil
		}
		// JSON: {"kind": "ServedModel", ...} anywhere on a line.
		if strings.Contains(line, `"kind"`) && strings.Contains(line, `"`+schema.KindModel+`"`) {
			return true, nil
		}
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}

// Why ResolveInside refused a path.
var (
	ErrNotLocal   = errors.New("not a relative path inside the directory")
	ErrNotFound   = errors.New("no such file in the directory")
	ErrOutside    = errors.New("resolves outside the directory (symlinks included)")
	ErrNotRegular = errors.New("not a regular file")
)

// ResolveInside checks that rel (slash-separated) names a regular file
// inside dir once symlinks are resolved, and returns it joined to dir. A
// refusal is one of ErrNotLocal, ErrNotFound, ErrOutside and ErrNotRegular,
// which never quote rel (it may come from an environment that holds
// secrets); an unreadable dir is reported as it is.
func ResolveInside(dir, rel string) (string, error) {
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return "", ErrNotLocal
	}
	full := filepath.Join(dir, filepath.FromSlash(rel))
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", ErrNotFound
	}
	if r, err := filepath.Rel(root, real); err != nil || !filepath.IsLocal(r) {
		return "", ErrOutside
	}
	st, err := os.Stat(real)
	if err != nil || !st.Mode().IsRegular() {
		return "", ErrNotRegular
	}
	return full, nil
}
