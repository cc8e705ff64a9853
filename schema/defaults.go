package schema

// Defaults that are true of any cluster unless its Platform says otherwise.
const (
	DefaultDeploymentMode = DeploymentModeStandard
	DefaultInitImage      = "busybox:1.37.0"
	DefaultLiteLLMNS      = "litellm"
	DefaultKServeGWClass  = "agentgateway"
	DefaultLLMDGateway    = "llm-d-gateway"
	DefaultGPUResource    = "nvidia.com/gpu"

	// Argo CD's defaults (spec.argocd).
	DefaultArgoCDRevision    = "HEAD"
	DefaultArgoCDProject     = "default"
	DefaultArgoCDNamespace   = "argocd"
	DefaultArgoCDApplication = "servelayer-models"
	DefaultArgoCDServer      = "https://kubernetes.default.svc"
)

// DefaultPlatform is the Platform assumed when none is given: every layer's
// defaults, and no gate. Callers say so in a result (see render).
func DefaultPlatform() *Platform {
	p := &Platform{}
	p.APIVersion, p.Kind = APIVersion, KindPlatform
	p.Default()
	return p
}

// Default fills every unset Platform field with its documented default.
func (p *Platform) Default() {
	s := &p.Spec
	setDefault(&s.Namespaces.RawVLLM, defaultNSRaw)
	setDefault(&s.Namespaces.KServe, defaultNSKS)
	setDefault(&s.Namespaces.LLMD, defaultNSLLMD)
	setDefault(&s.KServe.DeploymentMode, DefaultDeploymentMode)
	setDefault(&s.KServe.Gateway.ClassName, DefaultKServeGWClass)
	setDefault(&s.LLMD.Gateway.Name, DefaultLLMDGateway)
	setDefault(&s.LLMD.Gateway.Namespace, s.Namespaces.LLMD)
	if s.LLMD.Gateway.URL == "" {
		s.LLMD.Gateway.URL = "http://" + s.LLMD.Gateway.Name + "." + s.LLMD.Gateway.Namespace
	}
	setDefault(&s.Images.VLLM, DefaultVLLM)
	setDefault(&s.Images.Init, DefaultInitImage)
	setDefault(&s.LiteLLM.Namespace, DefaultLiteLLMNS)
	setDefault(&s.GPUNodes.Resource, DefaultGPUResource)
	for i := range s.GPUClasses {
		setDefault(&s.GPUClasses[i].Resource, s.GPUNodes.Resource)
	}
	if a := s.ArgoCD; a != nil {
		setDefault(&a.TargetRevision, DefaultArgoCDRevision)
		setDefault(&a.Project, DefaultArgoCDProject)
		setDefault(&a.Namespace, DefaultArgoCDNamespace)
		setDefault(&a.Name, DefaultArgoCDApplication)
		setDefault(&a.Destination.Server, DefaultArgoCDServer)
	}
}

// GPUClass returns how pods of the named GPU class reach their nodes: the
// Platform's spec.gpuNodes for "", a spec.gpuClasses entry otherwise.
func (p *PlatformSpec) GPUClass(name string) (*GPUNodes, bool) {
	if name == "" {
		return &p.GPUNodes, true
	}
	for i := range p.GPUClasses {
		if p.GPUClasses[i].Name == name {
			return &p.GPUClasses[i].GPUNodes, true
		}
	}
	return nil, false
}

// GPUNodesOf is the GPU class of resources r: its own, or the default one
// for a class the Platform does not declare (validation refuses that).
func (p *PlatformSpec) GPUNodesOf(r *Resources) *GPUNodes {
	if g, ok := p.GPUClass(r.GPUClass); ok {
		return g
	}
	return &p.GPUNodes
}

// GPUClassPath is the Platform field path of resources r's GPU class.
func (p *PlatformSpec) GPUClassPath(r *Resources) string {
	if r.GPUClass == "" {
		return "spec.gpuNodes"
	}
	return "spec.gpuClasses[" + r.GPUClass + "]"
}

// Default fills the ServedModel fields whose defaults do not depend on the
// layer; each layer fills the rest (its namespace, its image). It never
// changes a value the user set.
func (m *ServedModel) Default(p *PlatformSpec) {
	s := &m.Spec
	if s.Replicas == nil && s.Scaling == nil && s.Disaggregation == nil {
		s.Replicas = ptr(int32(1))
	}
	if s.Scaling != nil && s.Scaling.MinReplicas == nil {
		s.Scaling.MinReplicas = ptr(int32(1))
	}
	s.Resources.defaultLimits()
	if sc := s.Scheduler; sc != nil {
		if sc.Profile == "" && sc.Config == nil {
			sc.Profile = SchedulerDefault
		}
		if sc.Profile == SchedulerPrecisePrefixCache {
			if sc.BlockSize == nil {
				sc.BlockSize = ptr(int32(DefaultKVBlockSize))
			}
			setDefault(&sc.HashSeed, DefaultHashSeed)
		}
		if c := sc.Config; c != nil && c.ConfigMapRef != nil {
			setDefault(&c.ConfigMapRef.Key, "epp")
		}
	}
	s.Network.defaultRDMA()
	if d := s.Disaggregation; d != nil {
		d.Prefill.Network.defaultRDMA()
		d.Decode.Network.defaultRDMA()
		setDefault(&d.KVConnector, KVConnectorNIXL)
		for _, pool := range []*Pool{&d.Prefill, &d.Decode} {
			if pool.Replicas == nil {
				pool.Replicas = ptr(int32(1))
			}
			if pool.Resources != nil {
				pool.Resources.defaultLimits()
				setDefault(&pool.Resources.SharedMemory, s.Resources.SharedMemory)
				setDefault(&pool.Resources.GPUClass, s.Resources.GPUClass)
			}
		}
	}
}

func (n *Network) defaultRDMA() {
	if n == nil || n.RDMA == nil {
		return
	}
	if n.RDMA.Count == nil {
		n.RDMA.Count = ptr(int32(1))
	}
	if len(n.RDMA.Capabilities) == 0 {
		n.RDMA.Capabilities = []RDMACapability{CapIPCLock}
	}
}

func (r *Resources) defaultLimits() {
	if r.Limits == nil {
		r.Limits = &ResourceLimits{}
	}
	setDefault(&r.Limits.CPU, r.CPU)
	setDefault(&r.Limits.Memory, r.Memory)
}

// DefaultStartupTimeoutSeconds is the startup budget of a model that sets
// none: 30 minutes to load the weights.
const DefaultStartupTimeoutSeconds = 1800

// StartupSeconds is the model's startup budget: spec.engine.startupTimeoutSeconds,
// or DefaultStartupTimeoutSeconds. It is not defaulted into the spec, so the
// rule table can tell a budget the user asked for from the default.
func (s *ServedModelSpec) StartupSeconds() int32 {
	if t := s.Engine.StartupTimeoutSeconds; t != nil {
		return *t
	}
	return DefaultStartupTimeoutSeconds
}

// PoolResources returns the resources of a disaggregated pool: its own
// override, or the model's.
func (s *ServedModelSpec) PoolResources(p *Pool) *Resources {
	if p.Resources != nil {
		return p.Resources
	}
	return &s.Resources
}

func setDefault[T ~string](v *T, def T) {
	if *v == "" {
		*v = def
	}
}

func ptr[T any](v T) *T { return &v }

// WhenUnsatisfiableOrDefault is the constraint's whenUnsatisfiable, or
// ScheduleAnyway: a spread is a preference unless asked to be a rule.
func (t TopologySpread) WhenUnsatisfiableOrDefault() string {
	if t.WhenUnsatisfiable == "" {
		return "ScheduleAnyway"
	}
	return t.WhenUnsatisfiable
}

// MaxSkewOrDefault is the constraint's maxSkew, or 1.
func (t TopologySpread) MaxSkewOrDefault() int32 {
	if t.MaxSkew == nil {
		return 1
	}
	return *t.MaxSkew
}

// MaxUnavailableOrDefault is the budget's maxUnavailable, or 1.
func (d *DisruptionBudget) MaxUnavailableOrDefault() int32 {
	if d.MaxUnavailable == nil {
		return 1
	}
	return *d.MaxUnavailable
}

// The precise-prefix-cache profile's defaults: llm-d's guide's block size
// and hash seed.
const (
	DefaultKVBlockSize = 64
	DefaultHashSeed    = "42"
)
