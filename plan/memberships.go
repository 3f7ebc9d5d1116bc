package plan

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// membershipLoops reports, before anything runs, a membership the plan
// grants that would close a loop PostgreSQL refuses ("role r is a member
// of role m"): in the memberships left once the plan has run (after, read
// from the changes the mode keeps), the role granted already reaches the
// member. The memberships the plan revokes or drops are gone first
// (loopBreakers orders them so); a loop through one it keeps cannot be
// broken by any order.
func (d *differ) membershipLoops(after membershipGraph) {
	var granted []resource
	for _, c := range d.changes {
		for _, r := range c.provides {
			if r.kind == resMember {
				granted = append(granted, r)
			}
		}
	}
	slices.SortFunc(granted, func(a, b resource) int { return cmp.Or(cmp.Compare(a.a, b.a), cmp.Compare(a.b, b.b)) })
	for _, r := range granted {
		member, role := r.a, r.b
		path := after.path(role, true, func(x string) bool { return x == member })
		if path == nil {
			continue
		}
		var kept []string
		for i := 0; i+1 < len(path); i++ {
			kept = append(kept, fmt.Sprintf("%q in %q", path[i], path[i+1]))
		}
		how := "remove it from the spec, or revoke the membership that closes the loop"
		if d.opts.Additive { // advice for the user's mode, not a decision of the diff
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
