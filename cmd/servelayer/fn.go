package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
)

// runFunction is KRM function mode. The ResourceList, results included,
// goes to stdout; any error result also goes to stderr (kustomize shows
// it) and makes the exit code non-zero.
func runFunction(stdin io.Reader, stdout, stderr io.Writer) int {
	rw := &kio.ByteReadWriter{Reader: stdin, Writer: stdout, KeepReaderAnnotations: true}
	results, err := fn.Run(rw)
	for _, r := range results {
		if r.Severity != framework.Info {
			printResults(stderr, framework.Results{r})
		}
	}
	if err != nil {
		if results.ExitCode() == 0 { // not a result: unreadable input
			fmt.Fprintln(stderr, "servelayer:", err)
		}
		return exitInvalid
	}
	return exitOK
}

const fnLong = `Run as a KRM function: read a ResourceList on stdin, write it back with the
rendered objects and the results.

As a generator the function config is a ServedModel; as a transformer it is a
Platform, and every ServedModel among the items is replaced by its objects
(other items pass through). kustomize and kpt run the binary with no
arguments, which is the same as "servelayer fn" when stdin is not a terminal.
Error results exit 1 and are also printed to stderr.`

func newFnCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:               "fn",
		Short:             "Run as a KRM function (ResourceList on stdin), as kustomize and kpt do",
		Long:              fnLong,
		Example:           "  kustomize build --enable-alpha-plugins --enable-exec examples/raw-vllm",
		Args:              noArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(runFunction(stdin, stdout, stderr))
		},
	}
}
