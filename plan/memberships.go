package plan

import (
	"fmt"
	"slices"
	"strings"
)

// membershipLoops reports, before anything runs, a membership the plan
// grants that would close a loop PostgreSQL refuses ("role r is a member
// of role m"): in the memberships left once the plan has run, the role
// granted already reaches the member. Memberships the plan revokes are
// gone first (revokes run before grants); those it keeps are memberships
// of roles the spec does not manage, or, in additive mode, any.
func (d *differ) membershipLoops() {
	edges := map[string][]string{} // member -> roles, after the plan
	for member, r := range d.snap.Roles {
		if d.dropped[member] {
			continue
		}
		for role := range r.MemberOf {
			if !d.dropped[role] && !slices.Contains(d.revokedFrom[member], role) {
				edges[member] = append(edges[member], role)
			}
		}
	}
	for member, roles := range d.grantedTo {
		edges[member] = append(edges[member], roles...)
	}
	for _, member := range sortedMembers(d.grantedTo) {
		for _, role := range d.grantedTo[member] {
			path := membershipPath(edges, role, member)
			if path == nil {
				continue
			}
			var kept []string
			for i := 0; i+1 < len(path); i++ {
				kept = append(kept, fmt.Sprintf("%q in %q", path[i], path[i+1]))
			}
			how := "remove it from the spec, or revoke the membership that closes the loop"
			if d.opts.Additive {
				how = "additive mode never revokes: revoke the old membership by hand (REVOKE ... FROM ...) or apply this spec in authoritative mode"
			}
			verb := "remains"
			if len(kept) > 1 {
				verb = "remain"
			}
			d.problem("making %q a member of %q would close a membership loop, because %s %s after this plan; %s",
				member, role, strings.Join(kept, ", "), verb, how)
		}
	}
}

// membershipPath returns a chain of memberships from member up to role
// (member, ..., role), or nil when member does not reach role.
func membershipPath(edges map[string][]string, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n == to {
			var path []string
			for x := to; x != ""; x = prev[x] {
				path = append([]string{x}, path...)
			}
			return path
		}
		next := slices.Clone(edges[n])
		slices.Sort(next)
		for _, m := range next {
			if _, seen := prev[m]; !seen {
				prev[m] = n
				queue = append(queue, m)
			}
		}
	}
	return nil
}

func sortedMembers(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
