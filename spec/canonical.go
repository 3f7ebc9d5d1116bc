package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Canonical returns the spec in one canonical YAML form: keys sorted,
// defaults left out, whatever the file's format or layout was. The same
// spec written as YAML or as JSON gives the same bytes, so saved plans
// hash it. Parse reads it back to an equal spec.
func (s *Spec) Canonical() ([]byte, error) {
	b, err := yaml.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode the spec: %w", err)
	}
	return b, nil
}
