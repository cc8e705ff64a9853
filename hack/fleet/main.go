// Command fleet writes the fleets hack/fleetbench.sh and hack/kustomize-knee.sh
// measure, and runs the yaml.v3 floor the render is compared with.
//
//	go run ./hack/fleet gen -n N -dir DIR [-exec PATH]
//	    DIR/models.yaml (N ServedModels, internal/corpus.Fleet), DIR/platform.yaml
//	    (its Platform), DIR/resourcelist.yaml (both as the function's stdin,
//	    a transformer), and DIR/kustomization.yaml running the function as a
//	    transformer (exec PATH, relative to DIR) when -exec is given.
//	go run ./hack/fleet floor FILE
//	    decodes FILE, a YAML stream, with go.yaml.in/yaml/v3 and encodes every
//	    document again to stdout (2-space indent, compact sequences, one
//	    encoder per document): the cost of reading and writing the output
//	    with yaml.v3, which a render of the same bytes is measured against.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/servelayer/servelayer/internal/corpus"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "floor":
		if len(os.Args) != 3 {
			usage()
		}
		err = floorFile(os.Args[2])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: fleet gen -n N -dir DIR [-exec PATH] | fleet floor FILE")
	os.Exit(2)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 1000, "models")
	dir := fs.String("dir", "", "output directory")
	exec := fs.String("exec", "", "the function binary, relative to DIR: also write a kustomization")
	fs.Parse(args)
	if *dir == "" || *n < 1 {
		usage()
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "models.yaml"), corpus.Fleet(*n), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "platform.yaml"), []byte(corpus.FleetPlatform), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*dir, "resourcelist.yaml"), corpus.ResourceListFor(corpus.Fleet(*n), []byte(corpus.FleetPlatform)), 0o644); err != nil {
		return err
	}
	if *exec == "" {
		return nil
	}
	fnConfig := strings.Replace(corpus.FleetPlatform, "  name: fleet\n",
		"  name: fleet\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: "+*exec+"\n", 1)
	if err := os.WriteFile(filepath.Join(*dir, "platform-fn.yaml"), []byte(fnConfig), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*dir, "kustomization.yaml"), []byte("resources:\n- models.yaml\ntransformers:\n- platform-fn.yaml\n"), 0o644)
}

func floorFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(os.Stdout, 64<<10)
	if err := corpus.YAMLFloor(w, data); err != nil {
		return err
	}
	return w.Flush()
}
