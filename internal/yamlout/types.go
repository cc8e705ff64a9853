package yamlout

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// A dialect is how Go values are read: encoding/json's rules, whose output
// AppendDocument writes (jsonDialect), or yaml.v3's own, which
// AppendMarshal writes (yamlDialect). Each accepts only what it is sure of.
type dialect struct {
	// collect lists a struct type's fields, or says why it cannot.
	collect func(reflect.Type) ([]field, error)
	// maps: whether maps with string keys are supported.
	maps bool
	// refused are the interfaces whose implementations write themselves.
	refused []reflect.Type
	// refusedPkg is a package whose types the dialect writes by rules of
	// its own (yaml.v3: time).
	refusedPkg string

	fieldCache, checked sync.Map // reflect.Type -> []field, error
}

var (
	jsonDialect = &dialect{collect: jsonFields, maps: true, refused: []reflect.Type{
		reflect.TypeFor[interface{ MarshalJSON() ([]byte, error) }](),
		reflect.TypeFor[interface{ MarshalText() ([]byte, error) }](),
	}}
	yamlDialect = &dialect{collect: yamlFields, refusedPkg: "time", refused: []reflect.Type{
		reflect.TypeFor[interface{ MarshalYAML() (any, error) }](),
		reflect.TypeFor[interface{ MarshalText() ([]byte, error) }](),
		reflect.TypeFor[interface{ IsZero() bool }](),
	}}
)

// field is one field of a struct as the dialect writes it.
type field struct {
	name      string
	index     []int
	omitEmpty bool
	// How the name is written, worked out once.
	nameAnalysis analysis
	nameStyle    style
}

// omit reports whether the field of struct v is left out: omitempty and
// empty as encoding/json defines it.
func (f *field) omit(v reflect.Value) bool {
	if !f.omitEmpty {
		return false
	}
	fv := v.FieldByIndex(f.index)
	switch fv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return fv.Len() == 0
	case reflect.Bool:
		return !fv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fv.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fv.Uint() == 0
	case reflect.Interface, reflect.Pointer:
		return fv.IsNil()
	}
	return false
}

// fields returns a checked struct type's fields.
func (d *dialect) fields(t reflect.Type) []field {
	if f, ok := d.fieldCache.Load(t); ok {
		return f.([]field)
	}
	fields, err := d.collect(t)
	if err != nil {
		panic(err) // check ran first
	}
	d.fieldCache.Store(t, fields)
	return fields
}

// check reports whether every type reachable from t is one the dialect
// writes as its reference does.
func (d *dialect) check(t reflect.Type) error {
	if err, ok := d.checked.Load(t); ok {
		if err == nil {
			return nil
		}
		return err.(error)
	}
	err := d.checkType(t, map[reflect.Type]bool{})
	d.checked.Store(t, err)
	return err
}

func (d *dialect) checkType(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if d.refusedPkg != "" && t.PkgPath() == d.refusedPkg {
		return fmt.Errorf("yamlout: %s is written by rules of its own", t)
	}
	// Interfaces, not MethodByName: a method looked up by a name the linker
	// cannot see keeps every exported method of every type in the binary.
	for _, i := range d.refused {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return fmt.Errorf("yamlout: %s implements %s", t, i)
		}
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Pointer:
		return d.checkType(t.Elem(), seen)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return fmt.Errorf("yamlout: %s: byte slices are not supported", t)
		}
		return d.checkType(t.Elem(), seen)
	case reflect.Map:
		if !d.maps || t.Key().Kind() != reflect.String {
			return fmt.Errorf("yamlout: %s: not supported", t)
		}
		if err := d.checkType(t.Key(), seen); err != nil {
			return err
		}
		return d.checkType(t.Elem(), seen)
	case reflect.Struct:
		fields, err := d.collect(t)
		if err != nil {
			return err
		}
		for _, f := range fields {
			if err := d.checkType(t.FieldByIndex(f.index).Type, seen); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("yamlout: %s (%s) is not supported", t, t.Kind())
}

// jsonFields lists the fields encoding/json writes, in its order: an
// embedded struct without a json name has its fields inlined where it is.
// A name written twice is an error here (encoding/json would resolve it by
// depth): the manifests have none, and no rule is guessed.
func jsonFields(t reflect.Type) ([]field, error) {
	out, err := jsonFieldsAt(t, nil)
	if err != nil {
		return nil, err
	}
	return out, uniqueNames(t, out)
}

func jsonFieldsAt(t reflect.Type, index []int) ([]field, error) {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		idx := append(slices.Clone(index), i)
		if sf.Anonymous && name == "" {
			if sf.Type.Kind() != reflect.Struct {
				return nil, fmt.Errorf("yamlout: %s: embedded %s is not a struct", t, sf.Type)
			}
			inner, err := jsonFieldsAt(sf.Type, idx)
			if err != nil {
				return nil, err
			}
			out = append(out, inner...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		name = validUTF8(name)
		f := field{name: name, index: idx, nameAnalysis: analyze(name), nameStyle: stringStyle(name)}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "":
			default:
				return nil, fmt.Errorf("yamlout: %s.%s: json option %q is not supported", t, sf.Name, o)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// yamlFields lists the fields yaml.v3 writes, requiring of each exported
// field a yaml tag with a name and no options.
func yamlFields(t reflect.Type) ([]field, error) {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Tag.Get("yaml")
		if name == "" || name == "-" || strings.Contains(name, ",") {
			return nil, fmt.Errorf("yamlout: %s.%s: a yaml tag with a name and no options is required", t, sf.Name)
		}
		out = append(out, field{name: name, index: []int{i}, nameAnalysis: analyze(name), nameStyle: goStringStyle(name)})
	}
	return out, uniqueNames(t, out)
}

func uniqueNames(t reflect.Type, fields []field) error {
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.name] {
			return fmt.Errorf("yamlout: %s: field name %q appears twice", t, f.name)
		}
		seen[f.name] = true
	}
	return nil
}
