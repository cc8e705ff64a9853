// Command kubectl is kubectl v1.34.3, built from the published
// k8s.io/kubectl module (its pkg/cmd is kubectl's command; this main is
// k8s.io/kubernetes' cmd/kubectl/kubectl.go), so that the e2e scenarios run
// servelayer plan's runbook with a real, pinned kubectl and not whatever
// the machine has. Build with ../../hack/build.sh.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	command := cmd.NewDefaultKubectlCommand()
	if err := cli.RunNoErrOutput(command); err != nil {
		// Pretty-print the error and exit with an error.
		util.CheckErr(err)
	}
}
