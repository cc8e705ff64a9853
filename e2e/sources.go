package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Sources are the module directories (in the Go module cache) whose files
// the cluster installs: KServe's CRDs, configmap, webhook configurations and
// LLMInferenceService presets, and the CRDs KServe's LLMInferenceService
// controller needs (LeaderWorkerSet, Gateway API, both InferencePool groups),
// at exactly the versions KServe v0.17.0 pins, and kwok's stages.
type Sources struct {
	KServe, LWS, GatewayAPI, GIE, Kwok string
}

// FindSources resolves the directories through the pinned tool modules of
// root/e2e/tools (go mod download: from the module cache, or the proxy).
func FindSources(root string) (*Sources, error) {
	kserveTools := filepath.Join(root, "e2e", "tools", "kserve")
	kwokTools := filepath.Join(root, "e2e", "tools", "kwok")
	s := &Sources{}
	for _, m := range []struct {
		dir, path string
		into      *string
	}{
		{kserveTools, "github.com/kserve/kserve", &s.KServe},
		{kserveTools, "sigs.k8s.io/lws", &s.LWS},
		{kserveTools, "sigs.k8s.io/gateway-api", &s.GatewayAPI},
		{kserveTools, "sigs.k8s.io/gateway-api-inference-extension", &s.GIE},
		{kwokTools, "sigs.k8s.io/kwok", &s.Kwok},
	} {
		d, err := moduleDir(m.dir, m.path)
		if err != nil {
			return nil, err
		}
		*m.into = d
	}
	return s, nil
}

func moduleDir(dir, path string) (string, error) {
	// The version is the one the tool module's build list selects.
	out, err := goCmd(dir, "list", "-m", "-f", "{{.Path}}@{{.Version}}", path)
	if err != nil {
		return "", err
	}
	out, err = goCmd(dir, "mod", "download", "-json", strings.TrimSpace(out))
	if err != nil {
		return "", err
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", path, err)
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", path, info.Error)
	}
	return info.Dir, nil
}

func goCmd(dir string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s (in %s): %w: %s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return string(out), nil
}

// crdFiles are the CRD manifests the cluster installs, in order.
func (s *Sources) crdFiles() ([]string, error) {
	var files []string
	add := func(pattern string) error {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return fmt.Errorf("no CRD file matches %s", pattern)
		}
		sort.Strings(m)
		files = append(files, m...)
		return nil
	}
	for _, p := range []string{
		filepath.Join(s.KServe, "config/crd/full/serving.kserve.io_*.yaml"),
		filepath.Join(s.KServe, "config/crd/full/*/serving.kserve.io_*.yaml"),
		filepath.Join(s.LWS, "config/crd/bases/*.yaml"),
		filepath.Join(s.GatewayAPI, "config/crd/standard/gateway.networking.k8s.io_*.yaml"),
		filepath.Join(s.GIE, "config/crd/bases/*.yaml"),
	} {
		if err := add(p); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// presetFiles are KServe's 8 LLMInferenceServiceConfig presets.
func (s *Sources) presetFiles() ([]string, error) {
	m, err := filepath.Glob(filepath.Join(s.KServe, "config/llmisvcconfig/config-*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(m) != 8 {
		return nil, fmt.Errorf("config/llmisvcconfig: %d presets, want 8: %v", len(m), m)
	}
	sort.Strings(m)
	return m, nil
}

// kwokStages writes kwok's configuration: its own node stages (initialize,
// heartbeat with lease) and fast pod stages (ready, complete, delete), as
// shipped in its kustomize/stage directory.
func (s *Sources) kwokStages(out string) (string, error) {
	var b bytes.Buffer
	for _, f := range []string{
		"kustomize/stage/node/fast/node-initialize.yaml",
		"kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
		"kustomize/stage/pod/fast/pod-ready.yaml",
		"kustomize/stage/pod/fast/pod-complete.yaml",
		"kustomize/stage/pod/fast/pod-delete.yaml",
	} {
		data, err := os.ReadFile(filepath.Join(s.Kwok, f))
		if err != nil {
			return "", err
		}
		b.WriteString("---\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return out, os.WriteFile(out, b.Bytes(), 0o600)
}

// ReadObjects decodes every non-empty YAML document of data.
func ReadObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				return objs, nil
			}
			return nil, err
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
			continue
		}
		// apimachinery's JSON decoding keeps integers int64 (encoding/json
		// would make them float64).
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, err
		}
		objs = append(objs, u)
	}
}

// ReadObjectsFile is ReadObjects on a file.
func ReadObjectsFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := ReadObjects(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}
