package spec

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// desiredGlobalDefaults expands default_privileges: creator -> grantee ->
// a profile or privilege lists, the table, sequence and function parts of
// which become ALTER DEFAULT PRIVILEGES FOR ROLE creator (no IN SCHEMA).
// A profile's schema privileges do not apply.
func (s *Spec) desiredGlobalDefaults(db *state.Database) {
	for _, creator := range state.SortedKeys(s.DefaultPrivileges) {
		for _, grantee := range state.SortedKeys(s.DefaultPrivileges[creator]) {
			a := s.DefaultPrivileges[creator][grantee]
			for kind, list := range s.kindLists(a) {
				db.GlobalDefaultGrants(creator, kind).Add(grantee, list...)
			}
			if a != nil {
				if privs := s.accessPrivileges(a); privs != nil && namesMaintain(privs.Tables) {
					db.MaintainNamed = append(db.MaintainNamed, accessPath(a, "default_privileges."+creator+"."+grantee))
				}
			}
		}
	}
}

// globalDefaults checks default_privileges: every grantee is a declared,
// present role (only managed roles' default privileges are compared), and
// each privilege set is a known profile or valid lists without schema
// privileges.
func (v *validator) globalDefaults() {
	for _, creator := range state.SortedKeys(v.s.DefaultPrivileges) {
		path := p("default_privileges", creator)
		v.identifier(path, creator)
		grantees := v.s.DefaultPrivileges[creator]
		if len(grantees) == 0 {
			v.add(path, "give the roles that get privileges on what %q creates: {role: profile or privilege lists}", creator)
		}
		for _, grantee := range state.SortedKeys(grantees) {
			gp := append(append([]string{}, path...), grantee)
			if !v.identifier(gp, grantee) {
				continue
			}
			if grantee == creator {
				v.add(gp, "a role always has every privilege on what it creates; remove this entry")
			}
			if r, ok := v.s.Roles[grantee]; !ok {
				v.add(gp, "role %q is not declared under roles%s; only managed roles' default privileges are converged", grantee, DidYouMean(grantee, v.s.roleNames()))
			} else if r != nil && r.State == "absent" {
				v.add(gp, "role %q is declared absent", grantee)
			}
			v.objectAccess(gp, grantees[grantee], "schema privileges belong under roles."+grantee+".access")
		}
	}
}

// globalDefaultsFromState writes database-wide default privileges back as
// default_privileges, for the roles an inspected spec declares. What the
// spec cannot say (grants to PUBLIC or to undeclared roles, default
// privileges on types and schemas) is returned as notes.
func globalDefaultsFromState(db *state.Database, skip func(string) bool) (map[string]map[string]*Access, []string) {
	var out map[string]map[string]*Access
	var notes []string
	for _, creator := range state.SortedKeys(db.GlobalDefaults) {
		byKind := db.GlobalDefaults[creator]
		perGrantee := map[string]*Privileges{}
		for _, kind := range state.GlobalDefaultKinds {
			for _, grantee := range state.SortedKeys(byKind[kind]) {
				privs := byKind[kind][grantee].Minus(0, state.GlobalDefaultPrivileges[kind])
				declared := grantee != state.Public && !skip(grantee) && db.Roles[grantee] != nil
				expressible := kind == state.Tables || kind == state.Sequences || kind == state.Functions
				if !declared || !expressible {
					notes = append(notes, fmt.Sprintf("default privileges: %s on %s that %s creates in any schema are granted to %s; the spec does not manage them",
						strings.Join(privs, ", "), kind, creator, grantee))
					continue
				}
				pr := perGrantee[grantee]
				if pr == nil {
					pr = &Privileges{}
					perGrantee[grantee] = pr
				}
				list := privs
				switch kind {
				case state.Tables:
					pr.Tables = list
				case state.Sequences:
					pr.Sequences = list
				case state.Functions:
					pr.Functions = list
				}
			}
		}
		for _, grantee := range state.SortedKeys(perGrantee) {
			pr := perGrantee[grantee]
			if len(pr.Tables)+len(pr.Sequences)+len(pr.Functions) == 0 {
				continue
			}
			if out == nil {
				out = map[string]map[string]*Access{}
			}
			if out[creator] == nil {
				out[creator] = map[string]*Access{}
			}
			out[creator][grantee] = &Access{Inline: pr}
		}
	}
	return out, notes
}

// kindLists returns the table, sequence and function privileges of a
// profile or inline set, normalized, leaving out empty lists and the
// schema part.
func (s *Spec) kindLists(a *Access) map[state.ObjectKind][]string {
	out := map[state.ObjectKind][]string{}
	if a == nil {
		return out
	}
	privs := s.accessPrivileges(a)
	if privs == nil {
		return out
	}
	for _, kind := range state.ObjectKinds {
		if list := normalizeList(privs.kind(kind), state.KindPrivileges[kind]); len(list) > 0 {
			out[kind] = list
		}
	}
	return out
}

// objectAccess checks a profile name or inline set that applies to
// tables, sequences and functions only; noSchema says where schema
// privileges belong instead.
func (v *validator) objectAccess(path []string, a *Access, noSchema string) {
	switch {
	case a == nil:
		v.add(path, "give a profile name or a mapping of privileges (tables, sequences, functions)")
	case a.Inline != nil:
		if len(a.Inline.Schema) > 0 {
			v.add(append(append([]string{}, path...), "schema"), "these privileges apply to tables, sequences and functions; %s", noSchema)
		}
		v.privileges(path, a.Inline)
	default:
		if _, ok := v.s.profile(a.Profile); !ok {
			v.add(path, "unknown profile %q; known profiles: %s", a.Profile, strings.Join(v.s.profileNames(), ", "))
		}
	}
}
