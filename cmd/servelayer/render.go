package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/schema"
)

// listFlag collects a repeatable, comma-separable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func renderMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	inp := addInputFlags(fs, "ServedModel file or directory (repeatable)")
	layer := fs.String("layer", "", "override spec.layer of every model, to preview a move (raw-vllm, kserve, llm-d, auto)")
	name := fs.String("name", "", "render only the ServedModel with this metadata.name")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: servelayer render -f FILE_OR_DIR... [--platform FILE] [--layer L] [--name NAME]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "servelayer render: unexpected argument %q (use -f)\n", fs.Arg(0))
		return exitUsage
	}
	if len(inp.files) == 0 {
		fmt.Fprintln(stderr, "servelayer render: at least one -f FILE_OR_DIR is required")
		return exitUsage
	}
	if *layer != "" && !slices.Contains(schema.LayerValues, schema.Layer(*layer)) {
		fmt.Fprintf(stderr, "servelayer render: --layer %q is not one of raw-vllm, kserve, llm-d, auto\n", *layer)
		return exitUsage
	}
	write, code := RenderFiles(RenderArgs{Files: inp.files, Platform: *inp.platform, Layer: schema.Layer(*layer), Recursive: *inp.recursive, Name: *name}, stderr)
	if code != exitOK {
		return code
	}
	if err := write(stdout); err != nil {
		fmt.Fprintln(stderr, "servelayer render:", err)
		return exitInvalid
	}
	return exitOK
}

// RenderArgs are the inputs of a file-based render (CLI and CMP).
type RenderArgs struct {
	Files     []string
	Platform  string
	Layer     schema.Layer
	Recursive bool
	// Name, when set, selects one ServedModel by metadata.name.
	Name string
	// Root, when set, confines every read to this directory: nothing that
	// does not resolve to a regular file inside it is read (the Argo CD
	// plugin's application directory).
	Root string
}

// RenderFiles reads ServedModels (and at most one Platform) from files and
// directories and validates them as one fleet. All problems are written to
// stderr; the exit code says what kind they were. With exitOK it returns
// write, which renders the fleet and writes its YAML stream one model at a
// time: nothing is written before every model is known to be valid, and
// the stream is never empty.
func RenderFiles(a RenderArgs, stderr io.Writer) (write func(io.Writer) error, code int) {
	in, code := readInputs("servelayer render", a.Root, a.Files, a.Platform, a.Recursive, stderr)
	if code != exitOK {
		return nil, code
	}
	if len(in.models) == 0 {
		found := "no documents"
		if len(in.skipped) > 0 {
			found = strings.Join(in.skipped, "; ")
		}
		fmt.Fprintf(stderr, "servelayer render: no %s (apiVersion %s) found in %s: refusing to print an empty render (apiVersion, kind: found %s)\n",
			schema.KindModel, schema.APIVersion, strings.Join(a.Files, ", "), found)
		return nil, exitInvalid
	}
	models, found := input.Select(in.models, a.Name)
	if len(models) == 0 {
		fmt.Fprintf(stderr, "servelayer render: --name %q: no such %s in %s (found: %s)\n",
			a.Name, schema.KindModel, strings.Join(a.Files, ", "), strings.Join(found, ", "))
		return nil, exitInvalid
	}
	// Release: the nodes are dropped as they are decoded, so the parsed
	// input of a fleet and its decoded models are not held at once. A
	// selected model renders as in the whole fleet: layer auto's fleet
	// rule counts every model read, not only the one selected.
	req := fn.Request{Models: models, Platform: in.platform, Layer: a.Layer, FleetSize: len(in.models), Release: true}
	fleet, results := fn.Render(req)
	printResults(stderr, results)
	if results.ExitCode() != 0 {
		return nil, exitInvalid
	}
	if fleet.Len() == 0 {
		fmt.Fprintln(stderr, "servelayer render: nothing rendered: refusing to print an empty render")
		return nil, exitInvalid
	}
	return fleet.WriteYAML, exitOK
}

// printResults writes one line per result: file, object, field, message.
func printResults(w io.Writer, rs framework.Results) {
	for _, r := range rs {
		var b strings.Builder
		b.WriteString(string(r.Severity))
		b.WriteString(": ")
		if r.File != nil && r.File.Path != "" {
			b.WriteString(r.File.Path + ": ")
		}
		if r.ResourceRef != nil {
			b.WriteString(strings.TrimSpace(r.ResourceRef.Kind+" "+r.ResourceRef.Name) + ": ")
		}
		if r.Field != nil && r.Field.Path != "" {
			b.WriteString(r.Field.Path + ": ")
		}
		b.WriteString(r.Message)
		fmt.Fprintln(w, b.String())
	}
}
