package spec

import (
	"fmt"

	"github.com/rolekeeper/rolekeeper/state"
)

// desiredMembers expands members and members_managed_elsewhere. A member
// the spec declares joins through its own member_of, so that both sides
// say the same; the others are kept on the role.
func (s *Spec) desiredMembers(db *state.Database) {
	for _, name := range state.SortedKeys(s.Roles) {
		r := s.Roles[name]
		if r == nil || r.State == "absent" {
			continue
		}
		out := db.Roles[name]
		out.MembersElsewhere = r.MembersManagedElsewhere
		for _, m := range r.Members {
			if mr := db.Roles[m]; mr != nil {
				if !mr.Absent {
					mr.MemberOf[name] = state.Membership{}
				}
				continue
			}
			if out.Members == nil {
				out.Members = map[string]bool{}
			}
			out.Members[m] = true
		}
	}
}

// members checks each role's members list.
func (v *validator) members() {
	for _, name := range state.SortedKeys(v.s.Roles) {
		r := v.s.Roles[name]
		if r == nil {
			continue
		}
		if r.State == "absent" && (len(r.Members) > 0 || r.MembersManagedElsewhere) {
			v.add(p("roles", name), "a role with state absent takes only reassign_owned_to; remove its other fields")
			continue
		}
		seen := map[string]bool{}
		for i, m := range r.Members {
			path := p("roles", name, "members", fmt.Sprint(i))
			if !v.roleName(path, m) {
				continue
			}
			switch {
			case m == name:
				v.add(path, "a role cannot be a member of itself")
			case seen[m]:
				v.add(path, "%q is listed twice", m)
			}
			seen[m] = true
			if t, ok := v.s.Roles[m]; ok && t != nil && t.State == "absent" {
				v.add(path, "role %q is declared absent", m)
			}
		}
	}
}
