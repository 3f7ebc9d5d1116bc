package spec

import (
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// desiredPublicAccess expands public.access: PUBLIC's privileges on the
// tables, sequences and functions of a schema, existing and future.
func (s *Spec) desiredPublicAccess(db *state.Database) {
	if s.Public == nil {
		return
	}
	for _, schema := range state.SortedKeys(s.Public.Access) {
		a, sc := s.Public.Access[schema], db.Schemas[schema]
		if a == nil || sc == nil {
			continue
		}
		privs := s.accessPrivileges(a)
		if privs == nil {
			continue
		}
		for _, kind := range state.ObjectKinds {
			list := normalizeList(privs.kind(kind), state.KindPrivileges[kind])
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
		a := v.s.Public.Access[schema]
		switch {
		case a == nil:
			v.add(path, "give a profile name or a mapping of privileges (tables, sequences, functions)")
		case a.Inline != nil:
			if len(a.Inline.Schema) > 0 {
				v.add(append(path, "schema"), "PUBLIC's privileges on the schema itself are not managed here; list tables, sequences or functions")
			}
			v.privileges(path, a.Inline)
		default:
			if _, ok := v.s.profile(a.Profile); !ok {
				v.add(path, "unknown profile %q; known profiles: %s", a.Profile, strings.Join(v.s.profileNames(), ", "))
			}
		}
	}
}
