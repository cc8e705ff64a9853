package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/plan"
	"github.com/servelayer/servelayer/schema"
)

func init() { commands["plan"] = planMain }

const planUsage = "Usage: servelayer plan -f MODEL [--platform FILE] [--from L] --to L [--name NAME] [-o text|json]"

// planMain prints what moving one model to another layer changes, its
// blockers and preflight checks, and the runbook. The plan goes to stdout
// even when the move is blocked; the exit code is then 1 and stderr says
// which items block it.
func planMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	inp := addInputFlags(fs, "file or directory holding the ServedModel (repeatable)")
	from := fs.String("from", "", "the layer the model is on now (default: its spec.layer)")
	to := fs.String("to", "", "the layer to move to: raw-vllm, kserve, llm-d or auto (required)")
	name := fs.String("name", "", "the ServedModel to plan, when the files hold several")
	output := fs.String("o", "text", "output format: text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, planUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "servelayer plan: "+format+"\n", a...)
		fmt.Fprintln(stderr, planUsage)
		return exitUsage
	}
	switch {
	case fs.NArg() > 0:
		return usageErr("unexpected argument %q (use -f)", fs.Arg(0))
	case len(inp.files) == 0:
		return usageErr("-f MODEL is required")
	case *to == "":
		return usageErr("--to LAYER is required")
	case !slices.Contains(schema.LayerValues, schema.Layer(*to)):
		return usageErr("--to %q is not one of raw-vllm, kserve, llm-d, auto", *to)
	case *from != "" && !slices.Contains(schema.LayerValues, schema.Layer(*from)):
		return usageErr("--from %q is not one of raw-vllm, kserve, llm-d, auto", *from)
	case *output != "text" && *output != "json":
		return usageErr("-o %q is not text or json", *output)
	}

	files := inp.files
	in, code := readInputs("servelayer plan", "", files, *inp.platform, *inp.recursive, stderr)
	if code != exitOK {
		return code
	}
	var node *yaml.RNode
	selected, names := input.Select(in.models, *name)
	if len(selected) > 0 {
		node = selected[len(selected)-1]
	}
	switch {
	case len(in.models) == 0:
		fmt.Fprintf(stderr, "servelayer plan: no %s found in %s\n", schema.KindModel, strings.Join(files, ", "))
		return exitInvalid
	case *name != "" && node == nil:
		fmt.Fprintf(stderr, "servelayer plan: no %s named %q in %s (found: %s)\n", schema.KindModel, *name, strings.Join(files, ", "), strings.Join(names, ", "))
		return exitInvalid
	case *name == "" && len(in.models) > 1:
		return usageErr("found %d ServedModels in %s (%s): pick one with --name", len(in.models), strings.Join(files, ", "), strings.Join(names, ", "))
	}

	modelFile, _, _ := kioutil.GetFileAnnotations(node)
	budget := &decode.AliasBudget{}
	m, errs := input.DecodeNode(node, decode.ServedModel, budget)
	bad := printFieldErrors(stderr, modelFile, node, errs)
	var p *schema.Platform
	if in.platform != nil {
		var perrs field.ErrorList
		p, perrs = input.DecodeNode(in.platform, decode.Platform, budget)
		bad = printFieldErrors(stderr, in.platformFile, in.platform, perrs) || bad
	}
	if bad {
		return exitInvalid
	}

	mp, diags := plan.Move(m, plan.Options{
		Platform: p, From: schema.Layer(*from), To: schema.Layer(*to),
		FleetSize: len(in.models), ModelFile: modelFile, PlatformFile: in.platformFile, ModelName: onlyIfMany(in.models, m.Name),
	})
	if mp == nil {
		for _, d := range diags {
			file := modelFile
			if d.Object.Kind == schema.KindPlatform {
				file = in.platformFile
			}
			fmt.Fprintf(stderr, "%s: %s: %s\n", d.Severity, file, d)
		}
		return exitInvalid
	}

	var out []byte
	if *output == "json" {
		var err error
		if out, err = mp.JSON(); err != nil {
			fmt.Fprintln(stderr, "servelayer plan:", err)
			return exitInvalid
		}
	} else {
		out = []byte(mp.Text())
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintln(stderr, "servelayer plan:", err)
		return exitInvalid
	}
	if mp.Ready {
		return exitOK
	}
	fmt.Fprintf(stderr, "servelayer plan: moving %s from %s to %s is blocked:\n", mp.Model.Name, mp.From.Layer, mp.To.Layer)
	for _, b := range mp.Blockers {
		fmt.Fprintf(stderr, "  blocker %s: %s; fix: %s\n", b.Field, b.Problem, b.Fix)
	}
	for _, c := range mp.FailedChecks() {
		fmt.Fprintf(stderr, "  preflight %s failed: %s\n", c.ID, c.Message)
	}
	return exitInvalid
}

// printFieldErrors prints decode errors the way render prints results and
// reports whether there were any.
func printFieldErrors(w io.Writer, file string, n *yaml.RNode, errs field.ErrorList) bool {
	for _, e := range errs {
		fmt.Fprintf(w, "error: %s: %s %s: %s: %s\n", file, n.GetKind(), n.GetName(), e.Field, e.ErrorBody())
	}
	return len(errs) > 0
}

// onlyIfMany returns name when the models are several, so the runbook's
// render command selects the one being moved.
func onlyIfMany(models []*yaml.RNode, name string) string {
	if len(models) > 1 {
		return name
	}
	return ""
}
