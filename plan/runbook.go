package plan

import (
	"fmt"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/internal/layer"
	"github.com/servelayer/servelayer/schema"
)

// renderCommand renders the model (and only it, in a fleet file) on layer
// to, as both forms of the runbook print it.
func renderCommand(opts Options, to schema.Layer) string {
	cmd := "servelayer render -f " + orDefault(opts.ModelFile, "MODEL.yaml")
	if opts.PlatformFile != "" {
		cmd += " --platform " + opts.PlatformFile
	}
	if opts.ModelName != "" {
		cmd += " --name " + opts.ModelName
	}
	return cmd + " --layer " + string(to)
}

// removes reports whether the move removes the object.
func (p *MovePlan) removes(kind, namespace, name string) bool {
	for _, o := range p.Objects {
		if o.Action == ActionRemove && o.Kind == kind && o.Namespace == namespace && o.Name == name {
			return true
		}
	}
	return false
}

// stageName is the name of the model's staging Job.
func stageName(m *schema.ServedModel) string {
	job, _ := stageOf(m)
	return job
}

// runbook is the ordered checklist, steps 1-6.
func (p *MovePlan) runbook(old, new *schema.ServedModel, ps *schema.PlatformSpec, opts Options) []Step {
	from, to := old.Spec.Layer, new.Spec.Layer
	render := renderCommand(opts, to)

	s1 := Step{Title: "Preflight", Notes: []string{}}
	for _, c := range p.Preflight {
		if c.Command != "" {
			s1.Commands = append(s1.Commands, c.Command)
		}
	}
	s1.Notes = append(s1.Notes, "go on only when every check passes (run the manual checks' commands)")

	// Selectors for the model's objects and its LiteLLM entry, so a render
	// of a whole fleet file still applies only this model's half.
	selectModel := k8s.LabelName + "=" + new.Name + "," + k8s.LabelComponent + "!=litellm-route"
	selectLiteLLM := k8s.LabelName + "=" + new.Name + "," + k8s.LabelComponent + "=litellm-route"
	s2 := Step{Title: "Bring up " + string(to) + " (the alias still points at " + string(from) + ")",
		Commands: []string{render + " | kubectl apply --server-side -l '" + selectModel + "' -f -"}}
	for _, o := range p.Objects {
		if o.Action == ActionAdd && o.Kind != "ConfigMap" {
			s2.Notes = append(s2.Notes, fmt.Sprintf("creates %s %s/%s", o.Kind, o.Namespace, o.Name))
		}
	}
	s2.Notes = append(s2.Notes, "the LiteLLM ConfigMap is left for step 4")

	wait := home(new).Plan().Wait(new)
	url := apiBase(new, ps)
	s3 := Step{Title: "Validate " + string(to) + " at the URL LiteLLM will call", Commands: []string{
		wait,
		fmt.Sprintf("kubectl -n %s run %s-move-check --rm -i --restart=Never --image=%s -- curl -fsS %s/models",
			ps.LiteLLM.Namespace, new.Name, layer.CheckImage, url),
	}, Notes: []string{fmt.Sprintf("expect %q in the model list; the check runs in LiteLLM's namespace %s, where tenant traffic comes from", new.Spec.Model.Name, ps.LiteLLM.Namespace)}}
	if pvc := new.Spec.Model.Source.PVC; pvc != nil && pvc.Stage != nil {
		// The server cannot load before the Job has filled the claim.
		job, source := stageOf(new)
		s3.Commands = append([]string{fmt.Sprintf("kubectl -n %s wait --for=condition=complete job/%s --timeout=6h", new.Namespace, job)}, s3.Commands...)
		s3.Notes = append(s3.Notes, fmt.Sprintf("Job %s stages %s into claim %s first (once: a later run finds its marker and exits); the server restarts until the weights are there", job, source, pvc.ClaimName))
	}
	if new.Spec.Paused {
		s3.Notes = append(s3.Notes, "spec.paused is true: the new layer stays idle, so there is nothing to validate until it is unpaused")
	}

	s4 := Step{Title: "Re-point the alias"}
	if a := p.LiteLLM; a != nil && ps.LiteLLM.ConfigMap != "" {
		// The fleet form holds every model's entry: a render of this model
		// alone would drop the others, so it comes from the whole fleet as
		// committed, with this model's new layer.
		// A file of one model is not the fleet: name the fleet instead.
		whole := "servelayer render -f FLEET_DIR"
		if opts.ModelName != "" {
			whole = "servelayer render -f " + opts.ModelFile
		}
		if opts.PlatformFile != "" {
			whole += " --platform " + opts.PlatformFile
		}
		s4.Commands = []string{whole + " | kubectl apply --server-side -l '" + k8s.LabelComponent + "=litellm-route' -f -"}
		s4.Notes = []string{
			fmt.Sprintf("first set spec.layer: %s in %s: ConfigMap %s holds the model_list of the whole fleet, so it is rendered from every ServedModel LiteLLM serves (the files GitOps renders), as committed, without --layer or --name", to, orDefault(opts.ModelFile, "the spec"), a.ConfigMap),
			fmt.Sprintf("alias %q does not change; api_base %s -> %s", a.Alias, a.APIBaseFrom, a.APIBaseTo)}
	} else if a != nil {
		s4.Commands = []string{render + " | kubectl apply --server-side -l '" + selectLiteLLM + "' -f -"}
		s4.Notes = []string{fmt.Sprintf("alias %q does not change; api_base %s -> %s (ConfigMap %s)", a.Alias, a.APIBaseFrom, a.APIBaseTo, a.ConfigMap)}
	} else {
		s4.Notes = []string{"no spec.routing: no LiteLLM alias to re-point; point clients at " + url}
	}
	s4.Notes = append(s4.Notes, fmt.Sprintf("set spec.layer: %s in %s and commit it, so Git and the cluster agree", to, orDefault(opts.ModelFile, "the spec")))

	s5 := Step{Title: "Idle " + string(from) + " (keep it for rollback)"}
	idle := home(old).Plan().Idle(old)
	s5.Commands, s5.Notes = idle.Commands, idle.Notes

	s6 := Step{Title: "Tear down " + string(from) + ", gateways before the cluster"}
	down, last := home(old).Plan().Teardown(old, ps)
	s6.Commands, s6.Notes = down.Commands, down.Notes
	if pvc := old.Spec.Model.Source.PVC; pvc != nil && pvc.Stage != nil && p.removes("Job", old.Namespace, stageName(old)) {
		// Its own objects only: the layer's teardown does not know it,
		// and nothing owns it (seen left behind on the cluster in a box).
		// Only when the move removes it: in a namespace both layers share,
		// the new layer keeps the same Job.
		job := stageName(old)
		s6.Commands = append(s6.Commands, fmt.Sprintf("kubectl -n %s delete job/%s", old.Namespace, job))
		s6.Notes = append(s6.Notes, fmt.Sprintf("the staging Job %s (done: the weights are in the claim) goes last, with its pod (it carries %s=model-cache, as the kept claim does: delete it by name)", job, k8s.LabelComponent))
	}
	s6.Notes = append(s6.Notes, fmt.Sprintf("GitOps: the same objects carry -l %s=%s,%s=%s,%s=%s",
		k8s.LabelName, old.Name, k8s.LabelLayer, from, k8s.LabelComponent, k8s.ComponentModelServer))
	for _, o := range p.Objects {
		if o.Action == ActionKeep {
			s6.Notes = append(s6.Notes, fmt.Sprintf("%s %s/%s is kept: delete it yourself once the weights are no longer needed", o.Kind, o.Namespace, o.Name))
		}
	}
	if last != "" {
		s6.Notes = append(s6.Notes, last)
	}

	steps := []Step{s1, s2, s3, s4, s5, s6}
	if len(p.Blockers) > 0 {
		// The runbook would render nothing to apply: show only preflight.
		s1.Notes = append(s1.Notes, "fix the blockers first: steps 2-6 follow once the plan has none")
		steps = []Step{s1}
	}
	for i := range steps {
		steps[i].Number = i + 1
		if steps[i].Commands == nil {
			steps[i].Commands = []string{}
		}
		if steps[i].Notes == nil {
			steps[i].Notes = []string{}
		}
	}
	return steps
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
