package spec

import (
	"bytes"

	"go.yaml.in/yaml/v3"
)

// flowWidth is the longest entry Marshal writes on one line, key included.
const flowWidth = 76

// Marshal writes a spec as YAML for people to read: two-space indentation,
// and each schema, role, profile or extension whose entry fits on one line
// written on one ("u0001: {login: true, access_owned_by: {owner: readonly}}").
func Marshal(s *Spec) ([]byte, error) {
	var root yaml.Node
	if err := root.Encode(s); err != nil {
		return nil, err
	}
	top := &root
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	flowEntries(top)
	if top.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == "databases" && top.Content[i+1].Kind == yaml.MappingNode {
				dbs := top.Content[i+1]
				for j := 1; j < len(dbs.Content); j += 2 {
					flowEntries(dbs.Content[j])
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// flowEntries writes on one line each entry of the schemas, roles,
// profiles and extensions of mapping n that fits on one.
func flowEntries(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "schemas", "roles", "profiles", "extensions":
			m := n.Content[i+1]
			for j := 0; j+1 < len(m.Content); j += 2 {
				if v := m.Content[j+1]; v.Kind != yaml.ScalarNode && width(m.Content[j])+2+width(v) <= flowWidth {
					v.Style = yaml.FlowStyle
				}
			}
		}
	}
}

// width is the length of a node written in flow style (quotes aside).
func width(n *yaml.Node) int {
	switch n.Kind {
	case yaml.ScalarNode:
		return len(n.Value)
	case yaml.MappingNode, yaml.SequenceNode:
		w := 2
		for i, c := range n.Content {
			w += width(c)
			if i > 0 {
				w += 2 // ": " or ", "
			}
		}
		return w
	}
	return flowWidth + 1
}
