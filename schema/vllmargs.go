package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// VLLMVersion is the vLLM release whose command line servelayer reads
// engine arguments with: the one of the default image.
const VLLMVersion = "0.11.0"

// vllmFlags is the option table of `vllm serve` in VLLMVersion, generated
// from vLLM's own parser (`make vllm-flags`; hack/vllm-oracle).
//
//go:embed vllmflags.txt
var vllmFlags string

// VLLMOption is one option string of `vllm serve`.
// +kubebuilder:object:generate=false
type VLLMOption struct {
	// Name is the option string, such as --served-model-name or -tp.
	Name string
	// Dest is argparse's destination, shared by an option's spellings
	// (--enforce-eager and --no-enforce-eager set enforce_eager).
	Dest string
	// Nargs is argparse's number of values: "0", "1", "?" or "+".
	Nargs string
}

var (
	vllmOptions     = map[string]VLLMOption{}
	vllmOptionNames []string // sorted
	vllmPositional  VLLMOption
)

func init() {
	for _, l := range strings.Split(vllmFlags, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 {
			panic("schema/vllmflags.txt: bad line " + l)
		}
		o := VLLMOption{Name: f[0], Dest: f[1], Nargs: f[2]}
		if o.Name == "positional" {
			vllmPositional = o
			continue
		}
		vllmOptions[o.Name] = o
		vllmOptionNames = append(vllmOptionNames, o.Name)
	}
	slices.Sort(vllmOptionNames)
}

// VLLMOptions returns the option table of `vllm serve` in VLLMVersion.
func VLLMOptions() []VLLMOption {
	out := make([]VLLMOption, 0, len(vllmOptionNames))
	for _, n := range vllmOptionNames {
		out = append(out, vllmOptions[n])
	}
	return out
}

// VLLMArg is what vLLM reads from one argument (or a flag and its values).
// +kubebuilder:object:generate=false
type VLLMArg struct {
	// Index is the position in the arguments of the token that names it.
	Index int
	// Token is that argument as written.
	Token string
	// Option is the option string it resolves to ("" for a positional).
	Option string
	// Dest is the option's destination; model_tag for the positional model.
	Dest string
	// Values are the values the flag takes.
	Values []string
	// Abbreviated: the flag is a prefix of Option (argparse's allow_abbrev).
	// Respelled: it is Option only after vLLM turned '_' into '-'.
	// Dotted: it was set through vLLM's --flag.key=value JSON syntax.
	Abbreviated, Respelled, Dotted bool
}

// VLLMArgProblem is a token vLLM refuses or reads in a way that cannot be
// meant.
// +kubebuilder:object:generate=false
type VLLMArgProblem struct {
	Index   int
	Token   string
	Message string
	// Warning: vLLM VLLMVersion refuses it, but another version may not
	// (an option it does not know), or it works but is fragile.
	Warning bool
}

// vllmToken is one argument after FlexibleArgumentParser's rewriting.
type vllmToken struct {
	text   string
	origin int // index in the user's arguments
	// respelled: '_' turned into '-'; dotted: built from --flag.key=value.
	respelled, dotted bool
}

// negativeNumberRE is argparse's _negative_number_matcher.
var negativeNumberRE = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// ParseVLLMArgs reads args the way `vllm serve` (VLLMVersion) does, when
// they follow the arguments servelayer sets (which end with a complete
// `--port N`): vLLM's FlexibleArgumentParser rewrites them ('_' to '-' in
// flag names, -O3, --flag.key=value JSON), then Python's argparse resolves
// unambiguous abbreviations, `--flag=value` and `--flag value`, takes as
// many values as each flag's nargs, and gives the first bare argument to
// the positional model. Problems are the tokens vLLM would refuse (and,
// as warnings, flags it does not know).
func ParseVLLMArgs(args []string) ([]VLLMArg, []VLLMArgProblem) {
	var probs []VLLMArgProblem
	problem := func(t vllmToken, warning bool, format string, a ...any) {
		probs = append(probs, VLLMArgProblem{Index: t.origin, Token: args[t.origin], Message: fmt.Sprintf(format, a...), Warning: warning})
	}

	// FlexibleArgumentParser.parse_args, first loop: respell and -O.
	var toks []vllmToken
	for i, a := range args {
		t := vllmToken{text: a, origin: i}
		switch {
		case strings.HasPrefix(a, "--help="):
			t.text = "--help"
		case strings.HasPrefix(a, "--"):
			key, value, hasValue := strings.Cut(a, "=")
			name, rest, hasDot := strings.Cut(key[2:], ".")
			respelled := strings.ReplaceAll(name, "_", "-")
			t.respelled = respelled != name
			key = "--" + respelled
			if hasDot {
				key += "." + rest
			}
			if hasValue {
				key += "=" + value
			}
			t.text = key
		case strings.HasPrefix(a, "-O") && a != "-O" && a[2] != '.':
			level := a[2:]
			if a[2] == '=' {
				level = a[3:]
			}
			t.text = "-O.level=" + level
		case a == "-O" && i+1 < len(args) && slices.Contains([]string{"0", "1", "2", "3"}, args[i+1]):
			t.text = "-O.level"
		}
		toks = append(toks, t)
	}

	// Second loop: --flag.key=value and --flag.key value become one
	// --flag JSON argument each, appended at the end.
	var kept []vllmToken
	type dictArg struct {
		key    string
		origin vllmToken
		value  map[string]any
	}
	var dicts []*dictArg
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !strings.HasPrefix(t.text, "-") || !strings.Contains(t.text, ".") {
			kept = append(kept, t)
			continue
		}
		key, value, hasValue := strings.Cut(t.text, "=")
		if hasValue && !strings.Contains(key, ".") {
			kept = append(kept, t) // the '.' was only in the value
			continue
		}
		if !hasValue {
			if i+1 >= len(toks) {
				problem(t, false, "vLLM reads a dotted flag's value from the next argument and there is none (vLLM fails at startup); write %s=VALUE", key)
				continue
			}
			i++
			value = args[toks[i].origin]
		}
		key = strings.TrimSuffix(key, "+")
		parts := strings.Split(key, ".")
		var d *dictArg
		for _, x := range dicts {
			if x.key == parts[0] {
				d = x
			}
		}
		if d == nil {
			d = &dictArg{key: parts[0], origin: t, value: map[string]any{}}
			dicts = append(dicts, d)
		}
		m := d.value
		for _, k := range parts[1 : len(parts)-1] {
			next, ok := m[k].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = value
	}
	for _, d := range dicts {
		j, _ := json.Marshal(d.value)
		o := d.origin
		kept = append(kept, vllmToken{text: d.key, origin: o.origin, respelled: o.respelled, dotted: true},
			vllmToken{text: string(j), origin: o.origin, dotted: true})
	}

	// argparse's _parse_known_args on the serve subparser.
	cls := make([]vllmClass, len(kept))
	pattern := make([]byte, len(kept))
	endOfOptions := false
	for i, t := range kept {
		switch {
		case endOfOptions:
			pattern[i] = 'A'
		case t.text == "--":
			pattern[i] = '-'
			endOfOptions = true
			problem(t, false, "ends vLLM's options: every argument after it becomes a positional model name; remove it")
		default:
			c := classifyVLLMArg(t.text)
			if len(c.ambiguous) > 1 {
				problem(t, false, "is ambiguous among vLLM %s's flags (%s), so vLLM refuses to start; write the full flag name", VLLMVersion, strings.Join(c.ambiguous, ", "))
			}
			cls[i] = c
			pattern[i] = 'A'
			if c.isOpt {
				pattern[i] = 'O'
			}
		}
	}

	var out []VLLMArg
	positionalFree := true
	for i := 0; i < len(kept); {
		t := kept[i]
		c := cls[i]
		if pattern[i] != 'O' {
			if pattern[i] == 'A' {
				if positionalFree {
					positionalFree = false
					out = append(out, VLLMArg{Index: t.origin, Token: args[t.origin], Dest: vllmPositional.Dest, Values: []string{t.text}})
				} else {
					problem(t, false, "is an argument vLLM does not recognize (vLLM fails at startup)")
				}
			}
			i++
			continue
		}
		if c.opt == nil { // unknown or ambiguous: assume it takes one value, if one follows
			if c.ambiguous == nil {
				name, _, _ := strings.Cut(c.name, "=")
				problem(t, true, "%s is not a flag of vLLM %s, which refuses to start with it; it works only with an image of a vLLM version that has it", name, VLLMVersion)
			}
			i++
			if c.explicit == nil && i < len(kept) && pattern[i] == 'A' {
				i++
			}
			continue
		}
		a := VLLMArg{Index: t.origin, Token: args[t.origin], Option: c.opt.Name, Dest: c.opt.Dest,
			Abbreviated: c.name != c.opt.Name, Respelled: t.respelled, Dotted: t.dotted}
		i++
		if c.explicit != nil {
			if c.opt.Nargs == "0" {
				problem(t, false, "sets a value on %s, which takes none, so vLLM refuses to start; write %s alone (or its --no- form)", c.opt.Name, c.opt.Name)
			}
			a.Values = []string{*c.explicit}
		} else {
			n := 0
			for i+n < len(kept) && pattern[i+n] == 'A' {
				n++
			}
			switch c.opt.Nargs {
			case "0":
				n = 0
			case "1":
				if n == 0 {
					problem(t, false, "needs a value and none follows it, so vLLM refuses to start")
				}
				n = min(n, 1)
			case "?":
				n = min(n, 1)
			case "+":
				if n == 0 {
					problem(t, false, "needs at least one value and none follows it, so vLLM refuses to start")
				}
			}
			for _, v := range kept[i : i+n] {
				a.Values = append(a.Values, v.text)
			}
			i += n
		}
		out = append(out, a)
	}
	return out, probs
}

// vllmClass is how argparse classifies one argument.
type vllmClass struct {
	isOpt bool        // a flag (known or not), not a value
	opt   *VLLMOption // the flag it resolves to; nil if none or ambiguous
	name  string      // the flag as written, without any =value
	// explicit is the value attached with '=' (or to a short flag).
	explicit *string
	// ambiguous are the candidates of an ambiguous abbreviation.
	ambiguous []string
}

// classifyVLLMArg is argparse's _parse_optional for one argument.
func classifyVLLMArg(s string) (c vllmClass) {
	if s == "" || s[0] != '-' {
		return c
	}
	c.isOpt, c.name = true, s
	if o, ok := vllmOptions[s]; ok {
		c.opt = &o
		return c
	}
	if len(s) == 1 {
		c.isOpt = false
		return c
	}
	if k, v, ok := strings.Cut(s, "="); ok {
		if o, found := vllmOptions[k]; found {
			c.opt, c.name, c.explicit = &o, k, &v
			return c
		}
	}
	// _get_option_tuples: prefixes of long flags; for a single dash, a
	// short flag with its value attached, or a prefix.
	type tuple struct {
		o        VLLMOption
		explicit *string
	}
	var tuples []tuple
	if s[1] == '-' {
		prefix, v, hasValue := strings.Cut(s, "=")
		for _, n := range vllmOptionNames {
			if strings.HasPrefix(n, prefix) {
				t := tuple{o: vllmOptions[n]}
				if hasValue {
					t.explicit = &v
				}
				tuples = append(tuples, t)
			}
		}
	} else {
		short, rest := s[:2], s[2:]
		for _, n := range vllmOptionNames {
			if n == short {
				tuples = append(tuples, tuple{o: vllmOptions[n], explicit: &rest})
			} else if strings.HasPrefix(n, s) {
				tuples = append(tuples, tuple{o: vllmOptions[n]})
			}
		}
	}
	switch {
	case len(tuples) > 1:
		for _, t := range tuples {
			c.ambiguous = append(c.ambiguous, t.o.Name)
		}
		return c
	case len(tuples) == 1:
		o := tuples[0].o
		c.opt, c.explicit = &o, tuples[0].explicit
		if k, _, ok := strings.Cut(s, "="); ok && s[1] == '-' {
			c.name = k
		} else if s[1] != '-' && o.Name == s[:2] {
			c.name = s[:2]
		}
		return c
	}
	if negativeNumberRE.MatchString(s) || strings.Contains(s, " ") {
		c.isOpt = false
	}
	return c
}

// LastVLLMValue is the value vLLM ends up with for dest (the last
// occurrence wins, as in argparse), and whether args set it.
func LastVLLMValue(args []string, dest string) (string, bool) {
	parsed, _ := ParseVLLMArgs(args)
	v, ok := "", false
	for _, a := range parsed {
		if a.Dest == dest && len(a.Values) > 0 {
			v, ok = a.Values[len(a.Values)-1], true
		}
	}
	return v, ok
}

// vllmInt reads an integer flag as vLLM does; absent or unparsable means 1.
func vllmInt(args []string, dest string) int32 {
	if v, ok := LastVLLMValue(args, dest); ok {
		if x, err := strconv.ParseInt(v, 10, 32); err == nil && x > 0 {
			return int32(x)
		}
	}
	return 1
}
