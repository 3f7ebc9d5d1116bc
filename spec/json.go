package spec

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// MarshalJSON writes the spec as the same document its YAML form is (a
// profile name as a string, a one-value setting as a scalar, empty fields
// left out), so that `inspect --format json` and the Lambda's inspect
// response parse back into the spec they describe.
func (s *Spec) MarshalJSON() ([]byte, error) {
	doc, err := s.document()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// document is the spec as plain maps, lists and scalars, through its
// YAML encoding: the one place the file's shape is defined.
func (s *Spec) document() (any, error) {
	type plain Spec // without this method, so yaml does not recurse here
	raw, err := yaml.Marshal((*plain)(s))
	if err != nil {
		return nil, fmt.Errorf("encode the spec: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("encode the spec: %w", err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}
