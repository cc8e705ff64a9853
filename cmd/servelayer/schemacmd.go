package main

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/servelayer/servelayer/schema"
)

const schemaLong = `Print the ServedModel and Platform schemas.

-o yaml (the default) prints both CustomResourceDefinitions, generated from
the Go types by controller-gen. -o jsonschema prints the JSON Schema of one
kind, converted from its CRD, for editors (yaml-language-server) and
kubeconform; the same files are in the repository under schema/jsonschema/.`

const schemaExample = `  servelayer schema | kubectl apply -f -
  servelayer schema servedmodel -o jsonschema > servedmodel_v1alpha1.json`

func newSchemaCmd(stdout io.Writer) *cobra.Command {
	var output string
	kinds := []string{"servedmodel", "platform"}
	cmd := &cobra.Command{
		Use:       "schema [servedmodel|platform] [flags]",
		Short:     "Print the CRDs, or the JSON Schema of a kind",
		Long:      schemaLong,
		Example:   schemaExample,
		ValidArgs: kinds,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError(cmd, "unexpected argument %q (takes at most one kind)", args[1])
			}
			if len(args) == 1 {
				return oneOf(cmd, "kind", args[0], kinds...)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "yaml", "output format: yaml (the CRDs) or jsonschema")
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues("yaml", "jsonschema"))
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := oneOf(cmd, "-o", output, "yaml", "jsonschema"); err != nil {
			return err
		}
		var out []byte
		switch {
		case output == "yaml" && len(args) == 0:
			out = schema.CRDs()
		case output == "yaml":
			out = schema.CRD(args[0])
		case len(args) == 0:
			return usageError(cmd, "-o jsonschema prints one kind's schema: name it (servelayer schema servedmodel -o jsonschema)")
		default:
			out = schema.JSONSchema(args[0])
		}
		if _, err := stdout.Write(out); err != nil {
			return exit(exitInvalid)
		}
		return nil
	}
	return cmd
}
