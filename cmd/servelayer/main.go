// Command servelayer renders ServedModels for raw vLLM, KServe or llm-d.
//
// With no arguments it is a KRM function (ResourceList on stdin), as
// kustomize and kpt run it. Otherwise it is a CLI; see usage.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// commands are the subcommands; other files register theirs in init.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"render":  renderMain,
	"schema":  schemaMain,
	"version": versionMain,
}

const usage = `servelayer renders one ServedModel spec for the serving layer it names.

Usage:
  servelayer render -f FILE_OR_DIR... [--platform FILE] [--layer L] [--name NAME]
                           L: raw-vllm, kserve, llm-d or auto
  servelayer plan -f MODEL [--platform FILE] [--from L] --to L [--name NAME] [-o text|json]
                           what moving a model to layer L changes, its
                           blockers and preflight checks, and the runbook;
                           exit 1 when a blocker or a preflight check fails
  servelayer cmp generate  the Argo CD Config Management Plugin (see argocd/README.md):
                           renders the app directory; never prints an empty success
  servelayer cmp discover  list the ServedModel files of the app directory
  servelayer schema        print the ServedModel and Platform CRDs
  servelayer version
  servelayer fn            run as a KRM function (ResourceList on stdin);
                           the same as running with no arguments

Exit codes: 0 success, 1 invalid input, 2 usage error.
`

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// sets another: near it the garbage collector runs more often instead of
// letting the heap grow to twice what is live. Every input the limits in
// internal/input accept (at most 10,000 models, 20,000 objects, 8 MiB)
// stays live below it, so the process stays under 1 GiB of memory.
const memoryLimit = 800 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runFunction(stdin, stdout, stderr)
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "fn": // the same as no arguments; needs stdin, so not in commands
		return runFunction(stdin, stdout, stderr)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(stderr, "servelayer: unknown command %q (commands: %s)\n\n%s", args[0], strings.Join(names, ", "), usage)
		return exitUsage
	}
	return cmd(args[1:], stdout, stderr)
}

func versionMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "servelayer version: takes no arguments")
		return exitUsage
	}
	fmt.Fprintln(stdout, "servelayer", version)
	return exitOK
}
