package plan

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// roles plans role creation, attributes, settings, memberships and removal.
func (d *differ) roles() {
	user := d.snap.Server.User
	for _, name := range state.SortedKeys(d.want.Roles) {
		w, h := d.want.Roles[name], d.snap.Roles[name]
		if name == user {
			d.problem("the spec declares %q, the user rolekeeper connects as; manage that user outside the spec, so that a run can never lock itself out", name)
			continue
		}
		if w.Absent {
			if h != nil {
				d.dropRole(w, h)
			}
			continue
		}
		if h == nil {
			d.createRole(w)
		} else {
			d.alterRole(w, h)
		}
		d.password(w, h)
		d.roleSettings(w, h)
		d.allDatabaseSettings(w, h)
		d.memberships(w, h)
	}
}

// PasswordPlaceholder stands for a password in plan output; apply
// replaces the statement with one that carries the SCRAM verifier.
const PasswordPlaceholder = "'<SCRAM-SHA-256 verifier of the password in the secret>'"

// password sets the password of an auth: password role when rolekeeper
// creates it, or when it moves from IAM to a password. An existing
// password is never changed by apply: `rotate` does that.
func (d *differ) password(w, h *state.Role) {
	if w.Auth != state.AuthPassword {
		return
	}
	if h != nil {
		if _, wasIAM := h.MemberOf[state.IAMRole]; !wasIAM {
			return
		}
	}
	d.add(Change{Action: "set", Object: "password", Name: w.Name,
		Summary: fmt.Sprintf("set the password of %s from secret %q (a strong one is generated and stored there if the secret does not exist)", ident(w.Name), w.PasswordSecret),
		SQL:     []string{"ALTER ROLE " + ident(w.Name) + " PASSWORD " + PasswordPlaceholder},
		Secret:  w.PasswordSecret,
		rank:    rankRoleSettings, order: key(names(w.Name), num(slotPassword)),
		deps: deps{needs: rolesExist(w.Name)}})
}

// roleOptions lists the CREATE/ALTER ROLE options that take a role from
// have (nil: a new role with PostgreSQL's defaults) to want, and whether
// those of them that need a superuser.
func roleOptions(want, have *state.Role) (opts, needSuper []string) {
	if have == nil {
		have = &state.Role{Inherit: true, ConnectionLimit: -1}
	}
	flag := func(w, h bool, yes, no string, super bool) {
		if w == h {
			return
		}
		if w {
			opts = append(opts, yes)
		} else {
			opts = append(opts, no)
		}
		if super {
			needSuper = append(needSuper, opts[len(opts)-1])
		}
	}
	flag(want.Login, have.Login, "LOGIN", "NOLOGIN", false)
	flag(want.Superuser, have.Superuser, "SUPERUSER", "NOSUPERUSER", true)
	flag(want.CreateDB, have.CreateDB, "CREATEDB", "NOCREATEDB", false)
	flag(want.CreateRole, have.CreateRole, "CREATEROLE", "NOCREATEROLE", false)
	flag(want.Inherit, have.Inherit, "INHERIT", "NOINHERIT", false)
	flag(want.Replication, have.Replication, "REPLICATION", "NOREPLICATION", true)
	flag(want.BypassRLS, have.BypassRLS, "BYPASSRLS", "NOBYPASSRLS", true)
	if want.ConnectionLimit != have.ConnectionLimit {
		opts = append(opts, fmt.Sprintf("CONNECTION LIMIT %d", want.ConnectionLimit))
	}
	if want.ValidUntil != have.ValidUntil {
		v := want.ValidUntil
		if v == "" {
			v = "infinity"
		}
		opts = append(opts, "VALID UNTIL "+literal(v))
	}
	return opts, needSuper
}

func (d *differ) createRole(w *state.Role) {
	d.created[w.Name] = true
	opts, needSuper := roleOptions(w, nil)
	if len(needSuper) > 0 && !d.super() {
		d.problem("role %q: %s needs a superuser, and %q is not one", w.Name, strings.Join(needSuper, " "), d.snap.Server.User)
	}
	if !d.super() && !d.snap.Server.CreateRole {
		d.problem("cannot create role %q: %q has neither CREATEROLE nor SUPERUSER", w.Name, d.snap.Server.User)
	}
	sql := "CREATE ROLE " + ident(w.Name)
	if len(opts) > 0 {
		sql += " WITH " + strings.Join(opts, " ")
	}
	desc := "create role " + ident(w.Name)
	if w.Login {
		desc += fmt.Sprintf(" (login, auth %s)", w.Auth)
	}
	d.add(Change{Action: "create", Object: "role", Name: w.Name, Summary: desc, SQL: []string{sql}, rank: rankCreateRole, order: nameKey(w.Name),
		deps: deps{provides: []resource{roleExists(w.Name)}}})
}

func (d *differ) alterRole(w, h *state.Role) {
	opts, needSuper := roleOptions(w, h)
	if len(opts) == 0 {
		return
	}
	d.checkCanAlter(w.Name, h)
	if len(needSuper) > 0 && !d.super() {
		d.problem("role %q: %s needs a superuser, and %q is not one", w.Name, strings.Join(needSuper, " "), d.snap.Server.User)
	}
	d.add(Change{Action: "alter", Object: "role", Name: w.Name,
		Summary: fmt.Sprintf("alter role %s: %s", ident(w.Name), strings.Join(opts, ", ")),
		SQL:     []string{"ALTER ROLE " + ident(w.Name) + " WITH " + strings.Join(opts, " ")}, rank: rankAlterRole, order: nameKey(w.Name),
		deps: deps{needs: rolesExist(w.Name)}})
}

// checkCanAlter records a problem when the user may not change an existing role.
func (d *differ) checkCanAlter(name string, h *state.Role) {
	srv := &d.snap.Server
	switch {
	case srv.Superuser:
	case h.Superuser:
		d.problem("role %q is a superuser; only a superuser can change it", name)
	case !srv.CreateRole:
		d.problem("cannot change role %q: %q has neither CREATEROLE nor SUPERUSER", name, srv.User)
	case srv.Major() >= 16 && !srv.AdminOf[name]:
		d.problem("cannot change role %q: on PostgreSQL 16+ %q needs ADMIN OPTION on it (it was created by another user); as its creator or a superuser run: GRANT %s TO %s WITH ADMIN OPTION",
			name, srv.User, ident(name), ident(srv.User))
	}
}

func (d *differ) roleSettings(w, h *state.Role) {
	var have map[string][]string
	if h != nil {
		have = h.Settings
	}
	db := ident(d.want.Name)
	prefix := fmt.Sprintf("ALTER ROLE %s IN DATABASE %s ", ident(w.Name), db)
	d.begin()
	if d.settingChanges(w.Name, w.Settings, have, "in database "+db, prefix, slotInDatabase) && h != nil {
		d.checkCanAlter(w.Name, h)
	}
	d.end()
}

func (d *differ) memberships(w, h *state.Role) {
	have := map[string]state.Membership{}
	if h != nil {
		have = h.MemberOf
	}
	var grant []string
	for _, m := range state.SortedKeys(w.MemberOf) {
		if _, ok := have[m]; !ok {
			grant = append(grant, m)
			d.checkCanGrantRole(m, w.Name)
		}
	}
	var revoke, leave []string
	for _, m := range state.SortedKeys(have) {
		if _, ok := w.MemberOf[m]; ok {
			continue
		}
		if leavesIAM(w, m) {
			leave = append(leave, m)
		} else {
			revoke = append(revoke, m)
		}
	}
	if len(grant) > 0 {
		dep := deps{needs: rolesExist(append([]string{w.Name}, grant...)...)}
		for _, m := range grant {
			dep.provides = append(dep.provides, memberOf(w.Name, m))
		}
		d.add(Change{Action: "grant", Object: "membership", Name: w.Name,
			Summary: fmt.Sprintf("make %s a member of %s", ident(w.Name), quotedList(grant)),
			SQL:     []string{"GRANT " + identList(grant, ident) + " TO " + ident(w.Name)}, rank: rankGrantMembership, order: nameKey(w.Name),
			deps: dep})
	}
	// Leaving rds_iam is its own change: additive mode keeps it (explicit)
	// and drops the others.
	d.revokeMemberships(w.Name, have, revoke, false, nameKey(w.Name))
	d.revokeMemberships(w.Name, have, leave, true, key(names(w.Name), num(1)))
}

// revokeMemberships plans the revocation of member's memberships in roles
// (the catalog's, have), with the problems that go with it.
func (d *differ) revokeMemberships(member string, have map[string]state.Membership, roles []string, explicit bool, order orderKey) {
	if len(roles) == 0 {
		return
	}
	d.begin()
	defer d.end()
	d.would(mark{removal: true, explicit: explicit})
	for _, m := range roles {
		d.checkCanGrantRole(m, member)
	}
	var sql []string
	if d.snap.Server.Major() < 16 {
		sql = []string{"REVOKE " + identList(roles, ident) + " FROM " + ident(member)}
	} else {
		// From 16 on, REVOKE removes only the named grantor's grant: name each.
		for _, m := range roles {
			for _, g := range have[m].Grantors {
				if g == "" || (!d.super() && !d.snap.Server.Uses[g]) {
					d.problem("the membership of %q in %q was granted by %q, and only that role or a superuser can revoke it (PostgreSQL 16+); revoke it as %q, or add %q to member_of",
						member, m, g, g, m)
					continue
				}
				sql = append(sql, "REVOKE "+ident(m)+" FROM "+ident(member)+" GRANTED BY "+ident(g))
			}
		}
	}
	if len(sql) == 0 {
		return
	}
	d.add(Change{Action: "revoke", Object: "membership", Name: member,
		Summary: fmt.Sprintf("remove %s from %s (not in the spec)", ident(member), quotedList(roles)),
		SQL:     sql, rank: rankRevokeMembership, order: order, mark: mark{explicit: explicit},
		deps: grantorsDeps(revokeDeps(member, roles), d.snap, member, roles)})
}

// leavesIAM reports whether the membership in role must go even in additive
// mode: a role the spec moves to auth: password leaves rds_iam, since on RDS
// a member of rds_iam cannot log in with a password.
func leavesIAM(w *state.Role, role string) bool {
	return role == state.IAMRole && w.Auth == state.AuthPassword
}

// checkCanGrantRole records a problem when the user may not grant or
// revoke membership in role.
func (d *differ) checkCanGrantRole(role, member string) {
	srv := &d.snap.Server
	r := d.snap.Roles[role]
	if r == nil && !d.created[role] {
		if role == state.IAMRole {
			d.problem("role %q uses auth: iam, but this server has no rds_iam role: IAM database authentication exists only on Amazon RDS and Aurora (the sandbox provides the role)", member)
		} else {
			d.problem("role %q is a member of %q, which does not exist and is not declared in the spec", member, role)
		}
		return
	}
	switch {
	case srv.Superuser:
	case r != nil && r.Superuser:
		d.problem("cannot change membership of %q in %q: %q is a superuser", member, role, role)
	case srv.AdminOf[role] || d.created[role]:
	case srv.Major() < 16 && srv.CreateRole:
	default:
		d.problem("cannot grant or revoke membership in %q: %q has no ADMIN OPTION on it; as its creator or a superuser run: GRANT %s TO %s WITH ADMIN OPTION",
			role, srv.User, ident(role), ident(srv.User))
	}
}

func (d *differ) dropRole(w, h *state.Role) {
	target := w.ReassignTo
	if target == "" {
		target = d.snap.Server.User
	}
	d.dropped[w.Name] = true
	d.checkCanAlter(w.Name, h)
	if !d.exists(target) {
		d.problem("role %q: reassign_owned_to %q does not exist and is not declared", w.Name, target)
	}
	// The drop needs its receiver, the rights of every role it acts as
	// (itself, the receiver, the owners its privileges were granted by),
	// and the schemas the spec gives to another owner moved away first; it
	// removes the role, its memberships and the right to act as it (not
	// when the role is only cleared here, to be dropped in another
	// database's plan).
	dep := deps{
		needs: append(rolesExist(target),
			d.needActAs(w.Name, fmt.Sprintf("reassign the objects of %q", w.Name)),
			d.needActAs(target, fmt.Sprintf("receive the objects of %q", w.Name))),
	}
	owners := d.dropDependencies(w.Name)
	dep.needs = append(dep.needs, owners.needs...)
	dep.after = owners.after
	if !d.opts.KeepAbsentRoles {
		dep.removes = []resource{roleExists(w.Name), actingAs(w.Name)}
		for _, role := range state.SortedKeys(h.MemberOf) {
			dep.removes = append(dep.removes, memberOf(w.Name, role))
		}
		for _, member := range state.SortedKeys(d.snap.Roles) {
			if _, ok := d.snap.Roles[member].MemberOf[w.Name]; ok {
				dep.removes = append(dep.removes, memberOf(member, w.Name))
			}
		}
	}
	before, after, rights := d.reassignRights(w.Name, target)
	dep.needs = append(dep.needs, rights.needs...)
	dep.excludes = rights.excludes
	dep.after = append(dep.after, rights.after...)
	sql := append(before, "REASSIGN OWNED BY "+ident(w.Name)+" TO "+ident(target))
	sql = append(sql, after...)
	summary := fmt.Sprintf("drop role %s (its objects in this database go to %s, its privileges are dropped)", ident(w.Name), ident(target))
	sql = append(sql, "DROP OWNED BY "+ident(w.Name))
	if d.opts.KeepAbsentRoles {
		summary = fmt.Sprintf("clear role %s in this database before it is dropped (its objects here go to %s, its privileges here are dropped)", ident(w.Name), ident(target))
	} else {
		sql = append(sql, "DROP ROLE "+ident(w.Name))
	}
	d.add(Change{Action: "drop", Object: "role", Name: w.Name,
		Summary: summary,
		SQL:     sql,
		rank:    rankDropRole, order: nameKey(w.Name), mark: mark{explicit: true}, // state: absent
		deps: dep})
}

// revokeDeps is what revoking member's memberships in roles depends on:
// the roles, and it removes the memberships.
func revokeDeps(member string, roles []string) deps {
	dep := deps{needs: rolesExist(append([]string{member}, roles...)...)}
	for _, r := range roles {
		dep.removes = append(dep.removes, memberOf(member, r))
	}
	return dep
}

// union returns the sorted keys present in either map.
func union[V1, V2 any](a map[string]V1, b map[string]V2) []string {
	seen := make(map[string]bool, max(len(a), len(b)))
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return state.SortedKeys(seen)
}
