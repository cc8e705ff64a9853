package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/render"
	"github.com/servelayer/servelayer/schema"
)

const renderLong = `Render ServedModels to the manifests of their serving layer.

Reads every ServedModel (and at most one Platform) in the files and
directories given with -f, validates them as one fleet and prints their
objects: a YAML stream, or with -o json a v1 List (as kubectl -o json).
Nothing is printed unless every model is valid; every problem goes to stderr
with its file, field path and value (exit 1). An empty render is an error.`

const renderExample = `  servelayer render -f examples/raw-vllm/qwen.yaml
  servelayer render -f examples/fleet/models.yaml --platform examples/fleet/platform.yaml
  servelayer render -f examples/raw-vllm/qwen.yaml --layer kserve   # preview a move
  servelayer render -f examples/fleet/models.yaml --name qwen       # one model of a file
  servelayer render -f examples/ -R -o json | jq '.items[].kind'
  cat qwen.yaml | servelayer render -f -`

// layerValues are what --layer, --from and --to take.
var layerValues = []string{"raw-vllm", "kserve", "llm-d", "auto"}

func newRenderCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var layer, name, output string
	cmd := &cobra.Command{
		Use:               "render -f FILE_OR_DIR... [flags]",
		Short:             "Render ServedModels to their layer's manifests",
		Long:              renderLong,
		Example:           renderExample,
		Args:              useFlagF,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	inp := addInputFlags(cmd, "ServedModel file or directory; repeatable, - reads stdin")
	fs := cmd.Flags()
	fs.StringVar(&layer, "layer", "", "override spec.layer of every model, to preview a move: raw-vllm, kserve, llm-d or auto")
	fs.StringVar(&name, "name", "", "render only the ServedModel with this metadata.name")
	fs.StringVarP(&output, "output", "o", "yaml", "output format: yaml or json (a v1 List)")
	_ = cmd.RegisterFlagCompletionFunc("layer", completeValues(layerValues...))
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues("yaml", "json"))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(inp.files) == 0 {
			return usageError(cmd, "at least one -f FILE_OR_DIR is required")
		}
		if layer != "" {
			if err := oneOf(cmd, "--layer", layer, layerValues...); err != nil {
				return err
			}
		}
		if err := oneOf(cmd, "-o", output, "yaml", "json"); err != nil {
			return err
		}
		write, code := RenderFiles(RenderArgs{
			Files: inp.files, Platform: inp.platform, Layer: schema.Layer(layer), Recursive: inp.recursive,
			Name: name, Output: output, Stdin: stdin,
		}, stderr)
		if code != exitOK {
			return exit(code)
		}
		if err := write(stdout); err != nil {
			fmt.Fprintln(stderr, "servelayer render:", err)
			return exit(exitInvalid)
		}
		return nil
	}
	return cmd
}

// useFlagF refuses positional arguments: files come with -f, as kubectl's.
func useFlagF(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError(cmd, "unexpected argument %q (use -f)", args[0])
	}
	return nil
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
	// Output is "yaml" (the default) or "json", a v1 List.
	Output string
	// Stdin is what the file "-" reads; nil refuses "-".
	Stdin io.Reader
}

// RenderFiles reads ServedModels (and at most one Platform) from files and
// directories and validates them as one fleet. All problems are written to
// stderr; the exit code says what kind they were. With exitOK it returns
// write, which renders the fleet and writes its YAML stream one model at a
// time: nothing is written before every model is known to be valid, and
// the stream is never empty.
func RenderFiles(a RenderArgs, stderr io.Writer) (write func(io.Writer) error, code int) {
	in, code := readInputs("servelayer render", a.Root, a.Files, a.Platform, a.Recursive, a.Stdin, stderr)
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
	if a.Output == "json" {
		return func(w io.Writer) error { return writeJSONList(fleet, w) }, exitOK
	}
	return fleet.WriteYAML, exitOK
}

// writeJSONList writes the fleet's objects as a v1 List, the shape and
// indentation of kubectl -o json, rendering and writing one at a time.
func writeJSONList(f *render.Fleet, w io.Writer) error {
	if f.Len() == 0 {
		return f.WriteYAML(w) // its error: never an empty success
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")
	var buf bytes.Buffer
	i := 0
	for o := range f.Objects() {
		b, err := o.JSON()
		if err != nil {
			return err
		}
		if i++; i > 1 {
			bw.WriteString(",\n")
		}
		buf.Reset()
		buf.WriteString("        ")
		if err := json.Indent(&buf, b, "        ", "    "); err != nil {
			return err
		}
		bw.Write(buf.Bytes())
	}
	bw.WriteString("\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
	return bw.Flush()
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
