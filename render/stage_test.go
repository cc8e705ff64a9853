package render_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/render"
)

// stageContainer is the staging Job's container of a golden case.
func stageContainer(t *testing.T, dir string) (script string, env map[string]string) {
	t.Helper()
	models, opts := caseInput(t, dir)
	res := render.RenderFleet(models, opts)
	if res.HasErrors() {
		t.Fatal(res.Errors())
	}
	for _, o := range res.Objects {
		if o.Ref.Kind != "Job" {
			continue
		}
		b, err := o.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var job struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Command, Args []string
							Env           []struct{ Name, Value string }
						}
					}
				}
			}
		}
		if err := json.Unmarshal(b, &job); err != nil {
			t.Fatal(err)
		}
		c := job.Spec.Template.Spec.Containers[0]
		if strings.Join(c.Command, " ") != "sh -c" || len(c.Args) != 1 {
			t.Fatalf("the staging container runs %q %q, want sh -c SCRIPT", c.Command, c.Args)
		}
		env = map[string]string{}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		return c.Args[0], env
	}
	t.Fatalf("%s renders no Job", dir)
	return "", nil
}

// TestStageJobIsIdempotent runs the oci staging Job's script with sh, its
// image's /models and the claim's mount point moved to temporary
// directories (the only change): the first run copies the weights and
// writes the marker, a second run finds the marker and copies nothing, a
// new source stages again, and a source without config.json fails
// without a marker.
func TestStageJobIsIdempotent(t *testing.T) {
	script, env := stageContainer(t, "../testdata/render/stage-oci-kserve")
	tmp := t.TempDir()
	image, claim := filepath.Join(tmp, "image-models"), filepath.Join(tmp, "claim")
	script = strings.ReplaceAll(script, "/models/.", image+"/.")
	dest := strings.Replace(env["STAGE_DEST"], "/models", claim, 1)
	if dest == env["STAGE_DEST"] {
		t.Fatalf("STAGE_DEST %s is not under the claim's mount /models", env["STAGE_DEST"])
	}
	write := func(name, text string) {
		if err := os.MkdirAll(image, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(image, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(source string) (string, error) {
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "STAGE_SOURCE=" + source, "STAGE_DEST=" + dest}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dest, name)); return err == nil }

	write("README.md", "no weights")
	if out, err := run(env["STAGE_SOURCE"]); err == nil || exists(render.StageMarker) || !strings.Contains(out, "no config.json") {
		t.Fatalf("an image without config.json: err %v, marker %v, output %q", err, exists(render.StageMarker), out)
	}
	write("config.json", "{}")
	write("model.safetensors", "weights")
	if out, err := run(env["STAGE_SOURCE"]); err != nil || !exists("model.safetensors") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	marker, err := os.ReadFile(filepath.Join(dest, render.StageMarker))
	if err != nil || strings.TrimSpace(string(marker)) != env["STAGE_SOURCE"] {
		t.Fatalf("marker %q (%v), want %q", marker, err, env["STAGE_SOURCE"])
	}
	write("extra.bin", "new")
	out, err := run(env["STAGE_SOURCE"])
	if err != nil || !strings.Contains(out, "already staged") || exists("extra.bin") {
		t.Fatalf("second run: err %v, copied again: %v\n%s", err, exists("extra.bin"), out)
	}
	if out, err := run(env["STAGE_SOURCE"] + "-v2"); err != nil || !exists("extra.bin") {
		t.Fatalf("a new source: err %v, staged: %v\n%s", err, exists("extra.bin"), out)
	}
}
