package main

import (
	"fmt"
	"io"
	"os"

	"github.com/servelayer/servelayer/argocd"
	"github.com/servelayer/servelayer/schema"
)

func init() { commands["cmp"] = cmpMain }

const cmpUsage = `Usage: servelayer cmp generate|discover

The Argo CD Config Management Plugin (see argocd/plugin.yaml and argocd/README.md).
Both run in the application directory (the working directory).

  generate  print the manifests of the ServedModels in the directory, exactly
            as "servelayer render -f . [--platform F] [--layer L] [-R]";
            exits non-zero, printing nothing, on any error or an empty render
  discover  print the files holding a ServedModel (none: the plugin does not
            apply)

Options come from the Application's plugin parameters (ARGOCD_APP_PARAMETERS)
or plugin env (ARGOCD_ENV_<NAME>):
  layer     override spec.layer of every model (raw-vllm, kserve, llm-d)
  platform  path of a Platform file inside the application directory
  recurse   "true" to read subdirectories too
`

func cmpMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, cmpUsage)
		return exitUsage
	}
	switch args[0] {
	case "generate":
		return argocd.Generate(".", os.Environ(), cmpRender, stdout, stderr)
	case "discover":
		return argocd.Discover(".", os.Environ(), stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, cmpUsage)
		return exitOK
	}
	fmt.Fprint(stderr, cmpUsage)
	return exitUsage
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
