package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/servelayer/servelayer/internal/k8s"
	"github.com/servelayer/servelayer/schema"
)

// Weights staging (spec.model.source.pvc.stage): a Job that downloads the
// weights into the claim once. It is the same on every layer: the claim
// and path are what each layer mounts.
const (
	// StageMarker is the file, in the weights' directory, recording what
	// was staged there; a Job that finds its own source in it exits.
	StageMarker = ".servelayer-staged"
	// AnnotationArgoSyncWave orders Argo CD's sync: the claim and the Job
	// go in a wave before the server (k8s.SyncWaveStage), and Argo CD waits
	// for the Job to complete (a Job is healthy once complete) before the
	// next wave; the LiteLLM ConfigMaps go after it (k8s.SyncWaveRoute).
	AnnotationArgoSyncWave = k8s.AnnotationArgoSyncWave
	stageMount             = "/models"
)

// stageScript skips a staged directory, fetches (the source's own step),
// checks config.json (what raw-vllm's weights check and vLLM read) and
// writes the marker last, so an interrupted Job runs again.
const stageScript = `set -eu
marker="$STAGE_DEST/` + StageMarker + `"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$STAGE_SOURCE" ]; then
  echo "servelayer: $STAGE_SOURCE is already staged at $STAGE_DEST"
  exit 0
fi
mkdir -p "$STAGE_DEST"
%s
if [ ! -f "$STAGE_DEST/config.json" ]; then
  echo "servelayer: $STAGE_SOURCE staged no config.json at $STAGE_DEST: not a model vLLM can load" >&2
  exit 1
fi
printf '%%s\n' "$STAGE_SOURCE" > "$marker"
echo "servelayer: staged $STAGE_SOURCE at $STAGE_DEST"`

const (
	hfFetch = `python3 -c 'import os; from huggingface_hub import snapshot_download; snapshot_download(repo_id=os.environ["HF_REPO"], revision=os.environ["HF_REVISION"], local_dir=os.environ["STAGE_DEST"])'`
	// Modelcar images hold the weights in /models (KServe's convention).
	ociFetch = `cp -R /models/. "$STAGE_DEST/"`
)

// StageSource is what a staging Job fetches, as its marker records it:
// hf://org/name@revision or oci://registry/repo@sha256:<digest>.
func StageSource(st *schema.PVCStage) string {
	if st.HF != "" {
		rev := st.Revision
		if rev == "" {
			rev = "main"
		}
		return "hf://" + strings.TrimPrefix(st.HF, "hf://") + "@" + rev
	}
	return "oci://" + strings.TrimPrefix(st.OCI, "oci://")
}

// StageJobName is the staging Job's name: the model's, then 8 hex digits
// of what it stages where, so a new source is a new Job (a Job's pod
// template cannot be updated in place) and the same one is unchanged.
func StageJobName(m *schema.ServedModel) string {
	src := m.Spec.Model.Source.PVC
	sum := sha256.Sum256([]byte(StageSource(src.Stage) + "\x00" + src.ClaimName + "\x00" + src.Path))
	return m.Name + "-stage-" + hex.EncodeToString(sum[:4])
}

// stageJob renders the staging Job of a defaulted model, if it asks for one.
func stageJob(m *schema.ServedModel, p *schema.PlatformSpec) (k8s.Object, bool) {
	src := m.Spec.Model.Source.PVC
	if src == nil || src.Stage == nil {
		return k8s.Object{}, false
	}
	st := src.Stage
	dest := stageMount + "/" + src.Path
	env := []k8s.EnvVar{
		{Name: "STAGE_SOURCE", Value: StageSource(st)},
		{Name: "STAGE_DEST", Value: dest},
		{Name: "HOME", Value: "/tmp"},
	}
	c := k8s.Container{Name: "stage", Command: []string{"sh", "-c"}, SecurityContext: k8s.Hardened(true),
		// Downloads are network- and disk-bound; huggingface_hub's
		// parallel, chunked transfers need some memory.
		Resources: k8s.ResourceRequirements{
			Requests: map[string]string{"cpu": "500m", "memory": "1Gi"},
			Limits:   map[string]string{"cpu": "2", "memory": "4Gi"},
		},
		VolumeMounts: []k8s.VolumeMount{{Name: "models", MountPath: stageMount}, {Name: "tmp", MountPath: "/tmp"}},
	}
	var pullSecrets []k8s.LocalObjectReference
	creds := m.Spec.Model.Credentials
	if st.HF != "" {
		rev := st.Revision
		if rev == "" {
			rev = "main"
		}
		c.Image = cmp.Or(st.Image, m.Spec.Engine.Image, p.Images.VLLM)
		c.Args = []string{fmt.Sprintf(stageScript, hfFetch)}
		env = append(env, k8s.EnvVar{Name: "HF_REPO", Value: strings.TrimPrefix(st.HF, "hf://")}, k8s.EnvVar{Name: "HF_REVISION", Value: rev},
			k8s.EnvVar{Name: "HF_HOME", Value: "/tmp/hf"}, k8s.EnvVar{Name: "HF_HUB_DISABLE_TELEMETRY", Value: "1"})
		if creds != nil {
			env = append(env, k8s.EnvVar{Name: "HF_TOKEN", ValueFrom: &k8s.EnvVarSource{SecretKeyRef: &k8s.SecretKeySelector{Name: creds.SecretName, Key: "HF_TOKEN"}}})
		}
	} else {
		c.Image = strings.TrimPrefix(st.OCI, "oci://")
		c.Args = []string{fmt.Sprintf(stageScript, ociFetch)}
		if creds != nil {
			pullSecrets = []k8s.LocalObjectReference{{Name: creds.SecretName}}
		}
	}
	c.Env = env
	name := StageJobName(m)
	meta := k8s.Meta(m, name, "model-cache")
	k8s.SetSyncWave(&meta, k8s.SyncWaveStage)
	job := &k8s.Job{
		TypeMeta: k8s.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		Metadata: meta,
		Spec: k8s.JobSpec{
			BackoffLimit: k8s.Ptr(int32(3)),
			Template: k8s.PodTemplateSpec{
				Metadata: k8s.ObjectMeta{Labels: stagePodLabels(m)},
				Spec: k8s.PodSpec{
					AutomountServiceAccountToken: k8s.Ptr(false),
					// fsGroup: a fresh volume's root is root's; the Job runs as 1000.
					SecurityContext:  &k8s.PodSecurityContext{RunAsNonRoot: k8s.Ptr(true), FSGroup: k8s.Ptr(int64(1000)), SeccompProfile: k8s.RuntimeDefaultSeccomp()},
					ImagePullSecrets: pullSecrets,
					Containers:       []k8s.Container{c},
					Volumes: []k8s.Volume{
						{Name: "models", PersistentVolumeClaim: &k8s.PVCVolumeSource{ClaimName: src.ClaimName}},
						{Name: "tmp", EmptyDir: &k8s.EmptyDirVolumeSource{SizeLimit: "1Gi"}},
					},
					RestartPolicy: "Never",
				},
			},
		},
	}
	return k8s.NewObject("batch/v1", "Job", m, name, job), true
}

// stagePodLabels are the staging pod's labels: the Job's, less the layer.
// A Job's pod template is immutable, and where two layers share a
// namespace a move keeps the same Job, so nothing in it may name the layer.
func stagePodLabels(m *schema.ServedModel) map[string]string {
	l := k8s.Labels(m, "model-cache")
	delete(l, k8s.LabelLayer)
	return l
}
