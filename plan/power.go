package plan

import (
	"cmp"
	"fmt"
	"slices"
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

// membershipsAfter is the membership graph once the plan has run: the
// catalog's memberships less those the plan's changes remove (revokes,
// dropped roles), plus those they grant. Called after the additive filter,
// it holds what that mode keeps. Temporary memberships are left out: they
// end before commit.
func (d *differ) membershipsAfter() membershipGraph {
	removed := map[resource]bool{}
	var granted []resource
	for _, c := range d.changes {
		for _, r := range c.removes {
			if r.kind == resMember {
				removed[r] = true
			}
		}
		for _, r := range c.provides {
			if r.kind == resMember {
				granted = append(granted, r)
			}
		}
	}
	g := membershipGraph{}
	for member, edges := range d.actualMemberships() {
		for _, e := range edges {
			if !removed[memberOf(member, e.role)] {
				g[member] = append(g[member], e)
			}
		}
	}
	slices.SortFunc(granted, func(a, b resource) int { return cmp.Or(cmp.Compare(a.a, b.a), cmp.Compare(a.b, b.b)) })
	for _, r := range granted {
		g[r.a] = append(g[r.a], edge{r.b, false})
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
