package plan

import (
	"fmt"

	"github.com/rolekeeper/rolekeeper/state"
)

// externalMembers converges the members of each managed role that the
// spec does not declare as roles: those it names in members are granted;
// others are revoked in authoritative mode, unless the role's members are
// managed elsewhere, and listed as outside the spec in additive mode.
// System roles (superusers, predefined and RDS roles, the connected user,
// which holds ADMIN OPTION on the roles it created) are never touched.
func (d *differ) externalMembers() {
	actual := map[string][]string{} // managed role -> undeclared members
	for _, member := range state.SortedKeys(d.snap.Roles) {
		if _, declared := d.want.Roles[member]; declared || IsSystemRole(member, d.snap) {
			continue
		}
		for role := range d.snap.Roles[member].MemberOf {
			if d.managed[role] {
				actual[role] = append(actual[role], member)
			}
		}
	}
	for _, role := range state.SortedKeys(d.want.Roles) {
		w := d.want.Roles[role]
		if !d.managed[role] {
			continue
		}
		var grant []string
		for _, m := range state.SortedKeys(w.Members) {
			if r := d.snap.Roles[m]; r == nil {
				d.problem("role %q lists member %q, which does not exist and is not declared", role, m)
				continue
			} else if _, ok := r.MemberOf[role]; ok {
				continue
			}
			if IsSystemRole(m, d.snap) {
				d.problem("role %q lists member %q, a superuser, system role or the connected user; rolekeeper never makes those members of a managed role (the admin could lose its own login to rds_iam)", role, m)
				continue
			}
			grant = append(grant, m)
			d.checkCanGrantRole(role, m)
		}
		if len(grant) > 0 {
			dep := deps{needs: rolesExist(append([]string{role}, grant...)...)}
			for _, m := range grant {
				dep.provides = append(dep.provides, memberOf(m, role))
			}
			d.add(Change{Action: "grant", Object: "membership", Name: role,
				Summary: fmt.Sprintf("make %s members of %s", quotedList(grant), ident(role)),
				SQL:     []string{"GRANT " + ident(role) + " TO " + identList(grant, ident)}, rank: rankGrantMembership, order: key(names(role), num(slotMembers)),
				deps: dep})
		}
		for _, m := range actual[role] {
			switch {
			case w.Members[m] || w.MembersElsewhere:
			default:
				d.revokeMember(role, m)
			}
		}
	}
}

// slotMembers places the changes to a role's members after those of the
// role's own memberships.
const slotMembers = 1

// revokeMembership returns the statements that end member's membership in
// role. From PostgreSQL 16 on, REVOKE removes only the named grantor's
// grant, so each grantor is named; a grant the user cannot revoke is a
// problem.
func (d *differ) revokeMembership(role, member string, ms state.Membership) []string {
	if d.snap.Server.Major() < 16 {
		return []string{"REVOKE " + ident(role) + " FROM " + ident(member)}
	}
	var sql []string
	for _, g := range ms.Grantors {
		if g == "" || (!d.super() && !d.snap.Server.Uses[g]) {
			d.problem("the membership of %q in %q was granted by %q, and only that role or a superuser can revoke it (PostgreSQL 16+); revoke it as %q, or list %q in members of %q",
				member, role, g, g, member, role)
			continue
		}
		sql = append(sql, "REVOKE "+ident(role)+" FROM "+ident(member)+" GRANTED BY "+ident(g))
	}
	return sql
}

// revokeMember plans the revocation of an undeclared member; additive mode
// drops it and lists the membership as outside the spec.
func (d *differ) revokeMember(role, m string) {
	d.begin()
	defer d.end()
	d.would(mark{removal: true})
	d.leftOutside("%q is a member of %q and the spec does not say so (additive mode leaves it)", m, role)
	sql := d.revokeMembership(role, m, d.snap.Roles[m].MemberOf[role])
	if len(sql) == 0 {
		return
	}
	d.checkCanGrantRole(role, m)
	d.add(Change{Action: "revoke", Object: "membership", Name: role,
		Summary: fmt.Sprintf("remove %s from %s (a member the spec does not declare)", ident(m), ident(role)),
		SQL:     sql, rank: rankRevokeMembership, order: key(names(role), num(slotMembers), names(m)),
		deps: grantorsDeps(revokeDeps(m, []string{role}), d.snap, m, []string{role})})
}

// grantorsDeps adds to the deps of a revoke of member's memberships in
// roles that, from PostgreSQL 16, each REVOKE ... GRANTED BY a grantor
// needs the grantor's own membership in the role (through which it held
// ADMIN OPTION): PostgreSQL refuses to revoke that one while a grant it
// made stands (dependent privileges exist), so what a grantor granted is
// revoked first.
func grantorsDeps(dep deps, snap *state.Snapshot, member string, roles []string) deps {
	if snap.Server.Major() < 16 {
		return dep
	}
	for _, r := range roles {
		for _, g := range snap.Roles[member].MemberOf[r].Grantors {
			if g != "" && g != member {
				dep.needs = append(dep.needs, memberOf(g, r))
			}
		}
	}
	return dep
}
