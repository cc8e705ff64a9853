package schema

import "fmt"

// Shape is how one replica of a pool is laid out: its parallel sizes, and
// the pods of GPUs it spans.
// +kubebuilder:object:generate=false
type Shape struct {
	// Tensor, Pipeline and Data are vLLM's parallel sizes (1 when unset).
	Tensor, Pipeline, Data int32
	// Expert is expert parallelism.
	Expert bool
	// GPUs are the GPUs of each pod.
	GPUs int32
	// Pods are the pods one replica spans.
	Pods int32
	// DataLocal are the data parallel ranks of each pod.
	DataLocal int32
	// Declared says the sizes come from spec.parallelism (or the pool's),
	// not from vLLM flags in the engine's args.
	Declared bool
}

// World is the GPUs one replica shards the model over.
func (s Shape) World() int32 { return s.Tensor * s.Pipeline * s.Data }

// MultiNode reports whether a replica spans more than one pod.
func (s Shape) MultiNode() bool { return s.Pods > 1 }

// DataParallel reports whether the pods of a replica are data parallel
// ranks (each pod serving data-local ranks of tensor GPUs), rather than
// one tensor/pipeline-parallel engine spread over them (Ray).
func (s Shape) DataParallel() bool { return s.Data > 1 }

// PoolView is one pool of a model's pods: the single pool, or prefill or
// decode with disaggregation, with the model's settings where the pool
// sets none.
// +kubebuilder:object:generate=false
type PoolView struct {
	// Name is "" for a single pool, else prefill or decode.
	Name string
	// Path is the pool's spec path (spec, or spec.disaggregation.<name>).
	Path        string
	Resources   *Resources
	Parallelism *Parallelism
	// Args and Env are the model's engine args and env and the pool's.
	Args []string
	Env  []EnvVar
	Pool *Pool
	// RDMA is the pool's spec.network.rdma, or the model's; nil without.
	RDMA *RDMA
	// RDMAPath is where RDMA was set.
	RDMAPath string
}

// Pools are the model's pools: decode then prefill with disaggregation,
// else the one pool.
func (s *ServedModelSpec) Pools() []PoolView {
	d := s.Disaggregation
	if d == nil {
		v := PoolView{Path: "spec", Resources: &s.Resources, Parallelism: s.Parallelism, Args: s.Engine.Args, Env: s.Engine.Env}
		if s.Network != nil && s.Network.RDMA != nil {
			v.RDMA, v.RDMAPath = s.Network.RDMA, "spec.network.rdma"
		}
		return []PoolView{v}
	}
	return []PoolView{s.PoolView("decode", &d.Decode), s.PoolView("prefill", &d.Prefill)}
}

// PoolView resolves one disaggregated pool against the model.
func (s *ServedModelSpec) PoolView(name string, p *Pool) PoolView {
	v := PoolView{Name: name, Path: "spec.disaggregation." + name, Resources: s.PoolResources(p), Parallelism: s.Parallelism, Pool: p,
		Args: s.Engine.Args, Env: s.Engine.Env}
	if p.Parallelism != nil {
		v.Parallelism = p.Parallelism
	}
	switch {
	case p.Network != nil:
		if p.Network.RDMA != nil {
			v.RDMA, v.RDMAPath = p.Network.RDMA, v.Path+".network.rdma"
		}
	case s.Network != nil && s.Network.RDMA != nil:
		v.RDMA, v.RDMAPath = s.Network.RDMA, "spec.network.rdma"
	}
	if e := p.Engine; e != nil {
		v.Args = append(append([]string(nil), s.Engine.Args...), e.Args...)
		v.Env = MergeEnv(s.Engine.Env, e.Env)
	}
	return v
}

// MergeEnv is base with over's variables replacing those of the same name
// in place, and new ones appended.
func MergeEnv(base, over []EnvVar) []EnvVar {
	out := append([]EnvVar(nil), base...)
	for _, e := range over {
		replaced := false
		for i := range out {
			if out[i].Name == e.Name {
				out[i], replaced = e, true
			}
		}
		if !replaced {
			out = append(out, e)
		}
	}
	return out
}

// Shape resolves the pool's layout; problem says why the sizes and the
// pod's GPUs do not fit together ("" when they do).
func (v PoolView) Shape() (sh Shape, problem string) {
	par := v.Parallelism
	sh = Shape{Tensor: 1, Pipeline: 1, Data: 1, GPUs: v.Resources.GPUs, Pods: 1, DataLocal: 1}
	if par == nil {
		_, sh.Tensor, sh.Pipeline = WorldSize(v.Args)
		return sh, ""
	}
	sh.Declared, sh.Expert = true, par.Expert
	for _, f := range []struct {
		dst *int32
		src *int32
	}{{&sh.Tensor, par.Tensor}, {&sh.Pipeline, par.Pipeline}, {&sh.Data, par.Data}} {
		if f.src != nil && *f.src > 0 {
			*f.dst = *f.src
		}
	}
	sh.DataLocal = sh.Data
	world := sh.World()
	what := fmt.Sprintf("tensor %d x pipeline %d x data %d = %d GPUs", sh.Tensor, sh.Pipeline, sh.Data, world)
	switch {
	case sh.GPUs == 0:
		return sh, what + " per replica, but the pod requests no GPU: set " + v.resourcesPath() + ".gpus"
	case world%sh.GPUs != 0:
		return sh, fmt.Sprintf("%s per replica is not a whole number of pods of %d GPUs (%s.gpus): every pod of a replica gets the same GPUs",
			what, sh.GPUs, v.resourcesPath())
	}
	sh.Pods = world / sh.GPUs
	if !sh.MultiNode() || !sh.DataParallel() {
		return sh, ""
	}
	// Data parallel over pods: each pod runs whole ranks of tensor GPUs.
	switch {
	case sh.Pipeline > 1:
		return sh, what + " spans pods with both pipeline and data parallelism, which neither vLLM's data parallel launcher nor KServe's presets lay out: use one of them"
	case sh.GPUs%sh.Tensor != 0:
		return sh, fmt.Sprintf("%s spans pods of %d GPUs as data parallel ranks, but a pod's GPUs are not a whole number of ranks of tensor %d", what, sh.GPUs, sh.Tensor)
	}
	sh.DataLocal = sh.GPUs / sh.Tensor
	return sh, ""
}

func (v PoolView) resourcesPath() string {
	if v.Name != "" && v.Pool != nil && v.Pool.Resources != nil {
		return v.Path + ".resources"
	}
	return "spec.resources"
}

// HasParallelism reports whether spec.parallelism or a pool's sets the
// parallel sizes.
func (s *ServedModelSpec) HasParallelism() bool {
	if s.Parallelism != nil {
		return true
	}
	if d := s.Disaggregation; d != nil {
		return d.Prefill.Parallelism != nil || d.Decode.Parallelism != nil
	}
	return false
}

// MultiNode reports whether a replica of some pool spans pods.
func (s *ServedModelSpec) MultiNode() bool {
	if !s.HasParallelism() {
		return false // vLLM flags alone never span pods
	}
	for _, v := range s.Pools() {
		if sh, p := v.Shape(); p == "" && sh.MultiNode() {
			return true
		}
	}
	return false
}

// ReplicaGPUs are the GPUs one replica of the pool holds: its pod's GPUs
// times the pods it spans.
func (v PoolView) ReplicaGPUs() int32 {
	sh, why := v.Shape()
	if why != "" {
		return v.Resources.GPUs
	}
	return sh.GPUs * sh.Pods
}

// GPUsText says what one replica of the pool holds, such as "4 GPU" or
// "4 GPU x 2 pods".
func (v PoolView) GPUsText() string {
	if sh, why := v.Shape(); why == "" && sh.MultiNode() {
		return fmt.Sprintf("%d GPU x %d pods", sh.GPUs, sh.Pods)
	}
	return fmt.Sprintf("%d GPU", v.Resources.GPUs)
}
