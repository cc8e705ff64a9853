package main

import (
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/servelayer/servelayer/argocd"
	"github.com/servelayer/servelayer/schema"
)

const cmpLong = `The Argo CD Config Management Plugin (see argocd/plugin.yaml and
argocd/README.md). Both commands run in the application directory (the
working directory).

Options come from the Application's plugin parameters (ARGOCD_APP_PARAMETERS)
or plugin env (ARGOCD_ENV_<NAME>):
  layer     override spec.layer of every model (raw-vllm, kserve, llm-d, auto)
  platform  path of a Platform file inside the application directory
  recurse   "true" to read subdirectories too`

func newCmpCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cmp generate|discover",
		Short: "The Argo CD Config Management Plugin (generate, discover)",
		Long:  cmpLong,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError(cmd, "unknown command %q (commands: discover, generate)", args[0])
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError(cmd, "name a command: discover or generate")
		},
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "generate",
		Short: "Print the manifests of the ServedModels in the directory",
		Long: `Print the manifests of the ServedModels in the directory, exactly as
"servelayer render -f . [--platform F] [--layer L] [-R]" does. Exits non-zero,
printing nothing, on any error or an empty render.`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(argocd.Generate(".", os.Environ(), cmpRender, stdout, stderr))
		},
	}, &cobra.Command{
		Use:   "discover",
		Short: "Print the files holding a ServedModel (none: the plugin does not apply)",
		Long: `Print the files of the directory holding a ServedModel, one a line. None:
the plugin does not apply to the directory.`,
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(argocd.Discover(".", os.Environ(), stdout, stderr))
		},
	})
	return cmd
}

// cmpRender is the CLI's render path (RenderFiles), so the plugin prints
// exactly what "servelayer render -f DIR" prints.
func cmpRender(req argocd.Request, stderr io.Writer) (func(io.Writer) error, int) {
	return RenderFiles(RenderArgs{
		Files:     []string{req.Dir},
		Platform:  req.Platform,
		Layer:     schema.Layer(req.Layer),
		Recursive: req.Recurse,
		Root:      req.Dir,
	}, stderr)
}
