package main

import (
	"fmt"
	"io"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/schema"
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

func schemaMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "servelayer schema: takes no arguments")
		return exitUsage
	}
	_, err := stdout.Write(schema.CRDs())
	if err != nil {
		return exitInvalid
	}
	return exitOK
}
