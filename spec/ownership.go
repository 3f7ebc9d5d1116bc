package spec

import (
	"fmt"

	"github.com/rolekeeper/rolekeeper/state"
)

// desiredOwnership sets who may own objects in each schema with an owner:
// the owner, default_privileges_for and object_owners.
func (s *Spec) desiredOwnership(db *state.Database) {
	for _, name := range state.SortedKeys(s.Schemas) {
		sc := s.Schemas[name]
		if sc == nil || sc.Owner == "" {
			continue
		}
		ws := db.Schemas[name]
		ws.AllowedOwners = append(append([]string{sc.Owner}, sc.DefaultPrivilegesFor...), sc.ObjectOwners...)
		ws.ReassignObjects = sc.ReassignObjects
	}
}

// ownership checks object_owners and reassign_objects.
func (v *validator) ownership() {
	for _, name := range state.SortedKeys(v.s.Schemas) {
		sc := v.s.Schemas[name]
		if sc == nil {
			continue
		}
		path := p("schemas", name)
		for i, o := range sc.ObjectOwners {
			v.identifier(append(append([]string{}, path...), "object_owners", fmt.Sprint(i)), o)
		}
		if sc.Owner == "" && (sc.ReassignObjects || len(sc.ObjectOwners) > 0) {
			v.add(path, "object_owners and reassign_objects need the schema's owner")
		}
	}
}
