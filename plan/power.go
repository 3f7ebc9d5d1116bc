package plan

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// A membership edge: the member's membership in role.
type edge struct {
	role      string
	adminOnly bool // carries neither the role's privileges nor SET ROLE
}

// membershipGraph maps each member to the roles it is a member of.
type membershipGraph map[string][]edge

// actualMemberships is the catalog's membership graph.
func (d *differ) actualMemberships() membershipGraph {
	g := membershipGraph{}
	for _, name := range state.SortedKeys(d.snap.Roles) {
		for _, role := range state.SortedKeys(d.snap.Roles[name].MemberOf) {
			g[name] = append(g[name], edge{role, d.snap.Roles[name].MemberOf[role].AdminOnly})
		}
	}
	return g
}

// plannedMemberships is the membership graph once the plan is applied:
// the spec's memberships for declared roles (with the catalog's that
// additive mode keeps), the catalog's for every other role, and no dropped
// role. Temporary memberships are left out: they end before commit.
func (d *differ) plannedMemberships() membershipGraph {
	g := membershipGraph{}
	gone := func(role string) bool {
		w := d.want.Roles[role]
		return w != nil && w.Absent
	}
	for member, edges := range d.actualMemberships() {
		if _, declared := d.want.Roles[member]; declared {
			continue
		}
		for _, e := range edges {
			if !gone(e.role) {
				g[member] = append(g[member], e)
			}
		}
	}
	for _, name := range state.SortedKeys(d.want.Roles) {
		w := d.want.Roles[name]
		if w.Absent || name == d.snap.Server.User {
			continue
		}
		have := map[string]state.Membership{}
		if h := d.snap.Roles[name]; h != nil {
			have = h.MemberOf
		}
		for _, role := range state.SortedKeys(w.MemberOf) {
			if !gone(role) {
				g[name] = append(g[name], edge{role, false})
			}
		}
		if d.opts.Additive {
			for _, role := range state.SortedKeys(have) {
				if _, kept := w.MemberOf[role]; !kept && !leavesIAM(w, role) && !gone(role) {
					g[name] = append(g[name], edge{role, have[role].AdminOnly})
				}
			}
		}
	}
	return g
}

// path returns the shortest chain of memberships from member to a role
// for which stop is true (member first), or nil. adminOnly memberships are
// followed only when withAdminOnly is set.
func (g membershipGraph) path(member string, withAdminOnly bool, stop func(string) bool) []string {
	prev := map[string]string{member: ""}
	queue := []string{member}
	for len(queue) > 0 {
		at := queue[0]
		queue = queue[1:]
		if stop(at) {
			var chain []string
			for n := at; n != ""; n = prev[n] {
				chain = append([]string{n}, chain...)
			}
			return chain
		}
		for _, e := range g[at] {
			if _, seen := prev[e.role]; seen || (e.adminOnly && !withAdminOnly) {
				continue
			}
			prev[e.role] = at
			queue = append(queue, e.role)
		}
	}
	return nil
}

func chainText(chain []string) string { return strings.Join(chain, " → ") }

// adminPower records a problem for each declared membership that would
// hand out the admin's power: membership in the connected user, in an
// administrative role (state.AdminRoles), or in a role that reaches one
// through its own memberships, unless the member sets allow_admin_roles.
func (d *differ) adminPower(g membershipGraph) {
	admin := d.snap.Server.User
	powerful := func(r string) bool { return r == admin || state.AdminRoles[r] }
	for _, name := range state.SortedKeys(d.want.Roles) {
		w := d.want.Roles[name]
		if w.Absent || w.AllowAdminRoles || name == admin {
			continue
		}
		for _, role := range state.SortedKeys(w.MemberOf) {
			chain := g.path(role, true, powerful)
			if chain == nil {
				continue
			}
			what := fmt.Sprintf("%q, an administrative role", chain[len(chain)-1])
			if chain[len(chain)-1] == admin {
				what = fmt.Sprintf("%q, the user rolekeeper connects as", admin)
			}
			via := ""
			if len(chain) > 1 {
				via = " (" + chainText(chain) + ")"
			}
			d.problem("role %q: membership in %q would hand out the power of %s%s; set allow_admin_roles: true on %q if that is intended",
				name, role, what, via, name)
		}
	}
}

// adminLockout records a problem when the plan would leave the connected
// user a member, directly or through other roles, of rds_iam: on RDS that
// switches its own login to IAM and locks it out. ADMIN-only memberships
// (which every CREATEROLE user has in the roles it creates, on 16+) carry
// neither privileges nor the role's attributes and are not followed.
func (d *differ) adminLockout(g membershipGraph) {
	admin := d.snap.Server.User
	isIAM := func(r string) bool { return r == state.IAMRole }
	chain := g.path(admin, false, isIAM)
	if chain == nil || d.actualMemberships().path(admin, false, isIAM) != nil {
		return // no chain, or one the plan does not make (the admin could not have logged in on RDS)
	}
	d.problem("the plan would make %q, the user rolekeeper connects as, a member of %s through %s: on RDS that switches its own login to IAM and locks it out; remove one of these memberships from the spec",
		admin, state.IAMRole, chainText(chain))
}
