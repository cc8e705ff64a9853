package conformance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// KServeModule is the Go module whose CRDs, webhook code and configmap are
// the oracle for what KServe accepts.
const KServeModule = "github.com/kserve/kserve"

// KServeCRDDirs are the kustomizations, relative to the KServe module root,
// whose resources are the CRDs a KServe install applies. The llmisvc
// kustomization is separate from the main one in KServe v0.17.0.
var KServeCRDDirs = []string{"config/crd/full", "config/crd/full/llmisvc"}

var (
	kserveDirOnce sync.Once
	kserveDir     string
	kserveDirErr  error
)

// KServeDir is the KServe module's directory in the module cache, at exactly
// the version this test binary was built with. KSERVE_DIR overrides it.
func KServeDir() (string, error) {
	kserveDirOnce.Do(func() {
		kserveDir, kserveDirErr = findKServeDir()
	})
	return kserveDir, kserveDirErr
}

func findKServeDir() (string, error) {
	return moduleDir(KServeModule, "KSERVE_DIR")
}

// LWSModule is the LeaderWorkerSet module whose CRD servelayer's raw-vllm
// LeaderWorkerSets are checked against: the version KServe v0.17.0
// requires (its go.mod), which this module pins too.
const LWSModule = "sigs.k8s.io/lws"

// LWSCRDFile is the LeaderWorkerSet CRD, relative to the LWS module root.
const LWSCRDFile = "config/crd/bases/leaderworkerset.x-k8s.io_leaderworkersets.yaml"

// LWSDir is the LWS module's directory; LWS_DIR overrides it.
var LWSDir = sync.OnceValues(func() (string, error) { return moduleDir(LWSModule, "LWS_DIR") })

// KEDAModule is the Go module whose ScaledObject CRD is the oracle for
// what KEDA accepts, at the version KServe v0.17.0 builds with.
const KEDAModule = "github.com/kedacore/keda/v2"

// KEDACRDFiles are the KEDA CRDs servelayer's objects need, relative to
// the KEDA module root (config/crd/kustomization.yaml lists them all).
var KEDACRDFiles = []string{"config/crd/bases/keda.sh_scaledobjects.yaml"}

// KEDADir is the KEDA module's directory in the module cache, at exactly
// the version this test binary was built with; KEDA_DIR overrides it.
var KEDADir = sync.OnceValues(func() (string, error) { return moduleDir(KEDAModule, "KEDA_DIR") })

// moduleDir is module's directory in the module cache, at exactly the
// version this test binary was built with; env overrides it.
func moduleDir(module, env string) (string, error) {
	if d := os.Getenv(env); d != "" {
		return d, nil
	}
	built := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == module {
				built = m.Version
				if m.Replace != nil {
					built = m.Replace.Version
				}
			}
		}
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", module)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w (set %s to the module directory)", module, err, env)
	}
	version, dir, ok := strings.Cut(strings.TrimSpace(string(out)), " ")
	if !ok || dir == "" {
		return "", fmt.Errorf("go list -m %s: module not downloaded: %q (run go mod download)", module, out)
	}
	if built != "" && built != version {
		return "", fmt.Errorf("test binary built with %s %s but go list finds %s", module, built, version)
	}
	return dir, nil
}

// kustomization is the part of a kustomization.yaml that lists resources.
type kustomization struct {
	Resources []string `json:"resources"`
}

// CRDFiles lists the CRD files the kustomizations in dirs (relative to root)
// name, following nested directories. Patches are not resources and are
// left out: the conversion-webhook patches need KServe's webhook server.
func CRDFiles(root string, dirs []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
		if err != nil {
			return err
		}
		var k kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
		}
		for _, r := range k.Resources {
			p := filepath.Join(dir, r)
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
		}
		return nil
	}
	for _, d := range dirs {
		if err := walk(filepath.Join(root, d)); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// CRD is one CustomResourceDefinition as shipped, with its JSON (for
// applying it to an API server) and its decoded form.
type CRD struct {
	File string
	JSON []byte
	CRD  *apiextensionsv1.CustomResourceDefinition
}

// LoadCRDs reads and strictly decodes every CRD the KServe kustomizations
// list.
func LoadCRDs(kserveDir string) ([]CRD, error) {
	files, err := CRDFiles(kserveDir, KServeCRDDirs)
	if err != nil {
		return nil, err
	}
	return loadCRDFiles(files)
}

// loadCRDFiles reads and strictly decodes the CRDs in files.
func loadCRDFiles(files []string) ([]CRD, error) {
	var crds []CRD
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		docs, err := SplitStream(f, data)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if d.GVK != apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition") {
				return nil, fmt.Errorf("%s: %s is not a CustomResourceDefinition", f, d.GVK)
			}
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := strictJSON(d.JSON, crd); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			crds = append(crds, CRD{File: f, JSON: d.JSON, CRD: crd})
		}
	}
	return crds, nil
}

// CRDVersion validates custom resources of one served version of a CRD the
// way kube-apiserver's apiextensions handler does on create: coerce metadata
// and prune (tracking what is pruned), default, then validate the OpenAPI
// schema, embedded object meta, list-type invariants and the CEL
// x-kubernetes-validations rules.
type CRDVersion struct {
	GVK        schema.GroupVersionKind
	Namespaced bool
	Structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// NewCRDVersion builds the validators of one version of crd. The schema
// must be structural.
func NewCRDVersion(crd *apiextensionsv1.CustomResourceDefinition, version string) (*CRDVersion, error) {
	var served bool
	for _, v := range crd.Spec.Versions {
		if v.Name == version {
			served = v.Served
		}
	}
	if !served {
		return nil, fmt.Errorf("CRD %s does not serve version %s", crd.Name, version)
	}
	v1schema, err := apihelpers.GetSchemaForVersion(crd, version)
	if err != nil {
		return nil, err
	}
	if v1schema == nil || v1schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("CRD %s version %s has no schema", crd.Name, version)
	}
	internal := &apiextensionsinternal.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v1schema, internal, nil); err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version, err)
	}
	s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("CRD %s version %s: schema is not structural: %w", crd.Name, version, err)
	}
	if errs := structuralschema.ValidateStructural(field.NewPath("spec", "versions").Key(version).Child("schema", "openAPIV3Schema"), s); len(errs) > 0 {
		return nil, fmt.Errorf("CRD %s version %s: schema is not structural: %w", crd.Name, version, errs.ToAggregate())
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version, err)
	}
	return &CRDVersion{
		GVK:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: version, Kind: crd.Spec.Names.Kind},
		Namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		Structural: s,
		validator:  validator,
		// Compiles every CEL rule once, as the apiserver's strategy does.
		cel: cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// CRDResult is what the apiserver pipeline found for one object.
type CRDResult struct {
	// Pruned lists the fields the apiserver would silently drop: fields the
	// schema does not know. servelayer treats each as an error.
	Pruned []string
	// Errs are the validation errors the apiserver would reject with.
	Errs field.ErrorList
	// Object is the object after pruning and defaulting.
	Object map[string]interface{}
}

// Err folds Pruned and Errs into one error, nil when both are empty.
func (r CRDResult) Err() error {
	var errs []error
	for _, p := range r.Pruned {
		errs = append(errs, fmt.Errorf("unknown field %q: the CRD schema would prune it", p))
	}
	for _, e := range r.Errs {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// Validate runs obj (decoded with apimachinery's JSON package, so integers
// are int64) through the apiserver's create pipeline. obj is modified.
func (v *CRDVersion) Validate(ctx context.Context, obj map[string]interface{}) (CRDResult, error) {
	u := &unstructured.Unstructured{Object: obj}
	if got := u.GroupVersionKind(); got != v.GVK {
		return CRDResult{}, fmt.Errorf("object is %s, validator is for %s", got, v.GVK)
	}
	var res CRDResult
	// Decode: coerce object meta and prune, as unstructuredSchemaCoercer.
	meta, found, unknownMeta, err := schemaobjectmeta.GetObjectMetaWithOptions(obj, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return res, fmt.Errorf("metadata: %w", err)
	}
	res.Pruned = append(res.Pruned, unknownMeta...)
	apiVersion, kind := u.GetAPIVersion(), u.GetKind()
	res.Pruned = append(res.Pruned, pruning.PruneWithOptions(obj, v.Structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.Structural)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, obj, v.Structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		res.Errs = append(res.Errs, ferr)
	}
	res.Pruned = append(res.Pruned, paths...)
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if found {
		if err := schemaobjectmeta.SetObjectMeta(obj, meta); err != nil {
			return res, err
		}
	}
	// Decode: apply the schema's defaults.
	structuraldefaulting.Default(obj, v.Structural)
	res.Object = obj

	// Strategy.Validate on create.
	res.Errs = append(res.Errs, validation.ValidateObjectMetaAccessor(u, v.Namespaced, validation.NameIsDNSSubdomain, field.NewPath("metadata"))...)
	res.Errs = append(res.Errs, apiservervalidation.ValidateCustomResource(nil, obj, v.validator)...)
	res.Errs = append(res.Errs, schemaobjectmeta.Validate(nil, obj, v.Structural, false)...)
	res.Errs = append(res.Errs, listtype.ValidateListSetsAndMaps(nil, v.Structural, obj)...)
	if !hasBlocking(res.Errs) {
		errs, _ := v.cel.Validate(ctx, nil, v.Structural, obj, nil, celconfig.RuntimeCELCostBudget)
		res.Errs = append(res.Errs, errs...)
	}
	return res, nil
}

// hasBlocking reports errors after which the apiserver skips CEL, because
// the rules could not be evaluated on the value (a wrong type, say).
func hasBlocking(errs field.ErrorList) bool {
	for _, e := range errs {
		if e.Type == field.ErrorTypeTypeInvalid {
			return true
		}
	}
	return false
}

// CRDSet holds the validators of the KServe and KEDA CRD versions
// servelayer renders.
type CRDSet struct {
	CRDs     []CRD
	versions map[schema.GroupVersionKind]*CRDVersion
}

// KServeCRDs loads KServe's CRDs once per test binary and builds validators
// for every served version of the CRDs of InferenceService and
// LLMInferenceService.
var KServeCRDs = sync.OnceValues(loadCRDSet)

func loadCRDSet() (*CRDSet, error) {
	dir, err := KServeDir()
	if err != nil {
		return nil, err
	}
	crds, err := LoadCRDs(dir)
	if err != nil {
		return nil, err
	}
	// KServe's LLMInferenceService controller needs the LeaderWorkerSet
	// CRD too, and raw-vllm renders LeaderWorkerSets.
	lwsDir, err := LWSDir()
	if err != nil {
		return nil, err
	}
	lws, err := loadCRDFiles([]string{filepath.Join(lwsDir, LWSCRDFile)})
	if err != nil {
		return nil, err
	}
	crds = append(crds, lws...)
	kedaDir, err := KEDADir()
	if err != nil {
		return nil, err
	}
	var kedaFiles []string
	for _, f := range KEDACRDFiles {
		kedaFiles = append(kedaFiles, filepath.Join(kedaDir, f))
	}
	keda, err := loadCRDFiles(kedaFiles)
	if err != nil {
		return nil, err
	}
	crds = append(crds, keda...)
	set := &CRDSet{CRDs: crds, versions: map[schema.GroupVersionKind]*CRDVersion{}}
	want := map[schema.GroupKind]bool{
		InferenceServiceGVK.GroupKind():    true,
		LLMInferenceServiceGVK.GroupKind(): true,
		ScaledObjectGVK.GroupKind():        true,
		LeaderWorkerSetGVK.GroupKind():     true,
	}
	for _, c := range crds {
		gk := schema.GroupKind{Group: c.CRD.Spec.Group, Kind: c.CRD.Spec.Names.Kind}
		if !want[gk] {
			continue
		}
		delete(want, gk)
		for _, v := range c.CRD.Spec.Versions {
			if !v.Served {
				continue
			}
			cv, err := NewCRDVersion(c.CRD, v.Name)
			if err != nil {
				return nil, err
			}
			set.versions[cv.GVK] = cv
		}
	}
	for gk := range want {
		return nil, fmt.Errorf("KServe %s, LWS %s and KEDA %s ship no CRD for %s", dir, lwsDir, kedaDir, gk)
	}
	return set, nil
}

// Version returns the validator for gvk, or nil when no loaded CRD serves it.
func (s *CRDSet) Version(gvk schema.GroupVersionKind) *CRDVersion {
	return s.versions[gvk]
}

func strictJSON(data []byte, v interface{}) error {
	strictErrs, err := sigsjsonUnmarshalStrict(data, v)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}
