package schema

import "testing"

func TestIsCUDAVLLM(t *testing.T) {
	for image, want := range map[string]bool{
		"vllm/vllm-openai:v0.11.0":                              true,
		"docker.io/vllm/vllm-openai@sha256:" + hex64:            true,
		"registry.example.com:5000/mirror/vllm-openai:v0.9":     true,
		"ghcr.io/llm-d/llm-d-cuda:v0.3.0":                       true,
		"ghcr.io/llm-d/llm-d-CUDA":                              true,
		"vllm/vllm-openai-cpu:v0.11.0":                          false,
		"rocm/vllm:latest":                                      false,
		"public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo:v0.11.0": false,
		"registry.cuda.example.com:5000/vllm-cpu:v1":            false,
	} {
		if got := isCUDAVLLM(image); got != want {
			t.Errorf("isCUDAVLLM(%q) = %v, want %v", image, got, want)
		}
	}
}
