package k8s

// Application mirrors argoproj.io/v1alpha1 Application, the fields
// servelayer sets. argocd/e2e decodes it strictly into Argo CD's own type.
type Application struct {
	TypeMeta
	Metadata ObjectMeta      `json:"metadata"`
	Spec     ApplicationSpec `json:"spec"`
}

type ApplicationSpec struct {
	Project           string                `json:"project"`
	Source            ApplicationSource     `json:"source"`
	Destination       ApplicationDest       `json:"destination"`
	SyncPolicy        ApplicationSyncPolicy `json:"syncPolicy"`
	IgnoreDifferences []IgnoreDifference    `json:"ignoreDifferences,omitempty"`
}

type ApplicationSource struct {
	RepoURL        string            `json:"repoURL"`
	TargetRevision string            `json:"targetRevision"`
	Path           string            `json:"path"`
	Plugin         ApplicationPlugin `json:"plugin"`
}

type ApplicationPlugin struct {
	Name       string            `json:"name"`
	Parameters []PluginParameter `json:"parameters,omitempty"`
}

// PluginParameter is a string parameter of a Config Management Plugin.
type PluginParameter struct {
	Name   string `json:"name"`
	String string `json:"string"`
}

type ApplicationDest struct {
	Server string `json:"server"`
}

type ApplicationSyncPolicy struct {
	Automated   *SyncPolicyAutomated `json:"automated,omitempty"`
	SyncOptions []string             `json:"syncOptions"`
}

type SyncPolicyAutomated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// IgnoreDifference is one entry of an Application's ignoreDifferences.
type IgnoreDifference struct {
	Group                 string   `json:"group"`
	Kind                  string   `json:"kind"`
	Namespace             string   `json:"namespace,omitempty"`
	JSONPointers          []string `json:"jsonPointers,omitempty"`
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}
