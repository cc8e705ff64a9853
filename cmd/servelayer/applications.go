package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/servelayer/servelayer/decode"
	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/render"
)

const applicationsLong = `Print the Argo CD Application that syncs the models' directory.

Reads the Platform (--platform) and prints, from its spec.argocd, one
Application whose source is the Git directory of the models through the
servelayer Config Management Plugin: every layer's models in one
Application, so that a move (one commit of spec.layer) is ordered by sync
waves (staged weights, then the workloads until healthy, then the LiteLLM
alias) and the old layer is pruned last. Manual sync unless
spec.argocd.automated. Invalid input prints nothing (exit 1).`

const applicationsExample = `  servelayer applications --platform examples/fleet/platform.yaml
  servelayer applications --platform platform.yaml | kubectl apply -f -`

func newApplicationsCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var platform string
	cmd := &cobra.Command{
		Use:               "applications --platform FILE",
		Short:             "Print the Argo CD Application of the models",
		Long:              applicationsLong,
		Example:           applicationsExample,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cmd.Flags().StringVar(&platform, "platform", "", "Platform file with spec.argocd; - reads stdin")
	_ = cmd.MarkFlagFilename("platform", "yaml", "yml", "json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if platform == "" {
			return usageError(cmd, "--platform FILE is required")
		}
		return exit(applicationsRun(platform, stdin, stdout, stderr))
	}
	return cmd
}

func applicationsRun(platform string, stdin io.Reader, stdout, stderr io.Writer) int {
	in, code := readInputs("servelayer applications", "", nil, platform, false, stdin, stderr)
	if code != exitOK {
		return code
	}
	if in.platform == nil {
		fmt.Fprintf(stderr, "servelayer applications: no Platform found in %s\n", platform)
		return exitInvalid
	}
	p, errs := input.DecodeNode(in.platform, decode.Platform, &decode.AliasBudget{})
	if printFieldErrors(stderr, in.platformFile, in.platform, errs) {
		return exitInvalid
	}
	res := render.Applications(p)
	for _, d := range res.Diagnostics {
		fmt.Fprintf(stderr, "%s: %s: %s\n", d.Severity, in.platformFile, d)
	}
	if res.HasErrors() {
		return exitInvalid
	}
	out, err := res.YAML()
	if err == nil {
		_, err = stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "servelayer applications:", err)
		return exitInvalid
	}
	return exitOK
}
