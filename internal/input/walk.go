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
	"syscall"

	"github.com/servelayer/servelayer/schema"
)

// Walk calls visit, in lexical order, for every YAML or JSON file (.yaml,
// .yml, .json) in dir; in its subdirectories too when recursive, except
// hidden ones (.git and the like). A file that does not resolve to a
// regular file inside dir (see WalkInside) stops the walk with an
// *InsideError, as does an error from the walk or from visit, returned as
// is.
func Walk(dir string, recursive bool, visit func(path string) error) error {
	return WalkInside(dir, recursive, func(p string, err error) error {
		if err != nil {
			return &InsideError{Path: p, Err: err}
		}
		return visit(p)
	})
}

// WalkInside calls visit as Walk does, for every YAML or JSON file, with
// nil when the file resolves to a regular file inside dir, or the reason
// it does not, without opening it: ErrOutside (a symlink leaving dir, an
// absolute symlink, a symlink loop), ErrNotFound (a dangling symlink),
// ErrNotRegular (a directory, FIFO, socket or device) or ErrUnreadable.
// Subdirectories are walked without following symlinks.
func WalkInside(dir string, recursive bool, visit func(path string, err error) error) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
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
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			return visit(p, statInside(root, rel))
		}
		return nil
	})
}

// InsideError is a file found in a directory that servelayer does not
// read: it does not resolve to a regular file inside the directory. Err
// is one of ErrOutside, ErrNotFound, ErrNotRegular and ErrUnreadable; the
// message names the file, never what a symlink points to or the file's
// content.
type InsideError struct {
	Path string
	Err  error
}

func (e *InsideError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *InsideError) Unwrap() error { return e.Err }

// ArgError is a -f argument that names nothing readable: the arguments are
// at fault rather than the content.
type ArgError struct {
	Arg string
	Err error
}

func (e *ArgError) Error() string { return fmt.Sprintf("-f %s: %v", e.Arg, e.Err) }
func (e *ArgError) Unwrap() error { return e.Err }

// source is a file to read: named on the command line (dir == ""), read
// as given; or found in directory dir at rel, read inside it.
type source struct {
	path, dir, rel string
	// stdin is what the path "-" reads.
	stdin io.Reader
}

// name is the source's name in messages: its path, or Stdin.
func (s source) name() string {
	if s.path == "-" {
		return Stdin
	}
	return s.path
}

// Expand turns files and directories into a de-duplicated list of files,
// in argument order: a file as given, a directory as the files Walk finds
// in it, sorted. The error is an *ArgError, or an *InsideError for a file
// in a directory that does not resolve to a regular file inside it.
func Expand(args []string, recursive bool) ([]string, error) {
	srcs, err := expand(args, recursive)
	paths := make([]string, len(srcs))
	for i, s := range srcs {
		paths[i] = s.path
	}
	return paths, err
}

func expand(args []string, recursive bool) ([]source, error) {
	var out []source
	seen := map[string]bool{}
	add := func(s source) {
		if !seen[s.path] {
			seen[s.path] = true
			out = append(out, s)
		}
	}
	for _, a := range args {
		if a == "-" {
			add(source{path: a})
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, &ArgError{a, errors.Unwrap(err)}
		}
		if !st.IsDir() {
			add(source{path: a})
			continue
		}
		var found []source
		err = Walk(a, recursive, func(p string) error {
			rel, err := filepath.Rel(a, p)
			found = append(found, source{path: p, dir: a, rel: rel})
			return err
		})
		var inside *InsideError
		if errors.As(err, &inside) {
			return nil, inside // the directory's content is at fault
		} else if err != nil {
			return nil, &ArgError{a, err}
		}
		slices.SortFunc(found, func(x, y source) int { return strings.Compare(x.path, y.path) })
		for _, s := range found {
			add(s)
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
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return holdsServedModel(f)
}

// holdsServedModel is HoldsServedModel for an open file.
func holdsServedModel(f *os.File) (bool, error) {
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

// FindServedModels returns, relative to dir and slash-separated, the files
// Walk finds in dir that seem to hold a ServedModel (HoldsServedModel),
// reading each inside dir (OpenInside). A file that does not resolve to a
// regular file inside dir is not read and not listed: discovery only
// guesses, and reading the directory then reports it.
func FindServedModels(dir string, recursive bool) ([]string, error) {
	var found []string
	err := WalkInside(dir, recursive, func(p string, err error) error {
		if err != nil {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f, err := OpenInside(dir, rel)
		if err != nil {
			return nil
		}
		defer f.Close()
		ok, err := holdsServedModel(f)
		if err != nil {
			return &InsideError{Path: p, Err: ErrUnreadable}
		}
		if ok {
			found = append(found, filepath.ToSlash(rel))
		}
		return nil
	})
	return found, err
}

// Why a path is refused inside a directory. None quotes the path: it may
// come from an environment that holds secrets.
var (
	ErrNotLocal   = errors.New("not a relative path inside the directory")
	ErrNotFound   = errors.New("no such file in the directory")
	ErrOutside    = errors.New("resolves outside the directory (a symlink leaving it, an absolute symlink, or a symlink loop)")
	ErrNotRegular = errors.New("not a regular file (a directory, FIFO, socket or device)")
	ErrUnreadable = errors.New("cannot be read")
)

// insideErr maps an error of os.Root to one of the errors above.
func insideErr(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		return ErrUnreadable
	}
	// "path escapes from parent", an absolute symlink, ELOOP.
	return ErrOutside
}

// statInside checks that rel names a regular file inside root, following
// symlinks only while they stay inside it, without opening the file.
func statInside(root *os.Root, rel string) error {
	st, err := root.Stat(rel)
	if err != nil {
		return insideErr(err)
	}
	if !st.Mode().IsRegular() {
		return ErrNotRegular
	}
	return nil
}

// OpenInside opens rel (relative to dir) for reading, only if it resolves
// to a regular file inside dir. "Inside" is decided by the kernel, one
// path component at a time, through os.Root (openat from a descriptor of
// dir; a symlink is followed only when its target stays inside, and an
// absolute one never), not by comparing path strings, so a symlink swapped
// in between the check and the open cannot lead outside. The file is
// checked with stat before it is opened, so a FIFO or a device is never
// opened; it is opened non-blocking, and checked again once open, so one
// swapped in meanwhile cannot block the read either.
func OpenInside(dir, rel string) (*os.File, error) {
	if !filepath.IsLocal(rel) {
		return nil, ErrNotLocal
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close() // the file opened through it stays open
	if err := statInside(root, rel); err != nil {
		return nil, err
	}
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, insideErr(err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, ErrNotRegular
	}
	return f, nil
}

// ResolveInside checks that rel (slash-separated) names a regular file
// inside dir, as OpenInside decides it, and returns it joined to dir. A
// refusal is one of ErrNotLocal, ErrNotFound, ErrOutside, ErrNotRegular and
// ErrUnreadable, which never quote rel; an unreadable dir is reported as it
// is.
func ResolveInside(dir, rel string) (string, error) {
	local := filepath.FromSlash(rel)
	if !filepath.IsLocal(local) {
		return "", ErrNotLocal
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return "", err
	}
	defer root.Close()
	if err := statInside(root, local); err != nil {
		return "", err
	}
	return filepath.Join(dir, local), nil
}
