package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
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

// loopBreakers makes each membership the plan grants wait for the removal
// of every membership on a way back from the role granted to the member:
// PostgreSQL refuses a grant that closes a loop ("role r is a member of
// role m"), so the revokes (and drops) that break the loop run first.
// The ways are looked for among every membership that exists at some
// point of the plan: the catalog's and those the plan grants. Other
// revokes are not ordered before grants by this rule. A membership on
// such a way that the plan keeps is a problem (membershipLoops).
func (d *differ) loopBreakers() {
	up := map[string][]string{}   // member -> roles
	down := map[string][]string{} // role -> members
	link := func(member, role string) {
		up[member] = append(up[member], role)
		down[role] = append(down[role], member)
	}
	for _, member := range state.SortedKeys(d.snap.Roles) {
		for _, role := range state.SortedKeys(d.snap.Roles[member].MemberOf) {
			link(member, role)
		}
	}
	for _, c := range d.changes {
		for _, r := range c.provides {
			if r.kind == resMember {
				link(r.a, r.b)
			}
		}
	}
	reach := func(from string, next map[string][]string) map[string]bool {
		seen := map[string]bool{from: true}
		for queue := []string{from}; len(queue) > 0; queue = queue[1:] {
			for _, n := range next[queue[0]] {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		return seen
	}
	for i := range d.changes {
		c := &d.changes[i]
		for _, r := range c.provides {
			if r.kind != resMember {
				continue
			}
			member, role := r.a, r.b
			fromRole := reach(role, up) // what role is a member of, and on
			if !fromRole[member] {
				continue // no way back: no loop
			}
			toMember := reach(member, down) // what reaches member
			for _, x := range state.SortedKeys(fromRole) {
				for _, y := range up[x] {
					if toMember[y] && (x != member || y != role) {
						c.excludes = append(c.excludes, memberOf(x, y))
					}
				}
			}
		}
	}
}
