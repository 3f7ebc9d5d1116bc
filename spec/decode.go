package spec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// decoder turns a parsed YAML node tree into the spec's Go types, strictly:
// unknown fields and keys declared twice are errors, with their lines. It
// replaces yaml.v3's own decoding, whose duplicate-key check compares every
// key of a mapping with every other (a spec of 40,000 roles took 14 s to
// decode); here each mapping is checked once through a hash map, so the
// time grows with the size of the file. Error messages keep yaml.v3's
// wording ("line N: ..."), which yamlErrors turns into FieldErrors.
type decoder struct {
	errs []string
	// budget bounds the nodes visited, so aliases cannot expand a small
	// file into a huge one ("billion laughs").
	budget int
	// active holds the aliases being expanded, to refuse an anchor that
	// contains itself.
	active map[*yaml.Node]bool
}

// nodeDecoder is implemented by the spec types that accept more than one
// YAML shape (a profile name or a mapping, a list or a mapping).
type nodeDecoder interface {
	decodeNode(d *decoder, n *yaml.Node)
}

var errAliasBudget = errors.New("document contains excessive aliasing")

func newDecoder(size int) *decoder {
	return &decoder{budget: 2*size + 1000, active: map[*yaml.Node]bool{}}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf("line %d: ", n.Line)+fmt.Sprintf(format, args...))
}

// typeError reports a node of the wrong kind, worded as yaml.v3 does.
func (d *decoder) typeError(n *yaml.Node, t reflect.Type) {
	value := ""
	if n.Kind == yaml.ScalarNode {
		value = n.Value
		if len(value) > 10 {
			value = value[:7] + "..."
		}
		value = " `" + value + "`"
	}
	d.errorf(n, "cannot unmarshal %s%s into %s", n.ShortTag(), value, t)
}

// resolve follows an alias to the node it names.
func (d *decoder) resolve(n *yaml.Node) (*yaml.Node, bool) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n, "unknown anchor '%s' referenced", n.Value)
			return nil, false
		}
		return n.Alias, true
	}
	return n, true
}

// decode stores node n into v, which must be settable. It panics with
// errAliasBudget when the budget runs out (recovered in decodeSpec).
func (d *decoder) decode(n *yaml.Node, v reflect.Value) {
	d.budget--
	if d.budget < 0 {
		panic(errAliasBudget)
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 1 {
			d.decode(n.Content[0], v)
		}
		return
	}
	if n.Kind == yaml.AliasNode {
		if d.active[n] || n.Alias == nil {
			d.errorf(n, "anchor '%s' value contains itself", n.Value)
			return
		}
		d.active[n] = true
		d.decode(n.Alias, v)
		delete(d.active, n)
		return
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		switch v.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
			v.Set(reflect.Zero(v.Type()))
			return
		}
	}
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeNode(d, n)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem())
	case reflect.Struct:
		d.structure(n, v)
	case reflect.Map:
		d.mapping(n, v)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, v.Type())
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			v.SetString(n.Value)
			return
		}
		d.scalar(n, v)
	default:
		d.scalar(n, v)
	}
}

// scalar decodes a leaf value with yaml.v3's own rules (booleans, numbers).
func (d *decoder) scalar(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, v.Type())
		return
	}
	if isInteger(v.Kind()) && !integerLiteral(n) {
		d.errorf(n, "must be a whole number written in decimal, not %q", n.Value)
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			d.errs = append(d.errs, te.Errors...)
		} else {
			d.errorf(n, "%v", err)
		}
	}
}

// pairs returns the key and value nodes of a mapping, with merge keys
// (<<: *anchor) expanded: keys written in the mapping win over merged ones,
// and earlier merged mappings over later ones. Keys written twice are
// reported.
func (d *decoder) pairs(n *yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, 0, len(n.Content))
	seen := make(map[string]int, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, "mapping key %q already defined at line %d", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, k, n.Content[i+1])
	}
	var merge func(m *yaml.Node)
	merge = func(m *yaml.Node) {
		d.budget -= len(m.Content) + 1
		if d.budget < 0 {
			panic(errAliasBudget)
		}
		if m.Kind == yaml.AliasNode {
			if d.active[m] {
				d.errorf(m, "anchor '%s' value contains itself", m.Value)
				return
			}
			d.active[m] = true
			defer delete(d.active, m)
		}
		r, ok := d.resolve(m)
		if !ok {
			return
		}
		switch r.Kind {
		case yaml.MappingNode:
			for _, kv := range chunk(d.pairs(r)) {
				if _, done := seen[kv[0].Value]; !done {
					seen[kv[0].Value] = kv[0].Line
					out = append(out, kv[0], kv[1])
				}
			}
		case yaml.SequenceNode:
			if m.Kind == yaml.AliasNode {
				d.errorf(m, "map merge requires map or sequence of maps as the value")
				return
			}
			for _, c := range r.Content {
				if x, ok := d.resolve(c); ok && x.Kind != yaml.MappingNode {
					d.errorf(c, "map merge requires map or sequence of maps as the value")
					continue
				}
				merge(c)
			}
		default:
			d.errorf(m, "map merge requires map or sequence of maps as the value")
		}
	}
	for _, m := range merges {
		merge(m)
	}
	return out
}

func chunk(kv []*yaml.Node) [][2]*yaml.Node {
	out := make([][2]*yaml.Node, len(kv)/2)
	for i := range out {
		out[i] = [2]*yaml.Node{kv[2*i], kv[2*i+1]}
	}
	return out
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, v.Type())
		return
	}
	fields := fieldsOf(v.Type())
	kv := d.pairs(n)
	for i := 0; i < len(kv); i += 2 {
		k := kv[i]
		f, ok := fields[k.Value]
		if !ok || k.Kind != yaml.ScalarNode {
			d.errorf(k, "field %s not found in type %s", k.Value, v.Type())
			continue
		}
		d.decode(kv[i+1], v.Field(f))
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.typeError(n, v.Type())
		return
	}
	kv := d.pairs(n)
	m := reflect.MakeMapWithSize(v.Type(), len(kv)/2)
	et := v.Type().Elem()
	for i := 0; i < len(kv); i += 2 {
		k := kv[i]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "a key must be a name, not a %s", strings.TrimPrefix(k.ShortTag(), "!!"))
			continue
		}
		e := reflect.New(et).Elem()
		d.decode(kv[i+1], e)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
	}
	v.Set(m)
}

var structFields sync.Map // reflect.Type -> map[string]int

// fieldsOf maps a struct's YAML keys to its field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	if f, ok := structFields.Load(t); ok {
		return f.(map[string]int)
	}
	f := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !t.Field(i).IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(t.Field(i).Name)
		}
		f[name] = i
	}
	structFields.Store(t, f)
	return f
}

// decodeInto decodes n into v (a pointer) and returns the errors.
func decodeInto(n *yaml.Node, v any, size int) (errs []string) {
	d := newDecoder(size)
	defer func() {
		if r := recover(); r != nil {
			if r != errAliasBudget {
				panic(r)
			}
			errs = append(d.errs, fmt.Sprintf("line %d: %v", n.Line, errAliasBudget))
		}
	}()
	d.decode(n, reflect.ValueOf(v).Elem())
	return d.errs
}
