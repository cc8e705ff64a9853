package plan

import (
	"fmt"
	"strings"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// GitOpsMove is the move as one commit of spec.layer under the Argo CD
// Application `servelayer applications` renders: sync waves order it
// (staged weights, the new workload until healthy, the LiteLLM alias) and
// the old layer is pruned last.
type GitOpsMove struct {
	// Application is the Argo CD Application that syncs the model: the
	// Platform's spec.argocd.name, or servelayer-models.
	Application string `json:"application"`
	// Automated is true when the Application syncs every commit by itself
	// (spec.argocd.automated); otherwise Steps holds the sync command.
	Automated bool `json:"automated"`
	// Steps are what the commit and its sync do, in order.
	Steps []Step `json:"steps"`
}

// gitops is the Argo CD form of the runbook; nil while there are blockers
// (the plugin would refuse to render the commit: the sync fails and
// changes nothing).
func (p *MovePlan) gitops(old, new *schema.ServedModel, ps *schema.PlatformSpec, opts Options) *GitOpsMove {
	if len(p.Blockers) > 0 {
		return nil
	}
	from, to := old.Spec.Layer, new.Spec.Layer
	g := &GitOpsMove{Application: schema.DefaultArgoCDApplication}
	if a := ps.ArgoCD; a != nil {
		g.Application, g.Automated = a.Name, a.Automated
	}
	file := orDefault(opts.ModelFile, "the spec")
	preview := renderCommand(opts, to)

	commit := Step{Title: fmt.Sprintf("Commit spec.layer: %s", to), Commands: []string{preview}, Notes: []string{
		fmt.Sprintf("run the preflight (step 1 above) first; then set spec.layer: %s in %s, review what the Application will render (the command), and commit", to, file),
		"every layer's models are in one Application (servelayer applications): sync waves and PruneLast order a move only inside one",
	}}
	if failed := p.FailedChecks(); len(failed) > 0 {
		ids := make([]string, len(failed))
		for i, c := range failed {
			ids[i] = c.ID
		}
		commit.Notes = append(commit.Notes, fmt.Sprintf("preflight fails (%s): fix that first; a commit the plugin cannot render (a layer gated off) fails the sync and changes nothing", strings.Join(ids, ", ")))
	}
	sync := Step{Title: "Sync"}
	if g.Automated {
		sync.Notes = []string{fmt.Sprintf("Application %s is automated (prune, selfHeal): it syncs the commit by itself", g.Application)}
	} else {
		sync.Commands = []string{"argocd app sync " + g.Application}
		sync.Notes = []string{"the Application syncs by hand (a sync starts GPU workloads): nothing happens until this command"}
	}
	sync.Notes = append(sync.Notes, "ApplyOutOfSyncOnly: the sync applies, and waits for, only what the commit changed")
	steps := []Step{commit, sync}

	// Staged weights (the Job and the claim it fills) go in wave -1; a
	// claim without a Job stays in wave 0 with the server that binds it.
	pvc := new.Spec.Model.Source.PVC
	staged := pvc != nil && pvc.Stage != nil
	var stage, adds, removes []string
	for _, o := range p.Objects {
		ref := fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name)
		switch {
		case o.Action == ActionAdd && staged && (o.Kind == "Job" || o.Kind == "PersistentVolumeClaim"):
			stage = append(stage, "creates "+ref)
		case o.Action == ActionAdd && o.Kind != "ConfigMap":
			adds = append(adds, "creates "+ref)
		case o.Action == ActionRemove:
			removes = append(removes, "deletes "+ref)
		}
	}
	if staged {
		job, source := stageOf(new)
		steps = append(steps, Step{Title: "Wave " + k8s.SyncWaveStage + ": stage the weights", Notes: append(stage,
			fmt.Sprintf("Job %s stages %s into claim %s; Argo CD waits until it completes (a failed Job is Degraded: the sync fails and %s still serves)", job, source, pvc.ClaimName, from))})
	}
	up := Step{Title: fmt.Sprintf("Wave 0: bring up %s until healthy (the alias still points at %s)", to, from), Notes: adds}
	wave := home(new).Plan().ArgoHealth(new)
	if !wave.Waits {
		// Wave 0 would not hold the alias back: no one-commit move.
		g.Steps = []Step{{Number: 1, Title: "Not as one commit: move " + new.Name + " with the kubectl checklist above", Commands: []string{},
			Notes: []string{wave.Health, "keep the Application from syncing until spec.layer is committed in step 4 (manual sync, or automated sync off meanwhile); its sync then adopts what kubectl applied and prunes what step 6 has not deleted yet"}}}
		return g
	}
	up.Notes = append(up.Notes, "waits on "+wave.Health)
	steps = append(steps, up)

	alias := Step{Title: "Wave " + k8s.SyncWaveRoute + ": re-point the alias"}
	if a := p.LiteLLM; a != nil {
		alias.Notes = []string{fmt.Sprintf("ConfigMap %s: alias %q, api_base %s -> %s, only once every wave-0 object is healthy", a.ConfigMap, a.Alias, a.APIBaseFrom, a.APIBaseTo)}
	} else {
		alias.Notes = []string{"no spec.routing: no LiteLLM alias; point clients at " + apiBase(new, ps)}
	}
	steps = append(steps, alias)

	prune := Step{Title: fmt.Sprintf("Prune %s last (PruneLast)", from)}
	prune.Notes = removes
	for _, o := range p.Objects {
		if o.Action == ActionKeep {
			prune.Notes = append(prune.Notes, fmt.Sprintf("%s %s/%s is kept (Prune=false): delete it yourself once the weights are no longer needed", o.Kind, o.Namespace, o.Name))
		}
	}
	prune.Notes = append(prune.Notes, "after every wave is healthy: the old layer serves until the alias has moved")
	steps = append(steps, prune)

	stall := Step{Title: "If GPUs are short"}
	head := "the preflight's gpu-headroom check predicts it (with Platform spec.gpus)"
	for _, c := range p.Preflight {
		if c.ID == "gpu-headroom" || (c.ID == "gpus" && c.Status == CheckFail) {
			head = fmt.Sprintf("the preflight's %s check predicts it (now %s: %s)", c.ID, c.Status, c.Message)
		}
	}
	waits, resume := "", "free GPUs and the sync goes on by itself"
	if wave.ShortFails {
		waits, resume = " until the Deployment's progress deadline, then fails (Degraded)", "free GPUs and sync again"
	}
	stall.Notes = []string{
		fmt.Sprintf("the new pods stay Pending: the sync waits at wave 0 (\"waiting for healthy state of\" the new workload)%s, with %s serving and the alias unchanged; %s", waits, from, head),
		fmt.Sprintf("%s; or roll back: argocd app terminate-op %s, revert the commit and sync again (the revert moves the same way: %s is still up, and the new layer's objects are pruned last)", resume, g.Application, from),
	}
	if new.Spec.Paused && wave.StoppedWaits {
		stall.Notes = append(stall.Notes, fmt.Sprintf("spec.paused is true: wave 0 never turns healthy on a stopped %s, so the sync waits there; unpause before the move", to))
	}
	steps = append(steps, stall)

	for i := range steps {
		steps[i].Number = i + 1
		if steps[i].Commands == nil {
			steps[i].Commands = []string{}
		}
		if steps[i].Notes == nil {
			steps[i].Notes = []string{}
		}
	}
	g.Steps = steps
	return g
}
