package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/plan"
	"github.com/servelayer/servelayer/schema"
)

const planLong = `Plan moving one ServedModel to another layer.

Prints what the move changes, its blockers and preflight checks, and the
runbook in two forms: kubectl steps, and one commit of spec.layer synced by
the Argo CD Application of "servelayer applications" (sync waves, the old
layer pruned last). The plan goes to stdout even when the move is blocked;
the exit code is then 1 and stderr says which items block it.`

const planExample = `  servelayer plan -f examples/raw-vllm/qwen.yaml --to kserve
  servelayer plan -f examples/fleet/models.yaml --name qwen --to llm-d -o json`

func newPlanCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var from, to, name, output string
	cmd := &cobra.Command{
		Use:               "plan -f MODEL --to LAYER [flags]",
		Short:             "Plan moving a model to another layer: changes, blockers, runbook",
		Long:              planLong,
		Example:           planExample,
		Args:              useFlagF,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	inp := addInputFlags(cmd, "file or directory holding the ServedModel; repeatable, - reads stdin")
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "the layer the model is on now (default: its spec.layer)")
	fs.StringVar(&to, "to", "", "the layer to move to: raw-vllm, kserve, llm-d or auto (required)")
	fs.StringVar(&name, "name", "", "the ServedModel to plan, when the files hold several")
	fs.StringVarP(&output, "output", "o", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("from", completeValues(layerValues...))
	_ = cmd.RegisterFlagCompletionFunc("to", completeValues(layerValues...))
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues("text", "json"))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		switch {
		case len(inp.files) == 0:
			return usageError(cmd, "-f MODEL is required")
		case to == "":
			return usageError(cmd, "--to LAYER is required")
		}
		for _, f := range []struct{ flag, value string }{{"--to", to}, {"--from", from}} {
			if f.value != "" {
				if err := oneOf(cmd, f.flag, f.value, layerValues...); err != nil {
					return err
				}
			}
		}
		if err := oneOf(cmd, "-o", output, "text", "json"); err != nil {
			return err
		}
		return exit(planRun(cmd, inp, from, to, name, output, stdin, stdout, stderr))
	}
	return cmd
}

// planRun plans the move; its arguments are checked.
func planRun(cmd *cobra.Command, inp *inputFlags, from, to, name, output string, stdin io.Reader, stdout, stderr io.Writer) int {
	usageErr := func(format string, a ...any) int {
		fmt.Fprintln(stderr, usageError(cmd, format, a...))
		return exitUsage
	}
	files := inp.files
	in, code := readInputs("servelayer plan", "", files, inp.platform, inp.recursive, stdin, stderr)
	if code != exitOK {
		return code
	}
	var node *yaml.RNode
	selected, names := input.Select(in.models, name)
	if len(selected) > 0 {
		node = selected[len(selected)-1]
	}
	switch {
	case len(in.models) == 0:
		fmt.Fprintf(stderr, "servelayer plan: no %s found in %s\n", schema.KindModel, strings.Join(files, ", "))
		return exitInvalid
	case name != "" && node == nil:
		fmt.Fprintf(stderr, "servelayer plan: no %s named %q in %s (found: %s)\n", schema.KindModel, name, strings.Join(files, ", "), strings.Join(names, ", "))
		return exitInvalid
	case name == "" && len(in.models) > 1:
		return usageErr("found %d ServedModels in %s (%s): pick one with --name", len(in.models), strings.Join(files, ", "), strings.Join(names, ", "))
	}

	modelFile, _, _ := kioutil.GetFileAnnotations(node)
	platformFile := in.platformFile
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
		Platform: p, From: schema.Layer(from), To: schema.Layer(to),
		FleetSize: len(in.models), ModelFile: dash(modelFile), PlatformFile: dash(platformFile), ModelName: onlyIfMany(in.models, m.Name),
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
	if output == "json" {
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

// dash is the argument that reads file again: "-" for stdin, so the
// runbook's commands read it as the plan did.
func dash(file string) string {
	if file == input.Stdin {
		return "-"
	}
	return file
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
