package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the spec files rolekeeper reads.
const MaxFileSize = 4 << 20

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
		return nil, Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, Errors{{File: name, Msg: "file contains a NUL byte; a spec is UTF-8 text"}}
	}
	// The typed decode rejects unknown fields and keys declared twice,
	// with their lines. The node tree, for the lines of validation errors,
	// is built only when there are errors: large specs parse once.
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: name, Msg: "file is empty; expected a mapping with at least `roles`"}}
		}
		return nil, yamlErrors(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, Errors{{File: name, Line: extra.Line, Msg: "file holds more than one YAML document; put the whole spec in one"}}
	}
	if errs := s.validate(); len(errs) > 0 {
		var root yaml.Node
		yaml.Unmarshal(data, &root)
		for _, e := range errs {
			e.File = name
			e.Line = locate(&root, e.path)
		}
		return nil, errs
	}
	return &s, nil
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

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

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
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			fe.Line, _ = strconv.Atoi(sub[1])
			fe.Msg = friendlyYAML(sub[2])
		}
		out = append(out, fe)
	}
	return out
}

var typeNames = strings.NewReplacer("spec.", "", "*", "", "[]string", "a list of strings", "map[string]", "a mapping of ")

var (
	duplicateKey = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	notMapping   = regexp.MustCompile(`^cannot unmarshal !!\w+( .*)? into spec\.Spec$`)
)

func friendlyYAML(msg string) string {
	if m := duplicateKey.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%q is declared twice (first on line %s); a name may appear once", m[1], m[2])
	}
	if notMapping.MatchString(msg) {
		return "the spec must be a mapping (keys such as database, schemas, roles)"
	}
	if strings.HasPrefix(msg, "field ") && strings.Contains(msg, " not found in type ") {
		field := strings.TrimSuffix(strings.TrimPrefix(msg[:strings.Index(msg, " not found")], "field "), "")
		typ := typeNames.Replace(msg[strings.LastIndex(msg, " ")+1:])
		return fmt.Sprintf("unknown field %q in %s (see `rolekeeper schema` for the fields)", field, strings.ToLower(typ))
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
func (a *Access) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		a.Profile = n.Value
		return nil
	case yaml.MappingNode:
		var p Privileges
		if err := decodeStrict(n, &p); err != nil {
			return err
		}
		a.Inline = &p
		return nil
	}
	return fmt.Errorf("line %d: access must be a profile name or a mapping of privileges", n.Line)
}

// MarshalYAML writes a profile name or the inline privileges.
func (a Access) MarshalYAML() (any, error) {
	if a.Inline != nil {
		return a.Inline, nil
	}
	return a.Profile, nil
}

// UnmarshalYAML accepts a list of extension names or a mapping.
func (e *Extensions) UnmarshalYAML(n *yaml.Node) error {
	out := Extensions{}
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: an extension in a list is a name", c.Line)
			}
			if _, dup := out[c.Value]; dup {
				return fmt.Errorf("line %d: extension %q listed twice", c.Line, c.Value)
			}
			out[c.Value] = &Extension{}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			var x Extension
			if v := n.Content[i+1]; !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "")) {
				if err := decodeStrict(v, &x); err != nil {
					return err
				}
			}
			out[n.Content[i].Value] = &x
		}
	default:
		return fmt.Errorf("line %d: extensions must be a list of names or a mapping", n.Line)
	}
	*e = out
	return nil
}

// UnmarshalYAML accepts a scalar or a list of scalars.
func (s *Setting) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = Setting{n.Value}
		return nil
	case yaml.SequenceNode:
		out := Setting{}
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a setting list holds plain values", c.Line)
			}
			out = append(out, c.Value)
		}
		*s = out
		return nil
	}
	return fmt.Errorf("line %d: a setting is a value or a list of values", n.Line)
}

// MarshalYAML writes a one-element setting as a scalar.
func (s Setting) MarshalYAML() (any, error) {
	if len(s) == 1 {
		return s[0], nil
	}
	return []string(s), nil
}

// decodeStrict decodes a node, rejecting unknown fields (yaml.v3 applies
// KnownFields only at the top-level decoder, so nested custom decoders
// check it again here).
func decodeStrict(n *yaml.Node, v any) error {
	data, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// Lines in the re-encoded fragment are relative: report the node's own.
			return fmt.Errorf("line %d: %s", n.Line, strings.Join(stripLines(te.Errors), "; "))
		}
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	return nil
}

func stripLines(msgs []string) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			m = sub[2]
		}
		out[i] = friendlyYAML(m)
	}
	return out
}
