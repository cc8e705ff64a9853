package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/servelayer/servelayer/fn"
	"github.com/servelayer/servelayer/internal/corpus"
)

// BenchmarkFleet is the fleet curve beside its floor, measured in one run.
// For fleets of 1, 100, 1,000 and 10,000 models (internal/corpus.Fleet, a
// third on each layer):
//
//	path=floor     go.yaml.in/yaml/v3 decoding render's own output and
//	               encoding it again (internal/corpus.YAMLFloor)
//	path=render    `servelayer render -f models.yaml --platform
//	               platform.yaml` in process: read, validate, render, write
//	path=function  the KRM function (fn.Run) on the same fleet as a
//	               ResourceList, as kustomize hands it over
//
// `make bench` prints it with benchstat, a row per fleet size and a column
// per path, each path compared with the floor. Nothing is asserted about
// time: hack/fleetbench.sh measures the same as whole processes, with peak
// RSS.
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		dir := b.TempDir()
		models, platform := filepath.Join(dir, "models.yaml"), filepath.Join(dir, "platform.yaml")
		fleet := corpus.Fleet(n)
		if err := os.WriteFile(models, fleet, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(platform, []byte(corpus.FleetPlatform), 0o644); err != nil {
			b.Fatal(err)
		}
		args := []string{"render", "-f", models, "--platform", platform}
		var out bytes.Buffer
		if code := run(args, nil, &out, io.Discard); code != exitOK {
			b.Fatalf("%d models: exit %d", n, code)
		}
		rl := corpus.ResourceListFor(fleet, []byte(corpus.FleetPlatform))

		bench := func(path string, f func() error) {
			b.Run(fmt.Sprintf("models=%d/path=%s", n, path), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := f(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/model")
			})
		}
		bench("floor", func() error { return corpus.YAMLFloor(io.Discard, out.Bytes()) })
		bench("render", func() error {
			if code := run(args, nil, io.Discard, io.Discard); code != exitOK {
				return fmt.Errorf("exit %d", code)
			}
			return nil
		})
		bench("function", func() error {
			_, err := fn.Run(&kio.ByteReadWriter{Reader: bytes.NewReader(rl), Writer: io.Discard, KeepReaderAnnotations: true})
			return err
		})
	}
}
