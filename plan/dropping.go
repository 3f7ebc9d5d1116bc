package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// dropDependencies takes what DROP OWNED needs to remove every privilege
// of a role the plan drops: DROP OWNED revokes each privilege as the best
// grantor the connected user can act for, so a non-superuser must hold the
// privileges of the owner of every object (and every creator of default
// privileges) naming the role, for the length of the transaction. What no
// rolekeeper run in this database can remove is a problem, before anything
// runs.
//
// It returns what the drop depends on: the rights it needs.
func (d *differ) dropDependencies(role string) (needs deps) {
	dep := d.snap.Dropping[role]
	if dep == nil {
		return needs
	}
	for _, owner := range dep.Grantors {
		if owner == role {
			continue // its own objects are reassigned or dropped
		}
		acts := d.needActAs(owner, fmt.Sprintf("revoke the privileges of %q on objects %q owns before dropping it", role, owner))
		if w := d.want.Roles[owner]; w != nil && w.Absent {
			// An owner the plan drops too: while it exists the user acts
			// as it, and once it is gone its objects and what it granted
			// on them are its receiver's, whose rights the user holds as
			// well. Either drop may run first (each may hold privileges
			// on the other's objects).
			needs.after = append(needs.after, acts)
			needs.needs = append(needs.needs, actingAs(d.ownerAfterDrops(owner)))
			continue
		}
		needs.needs = append(needs.needs, acts)
		// What the plan gives from this owner to another (a schema, or
		// the objects in it) the other owns if that change runs first,
		// and what the role holds there is then granted by it: the drop
		// needs to act as it too, in either order.
		for _, name := range state.SortedKeys(d.want.Schemas) {
			ws, h := d.want.Schemas[name], d.have.Schemas[name]
			if h == nil || ws.Owner == "" || ws.Owner == owner {
				continue
			}
			if h.Owner == owner || ws.ReassignObjects && ownsObjectsIn(h, owner) {
				needs.needs = append(needs.needs, actingAs(ws.Owner))
			}
		}
	}
	if len(dep.UnknownClasses) > 0 && !d.super() {
		d.problem("role %q holds privileges recorded in %s, whose owners rolekeeper does not read, so DROP OWNED may be unable to revoke them; revoke them as their owner, then apply again",
			role, strings.Join(dep.UnknownClasses, ", "))
	}
	var others []string
	for _, db := range dep.OtherDatabases {
		if !slices.Contains(d.opts.Databases, db) {
			others = append(others, db)
		}
	}
	if len(others) > 0 {
		d.problem("role %q owns objects or holds privileges in database(s) %s, which REASSIGN OWNED and DROP OWNED in %q cannot reach, so DROP ROLE would fail; in each of those databases run REASSIGN OWNED BY %s TO <new owner>; DROP OWNED BY %s; then apply again",
			role, quotedList(others), d.want.Name, ident(role), ident(role))
	}
	return needs
}

// ownsObjectsIn reports whether role owns objects in schema h.
func ownsObjectsIn(h *state.Schema, role string) bool {
	for _, og := range h.Objects {
		if og != nil && og.OwnedBy[role] > 0 {
			return true
		}
	}
	return false
}

// ownerAfterDrops returns who owns what owner owns once the plan has run:
// a role the plan drops hands its objects to its reassign_owned_to (the
// connected user by default), which may be dropped in turn.
func (d *differ) ownerAfterDrops(owner string) string {
	for seen := 0; d.dropped[owner] && seen < len(d.dropped); seen++ {
		w := d.want.Roles[owner]
		if w == nil || w.ReassignTo == "" {
			return d.snap.Server.User
		}
		owner = w.ReassignTo
	}
	return owner
}

// reassignRights returns the statements around REASSIGN OWNED that let it
// move a dropped role's objects to target. PostgreSQL checks, for each
// object it moves, that the new owner has CREATE on the object's schema,
// and it moves a schema after the objects in it. So: schemas the role owns
// that the spec does not give to another owner move first, explicitly; in
// other schemas where target lacks CREATE, target holds it only around
// REASSIGN OWNED (granted and revoked as the schema's owner). The
// connected user as target has it through the schema owner's privileges.
//
// rights holds what those statements depend on: the schema owners to act
// as (each owning its schema by then), and the schemas the role must no
// longer own, which the spec gives to another owner.
func (d *differ) reassignRights(role, target string) (before, after []string, rights deps) {
	dep := d.snap.Dropping[role]
	if dep == nil {
		return nil, nil, rights
	}
	moved := map[string]bool{}
	for _, s := range dep.Schemas {
		if ws := d.want.Schemas[s]; ws != nil && ws.Owner != "" && ws.Owner != role {
			// the schema's own change gives it to its new owner first
			rights.excludes = append(rights.excludes, schemaOwnedBy(s, role))
			continue
		}
		moved[s] = true
		before = append(before, "ALTER SCHEMA "+ident(s)+" OWNER TO "+ident(target))
	}
	for _, in := range dep.ObjectsIn {
		if moved[in.Schema] {
			continue
		}
		owner := d.ownerAfterDrops(in.Owner)
		if ws := d.want.Schemas[in.Schema]; ws != nil && ws.Owner != "" {
			owner = ws.Owner
		}
		if owner != in.Owner {
			// the schema's owner now, which the plan drops: it may still
			// own it when this drop runs (whose rights the user holds
			// for that drop)
			rights.after = append(rights.after, actingAs(in.Owner))
		}
		// as the owner after the plan, once it owns the schema (a declared
		// owner's ALTER SCHEMA runs first)
		rights.needs = append(rights.needs, schemaOwnedBy(in.Schema, owner))
		if owner == target {
			continue
		}
		if d.createAtDrop(target, in) {
			// after the grant of CREATE the plan may make
			rights.needs = append(rights.needs, createOn(in.Schema, target))
			continue
		}
		rights.needs = append(rights.needs,
			d.needActAs(owner, fmt.Sprintf("give %q CREATE on schema %q while it receives the objects of %q", target, in.Schema, role)))

		if target == d.snap.Server.User {
			continue // the schema owner's privileges are enough
		}
		before = append(before, "GRANT CREATE ON SCHEMA "+ident(in.Schema)+" TO "+ident(target))
		after = append(after, "REVOKE CREATE ON SCHEMA "+ident(in.Schema)+" FROM "+ident(target))
	}
	return before, after, rights
}

// createAtDrop reports whether target is granted CREATE on a schema,
// directly, when the plan drops roles: what the spec gives a managed role
// on a declared schema (a direct grant the plan revokes is gone by then),
// else what the catalog says now. CREATE through a membership or the
// ownership of the schema is not counted, since the plan may change
// either first: then target gets CREATE around REASSIGN OWNED, which is
// harmless when it has it anyway.
func (d *differ) createAtDrop(target string, in state.ObjectsIn) bool {
	ws := d.want.Schemas[in.Schema]
	if ws != nil && d.managed[target] {
		if ws.Privileges[target].Has("CREATE") {
			return true
		}
		if d.opts.keeps(mark{removal: true}) {
			return false // the filter keeps the revoke: gone before the drop if granted now
		}
	}
	return in.TargetCanCreate
}
