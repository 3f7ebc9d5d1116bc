package plan

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// chains plans, in every managed schema, the privileges that owner-made
// REVOKE does not remove: grant options held by managed roles (or PUBLIC),
// revoked by the owner, and privileges they received from another role
// than the owner, revoked as that role. Each revoke runs as its grantor
// (SET ROLE: GRANTED BY needs the grantor to be the current user before
// PostgreSQL 16, and a user holding the privileges of several roles
// with the grant option would act as any of them). A spec never
// gives a grant option. When a revoke would cascade to privileges the
// grantee passed on, CASCADE is used only if every role it passed them to
// is governed by the spec; otherwise the plan has a problem, so that no
// plan repeats the same revoke forever and none reaches outside the spec.
func (d *differ) chains() {
	for _, name := range state.SortedKeys(d.want.Schemas) {
		w, h := d.want.Schemas[name], d.have.Schemas[name]
		if h == nil {
			continue
		}
		for _, kind := range state.ObjectKinds {
			og := h.Objects[kind]
			if og == nil || len(og.Chains) == 0 {
				continue
			}
			for i, c := range og.Chains {
				if !d.governs(c.Grantee, kind, w.Objects[kind]) || c.ByOwner && len(c.GrantOptions) == 0 {
					continue
				}
				d.chain(name, kind, og, c, i)
			}
		}
	}
}

func (d *differ) chain(schema string, kind state.ObjectKind, og *state.ObjectGrants, c *state.Chain, i int) {
	what := fmt.Sprintf("%s on %s", strings.Join(c.Privileges, ", "), chainObjects(schema, kind, c.Objects))
	if c.ByOwner {
		what = fmt.Sprintf("the grant option for %s on %s", strings.Join(c.GrantOptions, ", "), chainObjects(schema, kind, c.Objects))
	}
	d.begin()
	defer d.end()
	d.would(mark{removal: true})
	d.leftOutside("%s holds %s from %q (additive mode leaves it)", grantee(c.Grantee), what, c.Grantor)
	var outside []string
	cascade := false
	for _, dep := range og.Chains {
		if dep.Grantor != c.Grantee || !overlaps(dep.Objects, c.Objects) {
			continue
		}
		cascade = true
		if !d.governs(dep.Grantee, kind, nil) {
			outside = append(outside, dep.Grantee)
		}
	}
	if len(outside) > 0 {
		d.problem("%s holds %s and passed it on to %s, outside the spec: revoking it would cascade to them; revoke it by hand (REVOKE ... CASCADE) or declare them",
			grantee(c.Grantee), what, quotedList(outside))
		return
	}
	k := kindSQL[kind]
	on := k.all + " IN SCHEMA " + ident(schema)
	if kind != state.Functions {
		on = k.one + " " + qualifiedList(schema, c.Objects)
	}
	stmt := fmt.Sprintf("REVOKE %s ON %s FROM %s", strings.Join(c.Privileges, ", "), on, grantee(c.Grantee))
	revoked := c.Privileges
	if c.ByOwner {
		stmt = fmt.Sprintf("REVOKE GRANT OPTION FOR %s ON %s FROM %s", strings.Join(c.GrantOptions, ", "), on, grantee(c.Grantee))
		revoked = c.GrantOptions
	}
	if cascade {
		stmt += " CASCADE"
	}
	if h := d.have.Schemas[schema]; h != nil && c.Grantor != h.Owner && !mayUse(h, c.Grantor) && !d.superRole(c.Grantor) {
		d.problem("%s holds %s, granted by %q, which may no longer use schema %q, so rolekeeper cannot revoke it as %q; revoke it by hand as a superuser",
			grantee(c.Grantee), what, c.Grantor, schema, c.Grantor)
		return
	}
	if !c.ByOwner && d.superRole(c.Grantor) {
		// Granted before it became a superuser: a superuser's REVOKE acts
		// as the objects' owner, so as itself it cannot revoke it.
		d.grantedBySuperuser(fmt.Sprintf("%s holds %s", grantee(c.Grantee), what), c.Grantor)
		return
	}
	// As the grantor itself, owner or not: a user who holds the privileges
	// of several roles with the grant option would act as any of them.
	acts := d.needActAs(c.Grantor, fmt.Sprintf("revoke what it granted on %s in schema %q", kind, schema))
	sql := []string{"SET ROLE " + ident(c.Grantor), stmt, "RESET ROLE"}
	d.add(Change{Action: "revoke", Object: Object(kind), Name: schema + "." + string(kind),
		Summary: fmt.Sprintf("revoke %s from %s, granted by %s (not in the spec)", what, grantee(c.Grantee), ident(c.Grantor)),
		SQL:     sql, rank: rankRevokeObjects, order: key(names(schema, string(kind)), num(slotChains), num(i)),
		deps: deps{needs: append(rolesExist(c.Grantor, c.Grantee), acts, usage(schema, c.Grantor)),
			removes: tableOptionsRevoked(schema, kind, c.Objects, revoked, []string{c.Grantee})}})
}

// chainObjects names the objects of a chain for people.
func chainObjects(schema string, kind state.ObjectKind, objects []string) string {
	if kind == state.Functions || len(objects) == 0 {
		return fmt.Sprintf("%s in %s", kind, ident(schema))
	}
	return objectNames(schema, objects)
}

// overlaps reports whether two sorted name lists share a name; empty
// lists (functions, whose names are not read) overlap everything.
func overlaps(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}

// mayUse reports whether grantor, a role, holds USAGE on schema h, of its
// own or as PUBLIC does. A grantor is never PUBLIC: one named so is a role
// named "PUBLIC", whose privileges are h.RolePUBLIC.
func mayUse(h *state.Schema, grantor string) bool {
	if h.Privileges[state.Public].Has("USAGE") {
		return true
	}
	if grantor == state.Public {
		return h.RolePUBLIC.Has("USAGE")
	}
	return h.Privileges[grantor].Has("USAGE")
}

// grantedBySuperuser has a problem for privileges held (described by
// held) that grantor granted before it became a superuser: a superuser's
// REVOKE acts as the objects' owner, so SET ROLE to it revokes nothing.
func (d *differ) grantedBySuperuser(held, grantor string) {
	d.problem("%s, granted by %q, which has since become a superuser: a superuser's REVOKE acts as the owner, so rolekeeper cannot revoke that as %q; revoke it by hand as %q while it is not a superuser (ALTER ROLE %s NOSUPERUSER; SET ROLE %s; REVOKE ...; RESET ROLE; ALTER ROLE %s SUPERUSER)",
		held, grantor, grantor, grantor, ident(grantor), ident(grantor), ident(grantor))
}

// superRole reports whether a role exists and is a superuser.
func (d *differ) superRole(name string) bool {
	r := d.snap.Roles[name]
	return r != nil && r.Superuser
}
