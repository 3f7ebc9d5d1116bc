package plan

import (
	"fmt"

	"github.com/rolekeeper/rolekeeper/state"
)

// ownership reports objects in a managed schema owned by a role the spec
// does not allow there (an owner has every privilege on its objects, so
// it is a way privileges reach a schema), and with reassign_objects gives
// tables, views and sequences to the schema's owner. ALTER TABLE serves
// every relation kind; tables go first, so that a sequence a table owns
// has followed it when its own turn comes. Routines are only reported:
// their signatures are not read.
func (d *differ) ownership() {
	for _, name := range state.SortedKeys(d.want.Schemas) {
		w, h := d.want.Schemas[name], d.have.Schemas[name]
		if h == nil || len(w.AllowedOwners) == 0 {
			continue
		}
		allowed := map[string]bool{}
		for _, o := range w.AllowedOwners {
			allowed[o] = true
		}
		for ki, kind := range state.ObjectKinds {
			og := h.Objects[kind]
			if og == nil {
				continue
			}
			for _, owner := range state.SortedKeys(og.OwnedBy) {
				if allowed[owner] {
					continue
				}
				n := og.OwnedBy[owner]
				hint := "set reassign_objects: true on the schema to give them to its owner, or list the role in object_owners"
				if kind == state.Functions {
					hint = "ALTER ROUTINE ... OWNER TO by hand, or list the role in object_owners"
				}
				// Reported when the plan does not reassign them: additive
				// mode drops the reassignment (a removal of ownership).
				d.begin()
				d.leftOutside("%s in schema %s owned by %s, not by the schema's owner %s (%s)",
					pluralize(n, singular(kind), string(kind)), ident(name), ident(owner), ident(w.Owner), hint)
				if !w.ReassignObjects || kind == state.Functions {
					d.end()
					continue
				}
				var sql []string
				for _, obj := range og.Names {
					if og.NameOwners[obj] == owner {
						sql = append(sql, "ALTER TABLE "+qualified(name, obj)+" OWNER TO "+ident(w.Owner))
					}
				}
				// The new owner needs CREATE on the schema: it has it as
				// the schema's owner, once the schema is its.
				dep := deps{needs: append(rolesExist(owner, w.Owner),
					d.needActAs(owner, fmt.Sprintf("give its %s in schema %q to %q", kind, name, w.Owner)),
					d.needActAs(w.Owner, fmt.Sprintf("receive %s in schema %q", kind, name)),
					schemaOwnedBy(name, w.Owner))}
				d.add(Change{Action: "alter", Object: Object(kind), Name: name + "." + string(kind),
					Summary: fmt.Sprintf("give %s in %s owned by %s to the schema's owner %s", pluralize(n, singular(kind), string(kind)), ident(name), ident(owner), ident(w.Owner)),
					SQL:     sql, rank: rankCreateSchema, order: key(names(name), num(ki), names(owner)), mark: mark{removal: true},
					deps: dep})
				d.end()
			}
		}
	}
}

func singular(kind state.ObjectKind) string { return string(kind)[:len(kind)-1] }
