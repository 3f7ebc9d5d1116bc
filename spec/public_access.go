package spec

import (
	"github.com/rolekeeper/rolekeeper/state"
)

// desiredPublicAccess expands public.access: PUBLIC's privileges on the
// tables, sequences and functions of a schema, existing and future.
func (s *Spec) desiredPublicAccess(db *state.Database) {
	if s.Public == nil {
		return
	}
	for _, schema := range state.SortedKeys(s.Public.Access) {
		sc := db.Schemas[schema]
		if sc == nil {
			continue
		}
		for kind, list := range s.kindLists(s.Public.Access[schema]) {
			sc.Objects[kind].Full.Add(state.Public, list...)
			for _, creator := range s.creators(schema) {
				sc.DefaultGrants(creator, kind).Add(state.Public, list...)
			}
		}
	}
}

// publicAccess checks public.access.
func (v *validator) publicAccess() {
	if v.s.Public == nil {
		return
	}
	for _, schema := range state.SortedKeys(v.s.Public.Access) {
		path := p("public", "access", schema)
		if _, ok := v.s.Schemas[schema]; !ok {
			v.add(path, "schema %q is not declared under schemas; declare it so rolekeeper manages it", schema)
		}
		v.objectAccess(path, v.s.Public.Access[schema], "PUBLIC's privileges on the schema itself are not managed here")
	}
}
