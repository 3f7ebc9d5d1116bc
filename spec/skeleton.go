package spec

import "github.com/rolekeeper/rolekeeper/state"

// Skeleton is Desired without the privileges: the roles (their clones
// too), the schemas with their owners, the extensions, the public policy
// and the settings, but no access, grants, database privileges or default
// privileges. It holds everything an inspection's scope and the checks of
// secrets read (apply.Scope, apply.RefuseAdminSecret), and costs a small
// part of Desired, which at a thousand roles with access to twenty schemas
// is mostly the privileges' maps: a caller reads the catalog with the
// skeleton's scope while the whole is built.
func (s *Spec) Skeleton(database string) *state.Database {
	bare := *s
	bare.DefaultPrivileges = nil
	bare.Roles = make(map[string]*Role, len(s.Roles))
	for name, r := range s.Roles {
		if r != nil {
			c := *r
			c.Access, c.AccessOwnedBy, c.Grants, c.DatabasePrivileges = nil, nil, nil, nil
			r = &c
		}
		bare.Roles[name] = r
	}
	return bare.Desired(database)
}
