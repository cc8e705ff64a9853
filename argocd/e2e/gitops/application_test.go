// Package gitops checks what servelayer renders for Argo CD against Argo
// CD's own code (the argo-cd module pinned in ../go.mod): the Applications
// of `servelayer applications` against Argo CD's Application type and CRD,
// and the LLMInferenceService health check in Argo CD's Lua machinery. It
// needs no server, only the module.
package gitops

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"sigs.k8s.io/yaml"

	"github.com/argoproj/argo-cd/v3/cmpserver/plugin"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	repoapiclient "github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	synccommon "github.com/argoproj/gitops-engine/pkg/sync/common"
)

const argoModule = "github.com/argoproj/argo-cd/v3"

// repoRoot is the servelayer checkout.
var repoRoot = filepath.Join("..", "..", "..")

// argoDir is the argo-cd module's directory in the module cache.
func argoDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", argoModule).Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v (run go mod download in argocd/e2e)", argoModule, err)
	}
	return strings.TrimSpace(string(out))
}

// applicationSchema is the openAPIV3Schema of Argo CD's Application CRD,
// as the apiserver validates and prunes with it.
func applicationSchema(t *testing.T) (validation.SchemaValidator, *structuralschema.Structural) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(argoDir(t), "manifests", "crds", "application-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(crd.Spec.Versions, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Name == "v1alpha1" })
	if crd.Spec.Names.Kind != "Application" || i < 0 {
		t.Fatalf("not the v1alpha1 Application CRD: %s %v", crd.Spec.Names.Kind, crd.Spec.Versions)
	}
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(crd.Spec.Versions[i].Schema.OpenAPIV3Schema, &internal, nil); err != nil {
		t.Fatal(err)
	}
	v, _, err := validation.NewSchemaValidator(&internal)
	if err != nil {
		t.Fatal(err)
	}
	s, err := structuralschema.NewStructural(&internal)
	if err != nil {
		t.Fatal(err)
	}
	return v, s
}

// TestApplications: every Application servelayer renders
// (testdata/applications/*/expected.yaml, held by render's and the CLI's
// golden tests) decodes strictly into Argo CD's v1alpha1.Application, is
// valid against its CRD with no field pruned, wires the plugin exactly as
// argocd/plugin.yaml declares it, and says only sync options Argo CD knows.
func TestApplications(t *testing.T) {
	validator, structural := applicationSchema(t)
	pluginYAML, err := os.ReadFile(filepath.Join(repoRoot, "argocd", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cmp plugin.PluginConfig
	if err := yaml.Unmarshal(pluginYAML, &cmp); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "applications", "*", "expected.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("Applications to check: %v %v", files, err)
	}
	known := []string{synccommon.SyncOptionPruneLast, synccommon.SyncOptionApplyOutOfSyncOnly, "RespectIgnoreDifferences=true"}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Strict: a field Argo CD's type lacks, or a wrong type, fails.
			var app v1alpha1.Application
			if err := yaml.UnmarshalStrict(b, &app); err != nil {
				t.Fatalf("Argo CD's Application type refuses it: %v", err)
			}
			var obj map[string]any
			if err := yaml.Unmarshal(b, &obj); err != nil {
				t.Fatal(err)
			}
			if errs := validation.ValidateCustomResource(nil, obj, validator); len(errs) > 0 {
				t.Errorf("the Application CRD refuses it: %v", errs.ToAggregate())
			}
			if pruned := pruning.PruneWithOptions(obj, structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}); len(pruned) > 0 {
				t.Errorf("the apiserver would drop %v", pruned)
			}
			// Round trip through Argo CD's type: nothing lost or renamed.
			again, err := json.Marshal(&app)
			if err != nil {
				t.Fatal(err)
			}
			var obj2, orig map[string]any
			_ = json.Unmarshal(again, &obj2)
			j, _ := yaml.YAMLToJSON(b)
			_ = json.Unmarshal(j, &orig)
			delete(obj2["metadata"].(map[string]any), "creationTimestamp")
			delete(obj2, "status")
			if a, o := mustJSON(obj2), mustJSON(orig); a != o {
				t.Errorf("through Argo CD's type:\n%s\nrendered:\n%s", a, o)
			}

			src := app.Spec.Source
			if src == nil || src.Plugin == nil || src.Plugin.Name != cmp.Metadata.Name {
				t.Fatalf("source plugin %+v, want %q (argocd/plugin.yaml)", src, cmp.Metadata.Name)
			}
			for _, p := range src.Plugin.Parameters {
				if !slices.ContainsFunc(cmp.Spec.Parameters.Static, func(s *repoapiclient.ParameterAnnouncement) bool { return s.Name == p.Name }) {
					t.Errorf("parameter %q is not one plugin.yaml announces", p.Name)
				}
				if p.String_ == nil || *p.String_ == "" {
					t.Errorf("parameter %q has no string value", p.Name)
				}
			}
			if src.RepoURL == "" || src.Path == "" || src.TargetRevision == "" || app.Spec.Destination.Server == "" || app.Spec.Project == "" {
				t.Errorf("incomplete source or destination: %+v %+v", src, app.Spec.Destination)
			}
			sp := app.Spec.SyncPolicy
			if sp == nil {
				t.Fatal("no syncPolicy")
			}
			for _, o := range sp.SyncOptions {
				if !slices.Contains(known, o) {
					t.Errorf("sync option %q is not one Argo CD v3.2 reads", o)
				}
			}
			if !sp.SyncOptions.HasOption(synccommon.SyncOptionPruneLast) {
				t.Error("no PruneLast=true: the old layer would be pruned in its own wave, before the new one is healthy")
			}
			if len(app.Spec.IgnoreDifferences) > 0 != sp.SyncOptions.HasOption("RespectIgnoreDifferences=true") {
				t.Errorf("RespectIgnoreDifferences must be set exactly when ignoreDifferences exist: %v %v", app.Spec.IgnoreDifferences, sp.SyncOptions)
			}
			if auto := sp.Automated; auto != nil && (!auto.Prune || !auto.SelfHeal) {
				t.Errorf("automated %+v, want prune and selfHeal", auto)
			}
			if strings.Contains(f, "automated") != sp.IsAutomatedSyncEnabled() {
				t.Errorf("automated sync = %v", sp.IsAutomatedSyncEnabled())
			}
		})
	}
}

func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
	return b.String()
}
