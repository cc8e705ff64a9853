// Command servelayer renders ServedModels for raw vLLM, KServe or llm-d.
//
// With no arguments and stdin not a terminal it is a KRM function
// (ResourceList on stdin), as kustomize and kpt run it. Otherwise it is a
// kubectl-shaped CLI (spf13/cobra); see `servelayer --help`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Exit codes.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

// version is set at build time with -ldflags "-X main.version=..."; a
// `go install ...@vX` build takes the module version from its build info.
var version = "dev"

// buildVersion is version, or the main module's version when the linker
// set none: deterministic, never the time or the machine.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

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

// exitError ends a command with an exit code; its message, if any, has
// not been printed yet.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// exit ends a command with code, its messages already printed.
func exit(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// usageError is a usage mistake in cmd: exit 2 with a hint to its help.
func usageError(cmd *cobra.Command, format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf("%s: %s\nRun '%s --help' for usage.", cmd.CommandPath(), fmt.Sprintf(format, a...), cmd.CommandPath())}
}

// isTerminal reports whether r is a terminal, where a KRM function would
// wait for input nobody types.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	if len(args) == 0 {
		// kustomize and kpt run the function with no arguments and the
		// ResourceList on stdin; a person at a terminal gets the help.
		if isTerminal(stdin) {
			root.InitDefaultHelpFlag() // as Execute would: the help lists them
			root.InitDefaultVersionFlag()
			if err := root.Help(); err != nil {
				return exitInvalid
			}
			return exitOK
		}
		return runFunction(stdin, stdout, stderr)
	}
	if args[0] != cobra.ShellCompRequestCmd && args[0] != cobra.ShellCompNoDescRequestCmd {
		// cobra adds its completion request commands in Execute; any other
		// first argument that is no command is refused here, listing them.
		if _, _, err := root.Find(args); err != nil {
			return exitCode(unknownCommand(root, stripFlags(args)), stderr)
		}
	}
	root.SetArgs(args)
	return exitCode(root.Execute(), stderr)
}

// stripFlags drops the leading flags before the first word: what cobra
// took for a command.
func stripFlags(args []string) []string {
	for i, a := range args {
		if !strings.HasPrefix(a, "-") {
			return args[i:]
		}
	}
	return nil
}

// exitCode prints err, if any, and returns the exit code it carries.
func exitCode(err error, stderr io.Writer) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(stderr, ee.msg)
		}
		return ee.code
	}
	// cobra's own errors (say, a flag given no value) are usage errors.
	fmt.Fprintf(stderr, "servelayer: %v\nRun 'servelayer --help' for usage.\n", err)
	return exitUsage
}

const rootLong = `servelayer renders one ServedModel spec for the serving layer it names:
raw vLLM, a KServe InferenceService or an llm-d LLMInferenceService.

Run with no arguments and a ResourceList on stdin, it is a KRM function, as
kustomize and kpt run it (see "servelayer fn --help"); with no arguments on a
terminal it prints this help.

Exit codes: 0 success, 1 invalid input (every problem on stderr, with its
field path and value), 2 usage error.`

const rootExample = `  servelayer render -f examples/raw-vllm/qwen.yaml
  servelayer render -f examples/raw-vllm/qwen.yaml --layer kserve -o json
  cat qwen.yaml | servelayer render -f -
  servelayer plan -f examples/raw-vllm/qwen.yaml --to kserve
  servelayer schema servedmodel -o jsonschema
  source <(servelayer completion bash)`

// newRoot builds the command tree; every command reads and writes the
// streams given, so tests run it in process.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:     "servelayer",
		Short:   "Render one ServedModel spec for raw vLLM, KServe or llm-d",
		Long:    rootLong,
		Example: rootExample,
		Version: buildVersion(),
		// Messages and exit codes are run's: cobra prints neither.
		SilenceErrors: true,
		SilenceUsage:  true,
		// cobra sets it only on its own unknown-command path.
		SuggestionsMinimumDistance: 2,
		ValidArgsFunction:          cobra.NoFileCompletions,
		// No RunE: run starts the function when there are no arguments.
		// No custom templates either: cobra's default help and usage are
		// Go functions, while text/template would keep every exported
		// method of every linked type (the linker stops eliminating dead
		// code at reflect's method calls): 6 MB more binary.
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError(cmd, "%v", err)
	})
	root.AddCommand(
		newRenderCmd(stdin, stdout, stderr),
		newPlanCmd(stdin, stdout, stderr),
		newApplicationsCmd(stdin, stdout, stderr),
		newCmpCmd(stdout, stderr),
		newSchemaCmd(stdout),
		newFnCmd(stdin, stdout, stderr),
		newVersionCmd(stdout),
	)
	root.SetHelpCommand(newHelpCmd())
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// unknownCommand refuses any argument to the root command, listing every
// command (cobra's own message lists none).
func unknownCommand(cmd *cobra.Command, args []string) error {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || c.Name() == "help" {
			names = append(names, c.Name())
		}
	}
	slices.Sort(names)
	msg := fmt.Sprintf("unknown command %q (commands: %s)", args[0], strings.Join(names, ", "))
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError(cmd, "%s", msg)
}

// newHelpCmd is cobra's help command, but an unknown topic is a usage
// error (cobra's prints the usage and exits 0).
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  `Help provides help for any command in the application.`,
		ValidArgsFunction: func(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			cmd, _, err := c.Root().Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, sub := range cmd.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, sub.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			cmd, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usageError(c.Root(), "unknown help topic %q", strings.Join(args, " "))
			}
			cmd.InitDefaultHelpFlag() // as --help sees it
			cmd.InitDefaultVersionFlag()
			return cmd.Help()
		},
	}
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "Print the version (the same as --version)",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintln(stdout, "servelayer version", buildVersion())
			return nil
		},
	}
}

// noArgs refuses positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError(cmd, "unexpected argument %q (takes none)", args[0])
	}
	return nil
}

// oneOf is a flag value check: a usage error naming the flag and the
// values it takes.
func oneOf(cmd *cobra.Command, flag, value string, values ...string) error {
	if slices.Contains(values, value) {
		return nil
	}
	return usageError(cmd, "%s %q is not one of %s", flag, value, strings.Join(values, ", "))
}

// completeValues completes a flag from a fixed list.
func completeValues(values ...string) cobra.CompletionFunc {
	return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
}
