package render_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/servelayer/servelayer/render"
)

// TestArgoCDAnnotations holds the Argo CD contract of every object of every
// golden case (what the models' Application relies on to order a move):
// LiteLLM ConfigMaps in wave 1, the staging Job and the claim it fills in
// wave -1, a claim without a Job and every model workload in wave 0 (no
// annotation), ServerSideApply=true on every LLMInferenceService, and
// Prune=false,Delete=false kept on provisioned claims.
func TestArgoCDAnnotations(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/render/*")
	seen := map[string]int{}
	for _, dir := range dirs {
		models, opts := caseInput(t, dir)
		res := render.RenderFleet(models, opts)
		staged := false
		for _, o := range res.Objects {
			staged = staged || o.Ref.Kind == "Job"
		}
		for _, o := range res.Objects {
			b, err := o.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var meta struct {
				Metadata struct {
					Labels      map[string]string `json:"labels"`
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(b, &meta); err != nil {
				t.Fatal(err)
			}
			wave, opts := meta.Metadata.Annotations["argocd.argoproj.io/sync-wave"], meta.Metadata.Annotations["argocd.argoproj.io/sync-options"]
			want, wantOpts := "", ""
			switch {
			case meta.Metadata.Labels[render.LabelLiteLLMModelList] == "true":
				want = "1"
			case o.Ref.Kind == "Job":
				want = "-1"
			case o.Ref.Kind == "PersistentVolumeClaim":
				wantOpts = "Prune=false,Delete=false"
				if staged {
					want = "-1"
				}
			case o.Ref.Kind == "LLMInferenceService":
				wantOpts = "ServerSideApply=true"
			}
			if wave != want || opts != wantOpts {
				t.Errorf("%s: %s: sync-wave %q, sync-options %q; want %q, %q", filepath.Base(dir), o.Ref, wave, opts, want, wantOpts)
			}
			seen[o.Ref.Kind+" "+want+" "+strings.TrimSpace(wantOpts)]++
		}
	}
	for _, k := range []string{"ConfigMap 1 ", "Job -1 ", "PersistentVolumeClaim -1 Prune=false,Delete=false", "PersistentVolumeClaim  Prune=false,Delete=false",
		"LLMInferenceService  ServerSideApply=true", "InferenceService  ", "Deployment  "} {
		if seen[k] == 0 {
			t.Errorf("no golden case covers %q: %v", k, seen)
		}
	}
}
