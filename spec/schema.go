package spec

import _ "embed"

//go:embed schema.json
var schemaJSON []byte

// JSONSchema returns the JSON Schema (draft 2020-12) of the spec file.
func JSONSchema() []byte { return schemaJSON }
