// Package argocd is servelayer's Argo CD Config Management Plugin (CMP).
//
// The Argo CD cmp-server runs `servelayer cmp discover` and
// `servelayer cmp generate` (see argocd/plugin.yaml) in the application's
// directory, with the Application's plugin parameters in
// ARGOCD_APP_PARAMETERS and its plugin env as ARGOCD_ENV_<NAME>. This
// package turns that environment into a render request and guards the
// output: generate prints only manifests on stdout and fails, never printing
// anything, on any error and on an empty render (an empty success under
// auto-prune would delete the application's workloads).
//
// Messages name parameters and variables, never the values the environment
// carried: plugin env is where people put credentials.
package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/servelayer/servelayer/internal/input"
	"github.com/servelayer/servelayer/schema"
)

// Exit codes, the same as the CLI's.
const (
	ExitOK      = 0
	ExitInvalid = 1
	ExitUsage   = 2
)

// Parameter names, as announced in argocd/plugin.yaml. Each may also be given
// as plugin env: ARGOCD_ENV_LAYER, ARGOCD_ENV_PLATFORM, ARGOCD_ENV_RECURSE.
const (
	ParamLayer    = "layer"
	ParamPlatform = "platform"
	ParamRecurse  = "recurse"
)

// EnvParameters is the variable the cmp-server sets to the Application's
// spec.source.plugin.parameters as a JSON array.
const EnvParameters = "ARGOCD_APP_PARAMETERS"

// envPrefix is what Argo CD puts before the names in spec.source.plugin.env.
const envPrefix = "ARGOCD_ENV_"

var params = []string{ParamLayer, ParamPlatform, ParamRecurse}

// Options are the plugin's inputs besides the app directory.
type Options struct {
	// Layer overrides spec.layer of every ServedModel ("" = keep).
	Layer string
	// Platform is the path of a Platform file relative to the app
	// directory ("" = none given; a Platform in the directory is used).
	Platform string
	// Recurse reads subdirectories too (render -R).
	Recurse bool
}

// Request is what the renderer gets: the directory and the options, with
// Platform already joined to Dir.
type Request struct {
	Dir      string
	Platform string
	Layer    string
	Recurse  bool
}

// Renderer renders a request exactly as `servelayer render -f DIR
// [--platform F] [--layer L] [-R]` does, with every problem written to
// stderr. It validates first and returns an exit code; with ExitOK, write
// writes the YAML stream (one model at a time, so a fleet's manifests are
// never all held at once). The CLI supplies it, so the CMP and the CLI
// share one code path.
type Renderer func(req Request, stderr io.Writer) (write func(io.Writer) error, code int)

// Param is one entry of ARGOCD_APP_PARAMETERS, as Argo CD marshals
// ApplicationSourcePluginParameter: a name and one of string, array or map.
type Param struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// Error is a usage error of the plugin's inputs. Its message never holds
// a value taken from the environment.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func errorf(format string, a ...any) error { return &Error{fmt.Sprintf(format, a...)} }

// ParseOptions reads the options from an environment in os.Environ form.
// A value may come from a parameter or from ARGOCD_ENV_<NAME>; when both
// are given they must agree. Empty strings count as not given.
func ParseOptions(environ []string) (Options, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	fromParams := map[string]string{}
	if raw := strings.TrimSpace(env[EnvParameters]); raw != "" {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		var ps []Param
		if err := dec.Decode(&ps); err != nil {
			// The decoder's message can quote the input: do not pass it on.
			return Options{}, errorf("%s is not a JSON array of {name, string|array|map} objects", EnvParameters)
		}
		if dec.More() {
			return Options{}, errorf("%s has data after its JSON array", EnvParameters)
		}
		for i, p := range ps {
			switch {
			case !slices.Contains(params, p.Name):
				// The name is not echoed either: it came from the environment.
				// The index is the parameter's position in the Application's
				// spec.source.plugin.parameters.
				return Options{}, errorf("%s[%d]: unknown parameter name (known: %s)", EnvParameters, i, strings.Join(params, ", "))
			case p.Array != nil || p.Map != nil:
				return Options{}, errorf("parameter %q must be a string, not an array or a map", p.Name)
			case p.String == nil:
				continue
			}
			if _, dup := fromParams[p.Name]; dup {
				return Options{}, errorf("parameter %q is given more than once", p.Name)
			}
			fromParams[p.Name] = strings.TrimSpace(*p.String)
		}
	}
	get := func(name string) (string, error) {
		envName := envPrefix + strings.ToUpper(name)
		p, e := fromParams[name], strings.TrimSpace(env[envName])
		if p != "" && e != "" && p != e {
			return "", errorf("parameter %q and %s are both set, to different values: set one", name, envName)
		}
		if p != "" {
			return p, nil
		}
		return e, nil
	}
	var o Options
	var err error
	if o.Layer, err = get(ParamLayer); err != nil {
		return Options{}, err
	}
	if o.Layer != "" && !slices.Contains(schema.LayerValues, schema.Layer(o.Layer)) {
		return Options{}, errorf("parameter %q must be one of %s", ParamLayer, layerList())
	}
	if o.Platform, err = get(ParamPlatform); err != nil {
		return Options{}, err
	}
	recurse, err := get(ParamRecurse)
	if err != nil {
		return Options{}, err
	}
	if recurse != "" {
		if o.Recurse, err = strconv.ParseBool(recurse); err != nil {
			return Options{}, errorf("parameter %q must be true or false", ParamRecurse)
		}
	}
	return o, nil
}

func layerList() string {
	s := make([]string, len(schema.LayerValues))
	for i, l := range schema.LayerValues {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// platformPath checks that the platform parameter names a regular file
// inside dir, after symlinks, and returns it joined to dir.
func platformPath(dir, p string) (string, error) {
	if p == "" {
		return "", nil
	}
	full, err := input.ResolveInside(dir, p)
	switch {
	case errors.Is(err, input.ErrNotLocal):
		return "", errorf("parameter %q must be a relative path inside the application directory", ParamPlatform)
	case errors.Is(err, input.ErrNotFound):
		return "", errorf("parameter %q: no such file in the application directory", ParamPlatform)
	case errors.Is(err, input.ErrOutside):
		return "", errorf("parameter %q must stay inside the application directory (symlinks included)", ParamPlatform)
	case errors.Is(err, input.ErrNotRegular):
		return "", errorf("parameter %q must name a regular file", ParamPlatform)
	case errors.Is(err, input.ErrUnreadable):
		return "", errorf("parameter %q names a file that cannot be read", ParamPlatform)
	case err != nil:
		return "", fmt.Errorf("application directory: %w", err)
	}
	return full, nil
}

// Generate renders the app directory dir for the environment environ and
// writes the manifests to stdout. Nothing is written to stdout unless the
// render succeeded and is not empty. It returns the exit code.
func Generate(dir string, environ []string, render Renderer, stdout, stderr io.Writer) int {
	const me = "servelayer cmp generate"
	o, err := ParseOptions(environ)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return ExitUsage
	}
	platform, err := platformPath(dir, o.Platform)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", me, err)
		return ExitUsage
	}
	write, code := render(Request{Dir: dir, Platform: platform, Layer: o.Layer, Recurse: o.Recurse}, stderr)
	if code != ExitOK {
		fmt.Fprintf(stderr, "%s: render failed; no manifests printed\n", me)
		return code
	}
	out := &nonBlank{w: stdout}
	err = write(out)
	if err == nil && !out.printed {
		fmt.Fprintf(stderr, "%s: the render is empty; refusing to print nothing (an empty CMP output prunes the application)\n", me)
		return ExitInvalid
	}
	if err != nil {
		// Validation passed, so only the writer fails here; the exit code
		// tells the cmp-server not to use what was printed.
		fmt.Fprintf(stderr, "%s: writing manifests: %v\n", me, err)
		return ExitInvalid
	}
	return ExitOK
}

// nonBlank passes writes on to w once they hold something other than white
// space; until then it holds them, so a render that is blank prints
// nothing.
type nonBlank struct {
	w       io.Writer
	held    []byte
	printed bool
}

func (n *nonBlank) Write(p []byte) (int, error) {
	if n.printed {
		return n.w.Write(p)
	}
	n.held = append(n.held, p...)
	if len(bytes.TrimSpace(n.held)) == 0 {
		return len(p), nil
	}
	n.printed = true
	held := n.held
	n.held = nil
	if _, err := n.w.Write(held); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Discover prints, one a line, the files of dir that hold a ServedModel:
// the YAML and JSON files render would read (subdirectories only with the
// recurse option). No output tells the cmp-server the plugin does not
// apply. Unparseable options are ignored here; generate reports them. A
// file that does not resolve to a regular file inside dir is neither read
// nor listed (generate refuses it); a FIFO never blocks discovery.
func Discover(dir string, environ []string, stdout, stderr io.Writer) int {
	o, _ := ParseOptions(environ)
	found, err := input.FindServedModels(dir, o.Recurse)
	if err != nil {
		fmt.Fprintf(stderr, "servelayer cmp discover: %v\n", err)
		return ExitInvalid
	}
	for _, f := range found {
		fmt.Fprintln(stdout, f)
	}
	return ExitOK
}
