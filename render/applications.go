package render

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// Argo CD: the models' Application.
//
// Argo CD orders sync waves, waits for health between them and prunes
// last only inside one Application, and a move spans layers (the old
// layer's objects, the new one's and the LiteLLM ConfigMap), so every
// layer's models share one Application. What each layer needs of Argo CD
// is carried per object where Argo CD allows it (the sync-wave and
// sync-options annotations every render writes) and, where it does not,
// as Application options derived from the Platform.
const (
	// ArgoCDPlugin is the Config Management Plugin's name (argocd/plugin.yaml).
	ArgoCDPlugin = "servelayer"
	// ArgoCDPlatformParam is the plugin's parameter naming the Platform file.
	ArgoCDPlatformParam = "platform"
	// hpaManager is the field manager of the HorizontalPodAutoscaler
	// controller, through which KEDA scales a Deployment.
	hpaManager = "kube-controller-manager"
)

// Applications renders the Argo CD Application that syncs the models'
// directory of platform's spec.argocd through the servelayer plugin. The
// Platform is validated (errors name their field paths) and must set
// spec.argocd; it is not modified.
//
// The Application:
//   - syncs by hand (argocd app sync: a sync starts GPU workloads) unless
//     spec.argocd.automated, then with prune and selfHeal;
//   - PruneLast=true: the old layer's objects, gone from the render after
//     a move, are deleted only after every wave is healthy (wave -1 staged
//     weights, 0 the workloads, 1 the LiteLLM ConfigMaps);
//   - ApplyOutOfSyncOnly=true: a sync applies, and waits for, only what
//     the commit changed, so one model that is stopped (Suspended), loading
//     or short of GPUs does not hold every other model's sync at its wave;
//   - when the Platform names a Prometheus (so raw-vllm models may scale
//     with KEDA), ignores the raw-vllm Deployments' fields the HPA
//     controller owns (spec.replicas of a KEDA-scaled model) and, with
//     RespectIgnoreDifferences=true, keeps them on sync; replicas Git owns
//     (fixed, or 0 for a paused model) are still compared and applied.
//
// llm-d's ServerSideApply=true is not an Application option: every
// LLMInferenceService carries it as its own sync option.
func Applications(platform *schema.Platform) *Result {
	p := platform.DeepCopy()
	res := &Result{}
	ref := platformRef(p)
	fail := func(errs field.ErrorList) *Result {
		for _, e := range errs {
			d := ErrorDiagnostic(e)
			d.Object, d.Input = ref, -1
			res.Diagnostics = append(res.Diagnostics, d)
		}
		return res
	}
	if errs := schema.ValidatePlatform(p); len(errs) > 0 {
		return fail(errs)
	}
	if p.Spec.ArgoCD == nil {
		return fail(field.ErrorList{field.Required(field.NewPath("spec", "argocd"),
			"the Application needs the Git repository and directory of the models: set spec.argocd.repoURL and spec.argocd.path")})
	}
	p.Default()
	a, s := p.Spec.ArgoCD, &p.Spec
	app := &k8s.Application{
		TypeMeta: k8s.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"},
		Metadata: k8s.ObjectMeta{Name: a.Name, Namespace: a.Namespace, Labels: map[string]string{
			k8s.LabelPartOf: "servelayer", k8s.LabelManagedBy: "servelayer",
		}},
		Spec: k8s.ApplicationSpec{
			Project: a.Project,
			Source: k8s.ApplicationSource{
				RepoURL: a.RepoURL, TargetRevision: a.TargetRevision, Path: a.Path,
				Plugin: k8s.ApplicationPlugin{Name: ArgoCDPlugin},
			},
			Destination: k8s.ApplicationDest{Server: a.Destination.Server},
			SyncPolicy:  k8s.ApplicationSyncPolicy{SyncOptions: []string{"PruneLast=true", "ApplyOutOfSyncOnly=true"}},
		},
	}
	if a.PlatformFile != "" {
		app.Spec.Source.Plugin.Parameters = []k8s.PluginParameter{{Name: ArgoCDPlatformParam, String: a.PlatformFile}}
	}
	if a.Automated {
		app.Spec.SyncPolicy.Automated = &k8s.SyncPolicyAutomated{Prune: true, SelfHeal: true}
	}
	if s.Prometheus.URL != "" {
		// Only the HPA's fields: a jsonPointer on /spec/replicas would also
		// hide (and, respected, never apply) the replicas Git owns, such as
		// a paused model's 0.
		app.Spec.IgnoreDifferences = []k8s.IgnoreDifference{{
			Group: "apps", Kind: "Deployment", Namespace: s.Namespaces.RawVLLM, ManagedFieldsManagers: []string{hpaManager},
		}}
		app.Spec.SyncPolicy.SyncOptions = append(app.Spec.SyncPolicy.SyncOptions, "RespectIgnoreDifferences=true")
	}
	res.Objects = []Object{{Ref: ObjectRef{APIVersion: app.APIVersion, Kind: app.Kind, Namespace: a.Namespace, Name: a.Name}, Model: ref, manifest: app, input: -1}}
	return res
}
