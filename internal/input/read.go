// Package input is servelayer's one input pipeline. The CLI (render, plan),
// the KRM function and the Argo CD plugin read their inputs through it:
//
//   - reading a file or a stream, refused over MaxInputBytes before it is
//     parsed (Read, ReadFile);
//   - splitting a YAML stream into documents the way kustomize does, with
//     every problem reported at its line, or its field path, with the
//     offending text, and unwrapping Lists wherever they are
//     (ParseObjects, Unwrap, Locate, CheckDocumentEnds, DecodeNode);
//   - bounding the work: at most MaxObjects objects per input, counted
//     before they are parsed, MaxModels ServedModels per run, and alias
//     expansion bounded in bytes per run (decode.MaxAliasBytes);
//   - classifying each object by its identity as YAML defines it (merge
//     keys and aliases resolved: IdentityOf): a ServedModel, a Platform,
//     someone else's object, or one that is almost servelayer's (another
//     letter case, another group, a misspelt kind) and must not be
//     skipped silently (Classify, KindError, PassesThrough);
//   - the directory walk and the file set render and plan read (Walk,
//     Expand, ReadFiles), and selecting one model by name (Select).
//
// It prints nothing: problems are returned as errors whose text is the
// message, and each caller decides how to show them and with which exit
// code.
package input

import (
	"fmt"
	"io"
	"os"
	"strconv"
)

// MaxInputBytes caps one input: the function's stdin, or one file the CLI
// reads. It is checked before anything is parsed. 8 MiB holds a fleet of
// 10,000 typical ServedModels (about 4 MiB; see the README) with room to
// spare, and keeps a runaway input from exhausting the memory of the
// kustomize or Argo CD process that runs the function.
const MaxInputBytes = 8 << 20

// Error is a problem with an input as a whole rather than with a field of
// an object: its size, its encoding or its YAML syntax. Line and Column are
// 1-based; 0 means unknown.
type Error struct {
	// Name is the file, or "<stdin>".
	Name    string
	Line    int
	Column  int
	Message string
	// Value is the offending text (usually the line), if any.
	Value string
}

func (e *Error) position() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: ", e.Line, e.Column)
	case e.Line > 0:
		return fmt.Sprintf("line %d: ", e.Line)
	}
	return ""
}

// Detail is the error without the input's name: position, message, value.
func (e *Error) Detail() string {
	s := e.position() + e.Message
	if e.Value != "" {
		s += ": " + strconv.Quote(e.Value)
	}
	return s
}

func (e *Error) Error() string { return e.Name + ": " + e.Detail() }

// MaxNodes caps the YAML nodes of one input, estimated before it is
// parsed (see EstimateNodes). Parsing is the one cost the document and
// object counts cannot bound: one 8 MiB document of the form [a,a,a,...]
// is four million nodes, and go.yaml.in/yaml/v3 takes seconds and most of
// a gigabyte to build them before anything can look at them. A
// 10,000-model fleet estimates at about 560,000.
const MaxNodes = 1_500_000

// EstimateNodes estimates, without parsing, how many nodes a YAML input
// holds: three for each line with content (a block entry is at most a
// key, a value and a collection) and two for each flow entry or flow
// collection (",", "[", "{": a key and an implicit value). Blank and
// comment lines count nothing. Bytes inside quoted or block scalars are
// counted too, so it errs high; it takes one pass over the bytes.
func EstimateNodes(data []byte) int {
	n, lineStart, content := 0, true, false
	for _, b := range data {
		switch {
		case b == '\n':
			if content {
				n += 3
			}
			lineStart, content = true, false
			continue
		case lineStart && (b == ' ' || b == '\t' || b == '\r'):
			continue
		case lineStart:
			lineStart, content = false, b != '#'
		}
		if b == ',' || b == '[' || b == '{' {
			n += 2
		}
	}
	if content {
		n += 3
	}
	return n
}

// Read reads all of r, refusing more than MaxInputBytes, or an estimate
// of more than MaxNodes nodes, before any of it is parsed.
func Read(name string, r io.Reader) ([]byte, *Error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, &Error{Name: name, Message: "cannot read: " + err.Error()}
	}
	if len(data) > MaxInputBytes {
		// Count the rest (bounded) so the message can say how big it is.
		rest, _ := io.Copy(io.Discard, io.LimitReader(r, 1<<30))
		return nil, TooLarge(name, int64(len(data))+rest)
	}
	if n := EstimateNodes(data); n > MaxNodes {
		return nil, &Error{Name: name, Message: fmt.Sprintf(
			"input holds about %d YAML nodes (3 per line, 2 per flow entry), more than the limit of %d per file or stream; a fleet of %d models is about %d: split the input into several files or function calls",
			n, MaxNodes, MaxModels, 560_000)}
	}
	return data, nil
}

// TooLarge is the error for an input over MaxInputBytes.
func TooLarge(name string, size int64) *Error {
	return &Error{Name: name, Message: fmt.Sprintf(
		"input is %d bytes, more than the limit of %d bytes (%d MiB) per file or stream; split the fleet into several files or function calls",
		size, MaxInputBytes, MaxInputBytes>>20)}
}

// OpenError is a file that could not be opened: the arguments are at
// fault rather than the content.
type OpenError struct{ Err error }

func (e *OpenError) Error() string { return e.Err.Error() }
func (e *OpenError) Unwrap() error { return e.Err }

// ReadFile reads and parses one YAML file into objects (ParseObjects),
// annotating each servelayer object with the file's path and its index in
// the file so results can point back to it (the annotations are never
// copied onto rendered objects). A regular file over MaxInputBytes is
// refused before it is read. The error is an *OpenError or an *Error.
func ReadFile(path string) ([]Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &OpenError{err}
	}
	defer f.Close()
	return readOpen(path, f)
}

// readStream reads and parses a stream such as stdin.
func readStream(name string, r io.Reader) ([]Object, error) {
	data, ierr := Read(name, r)
	if ierr != nil {
		return nil, ierr
	}
	objs, ierr := ParseObjects(name, data, map[string]string{"config.kubernetes.io/path": name})
	if ierr != nil {
		return nil, ierr
	}
	return objs, nil
}

// readOpen reads and parses an open file.
func readOpen(path string, f *os.File) ([]Object, error) {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxInputBytes {
		return nil, TooLarge(path, st.Size())
	}
	return readStream(path, f)
}
