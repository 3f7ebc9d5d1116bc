package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the spec files rolekeeper reads: 10 MiB, about
// 280,000 one-line roles. Parsing time grows linearly with the size (about
// 0.5 s for 60,000 roles in 2 MB on one core; BenchmarkParse), so the bound
// is also a bound on time.
const MaxFileSize = 10 << 20

// Load reads and validates the spec file at path.
func Load(path string) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a spec. name is used in error messages. YAML
// and JSON are accepted. The error, when not nil, is an Errors value listing
// every problem with its line.
func Parse(name string, data []byte) (*Spec, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes (10 MiB), the limit for a spec; describe each database in a file of its own, or shorten roles' access with profiles and schema lists", MaxFileSize)}}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, Errors{{File: name, Msg: "file contains a NUL byte; a spec is UTF-8 text"}}
	}
	// The document is parsed once into a node tree, then decoded strictly
	// (unknown fields and keys declared twice are errors) in one pass whose
	// time grows with the size of the file; see decoder.
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: name, Msg: "file is empty; expected a mapping with at least `roles`"}}
		}
		return nil, yamlErrors(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, Errors{{File: name, Line: extra.Line, Msg: "file holds more than one YAML document; put the whole spec in one"}}
	}
	var s Spec
	if errs := decodeInto(&root, &s, len(data)); len(errs) > 0 {
		return nil, yamlErrors(name, &yaml.TypeError{Errors: errs})
	}
	if s.Databases == nil && nullField(&root, "databases") {
		// `databases:` with every database commented out is an empty
		// databases, which validate refuses, not a one-database spec.
		s.Databases = map[string]*DatabaseSpec{}
	}
	if errs := s.validate(); len(errs) > 0 {
		for _, e := range errs {
			e.File = name
			e.Line = locate(&root, e.path)
		}
		return nil, errs
	}
	return &s, nil
}

// nullField reports whether the document's top-level mapping has key
// with nothing written after it (not an explicit null, which a generated
// JSON spec may hold for "none").
func nullField(root *yaml.Node, key string) bool {
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return false
	}
	kv := root.Content[0].Content
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i].Value == key {
			return kv[i+1].Kind == yaml.ScalarNode && kv[i+1].ShortTag() == "!!null" && kv[i+1].Value == ""
		}
	}
	return false
}

// FieldError is one problem in a spec file.
type FieldError struct {
	File  string
	Line  int
	Field string
	Msg   string
	path  []string
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors lists the problems found in a spec file.
type Errors []*FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// The regular expressions below read the YAML library's errors: compiled
// when a spec fails to parse, not at every start-up.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })

// yamlErrors turns the YAML library's errors into FieldErrors with lines.
func yamlErrors(name string, err error) Errors {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out Errors
	for _, m := range msgs {
		fe := &FieldError{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sub := yamlLine().FindStringSubmatch(m); sub != nil {
			fe.Line, _ = strconv.Atoi(sub[1])
			fe.Msg = friendlyYAML(sub[2])
		}
		out = append(out, fe)
	}
	return out
}

var typeNames = strings.NewReplacer("spec.", "", "*", "", "[]string", "a list of strings", "map[string]", "a mapping of ")

// fieldHomes names, for an unknown field, where in the file it sits when
// the Go type's name would not say it.
var fieldHomes = map[string]string{
	"DatabaseSpec": "a database (databases.<name>)",
	"DatabaseRole": "a role's entry in a database (databases.<name>.roles.<role>)",
}

var (
	duplicateKey = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	})
	notMapping = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^cannot unmarshal !!\w+( .*)? into spec\.Spec$`) })
)

func friendlyYAML(msg string) string {
	if m := duplicateKey().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%q is declared twice (first on line %s); a name may appear once", m[1], m[2])
	}
	if notMapping().MatchString(msg) {
		return "the spec must be a mapping (keys such as database, schemas, roles)"
	}
	if strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type ") {
		field := strings.TrimSuffix(strings.TrimPrefix(msg[:strings.Index(msg, " not found")], "field "), "")
		typ := typeNames.Replace(msg[strings.LastIndex(msg, " ")+1:])
		home, ok := fieldHomes[typ]
		if !ok {
			home = strings.ToLower(typ)
		}
		return fmt.Sprintf("unknown field %q in %s%s (see `rolekeeper schema` for the fields)", field, home, DidYouMean(field, fieldNames(msg[strings.LastIndex(msg, " ")+1:])))
	}
	return typeNames.Replace(msg)
}

// locate returns the line of the node at path (mapping keys, or sequence
// indexes in decimal), or of the deepest node found on the way.
func locate(n *yaml.Node, path []string) int {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					line = n.Content[i].Line
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return line
			}
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		default:
			return line
		}
	}
	return line
}

// UnmarshalYAML accepts a profile name or an inline privilege set.
func (a *Access) UnmarshalYAML(n *yaml.Node) error { return unmarshalStrict(n, a) }

func (a *Access) decodeNode(d *decoder, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		a.Profile = n.Value
	case yaml.MappingNode:
		var p Privileges
		d.structure(n, reflect.ValueOf(&p).Elem())
		a.Inline = &p
	default:
		d.errorf(n, "access must be a profile name or a mapping of privileges")
	}
}

// MarshalYAML writes a profile name or the inline privileges.
func (a Access) MarshalYAML() (any, error) {
	if a.Inline != nil {
		return a.Inline, nil
	}
	return a.Profile, nil
}

// UnmarshalYAML accepts a list of extension names or a mapping.
func (e *Extensions) UnmarshalYAML(n *yaml.Node) error { return unmarshalStrict(n, e) }

func (e *Extensions) decodeNode(d *decoder, n *yaml.Node) {
	out := Extensions{}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				d.errorf(c, "an extension in a list is a name")
				continue
			}
			if _, dup := out[c.Value]; dup {
				d.errorf(c, "extension %q listed twice", c.Value)
				continue
			}
			out[c.Value] = &Extension{}
		}
	case yaml.MappingNode:
		kv := d.pairs(n)
		for i := 0; i+1 < len(kv); i += 2 {
			var x Extension
			if v := kv[i+1]; !(v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!null" || v.Value == "")) {
				d.decode(v, reflect.ValueOf(&x).Elem())
			}
			out[kv[i].Value] = &x
		}
	default:
		d.errorf(n, "extensions must be a list of names or a mapping")
	}
	*e = out
}

// UnmarshalYAML accepts a scalar or a list of scalars.
func (s *Setting) UnmarshalYAML(n *yaml.Node) error { return unmarshalStrict(n, s) }

func (s *Setting) decodeNode(d *decoder, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = Setting{n.Value}
	case yaml.SequenceNode:
		out := Setting{}
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				d.errorf(c, "a setting list holds plain values")
				continue
			}
			out = append(out, c.Value)
		}
		*s = out
	default:
		d.errorf(n, "a setting is a value or a list of values")
	}
}

// MarshalYAML writes a one-element setting as a scalar.
func (s Setting) MarshalYAML() (any, error) {
	if len(s) == 1 {
		return s[0], nil
	}
	return []string(s), nil
}

// unmarshalStrict decodes a node with the spec's strict decoder, for
// callers that use yaml.v3's Unmarshaler interface.
func unmarshalStrict(n *yaml.Node, v any) error {
	if errs := decodeInto(n, v, MaxFileSize); len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}
