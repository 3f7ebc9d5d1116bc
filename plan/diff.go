package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// differ carries the inputs and the growing plan of one Diff.
type differ struct {
	want *state.Database
	have *state.Database
	snap *state.Snapshot
	opts Options

	changes  []Change
	problems []string
	outside  []string        // what the plan leaves alone that reaches a managed role or schema
	notes    []note          // what the diff met while planning, kept or not with its changes
	group    int             // the group that changes and notes join now (0: none)
	groups   int             // groups opened so far
	marks    map[int][]mark  // group -> the changes (planned or not) it stands for
	managed  map[string]bool // declared roles that should exist
	created  map[string]bool // roles this plan creates
	dropped  map[string]bool // roles this plan drops
	actAs    map[string]string
	unread   map[string]bool // settings set whose restriction the snapshot did not read
}

// Diff returns the plan that takes the database from snap to want.
func Diff(want *state.Database, snap *state.Snapshot, opts Options) *Plan {
	d := &differ{
		want: want, have: snap.DB, snap: snap, opts: opts,
		marks: map[int][]mark{}, managed: map[string]bool{}, created: map[string]bool{}, dropped: map[string]bool{}, actAs: map[string]string{},
	}
	for name, r := range want.Roles {
		if !r.Absent && name != snap.Server.User {
			d.managed[name] = true
			if snap.Roles[name] == nil {
				d.created[name] = true
			}
		}
	}
	d.maintainBefore17()
	d.roles()
	d.database()
	for _, name := range state.SortedKeys(want.Schemas) {
		d.schema(want.Schemas[name])
	}
	d.publicSchema()
	d.globalDefaults()
	d.externalMembers()
	d.chains()
	d.columnPrivileges()
	d.ownership()
	d.extensions()
	d.replay(d.filter())
	// What needs the memberships after the plan reads them from the
	// changes that stay: the filter has decided which revokes run.
	after := d.membershipsAfter()
	d.adminPower(after)
	d.adminLockout(after)
	d.membershipLoops(after)
	d.temporaryMemberships()
	d.replay(nil)
	d.loopBreakers()
	d.sortChanges()

	p := &Plan{
		Database: want.Name,
		Server:   snap.Server.Version,
		User:     snap.Server.User,
		Mode:     "authoritative",
		Changes:  d.changes,
		Problems: d.problems,
		Outside:  d.outside,
		unread:   state.SortedKeys(d.unread),
	}
	if opts.Additive { // the mode's name in the output, not a decision of the diff
		p.Mode = "additive"
	}
	for _, name := range state.SortedKeys(snap.Roles) {
		if _, declared := want.Roles[name]; !declared && !IsSystemRole(name, snap) {
			p.Unmanaged = append(p.Unmanaged, name)
		}
	}
	if p.Changes == nil {
		p.Changes = []Change{}
	}
	return p
}

// maintainBefore17 refuses a spec that names the table privilege MAINTAIN
// explicitly on a server older than PostgreSQL 17, which has no such
// privilege. ALL is not refused: the plan compares only the privileges the
// server knows (state.KindPrivilegesOn), so ALL means there what
// PostgreSQL's ALL means.
func (d *differ) maintainBefore17() {
	major := d.snap.Server.Major()
	if major >= state.MaintainSince {
		return
	}
	for _, where := range d.want.MaintainNamed {
		d.problem("%s names the table privilege MAINTAIN, which exists from PostgreSQL %d on and this server is PostgreSQL %d; remove MAINTAIN there (ALL includes it on servers that have it)",
			where, state.MaintainSince, major)
	}
}

// add plans a change. Revokes, resets and drops are removals: additive
// mode keeps only those marked explicit.
func (d *differ) add(c Change) {
	switch c.Action {
	case ActionRevoke, ActionReset, ActionDrop:
		c.removal = true
	}
	c.group = d.group
	d.marks[d.group] = append(d.marks[d.group], c.mark)
	d.changes = append(d.changes, c)
}

// problem records a problem; within a group, only if the group's changes
// stay in the plan.
func (d *differ) problem(format string, args ...any) {
	d.notes = append(d.notes, note{group: d.group, problem: fmt.Sprintf(format, args...)})
}

// leftOutside records what the plan leaves alone that reaches a managed
// role or schema when the current group's changes are not in the plan
// (additive mode).
func (d *differ) leftOutside(format string, args ...any) {
	d.notes = append(d.notes, note{group: d.group, ifDropped: true, outside: fmt.Sprintf(format, args...)})
}

// begin opens a group: the changes and notes until end stand or fall
// together. A group stands when one of its changes stays in the plan.
func (d *differ) begin() {
	d.groups++
	d.group = d.groups
}

// end closes the group begin opened.
func (d *differ) end() { d.group = 0 }

// would records that the current group stands for a change the diff did
// not plan (a problem prevents it), so that its notes count only where
// such a change would stay.
func (d *differ) would(m mark) { d.marks[d.group] = append(d.marks[d.group], m) }

// mark says what kind of change a change is, for the additive filter.
type mark struct {
	removal  bool // a revoke, reset, drop or reassignment
	explicit bool // a removal the spec asks for even in additive mode
}

// keeps is the additive filter: additive mode grants what is missing and
// removes only what the spec asks explicitly to remove.
func (o Options) keeps(m mark) bool { return !o.Additive || !m.removal || m.explicit }

// note is something the diff met while planning a group of changes: a
// role to act as, a problem, a line outside the spec.
type note struct {
	group     int
	ifDropped bool // counts when the group's changes are not in the plan
	role, why string
	problem   string
	outside   string
}

// filter applies the mode to the authoritative changes and returns the
// groups that stand.
func (d *differ) filter() map[int]bool {
	stands := map[int]bool{0: true}
	for g, ms := range d.marks {
		for _, m := range ms {
			if d.opts.keeps(m) {
				stands[g] = true
			}
		}
	}
	kept := d.changes[:0]
	for _, c := range d.changes {
		if d.opts.keeps(c.mark) {
			kept = append(kept, c)
		}
	}
	d.changes = kept
	return stands
}

// replay turns the notes of the groups that stand (nil: only ungrouped
// notes) into roles to act as, problems and outside lines, in the order the
// diff met them.
func (d *differ) replay(stands map[int]bool) {
	for _, n := range d.notes {
		if (n.group == 0 || stands[n.group]) == n.ifDropped {
			continue
		}
		switch {
		case n.role != "":
			if _, ok := d.actAs[n.role]; !ok {
				d.actAs[n.role] = n.why
			}
		case n.problem != "" && !slices.Contains(d.problems, n.problem):
			d.problems = append(d.problems, n.problem)
		case n.outside != "":
			d.outside = append(d.outside, n.outside)
		}
	}
	d.notes = nil
}

// super reports whether the connected user is a superuser.
func (d *differ) super() bool { return d.snap.Server.Superuser }

// exists reports whether a role exists or this plan creates it.
func (d *differ) exists(role string) bool {
	r := d.snap.Roles[role]
	return (r != nil && !d.dropped[role]) || d.created[role]
}

// needActAs records that the connected user needs the privileges of role
// (to create objects it owns, grant on its objects or set its defaults),
// and returns that need for the change that has it: the change runs while
// the user holds them (after a temporary membership, if the plan takes
// one, and before it ends).
func (d *differ) needActAs(role, why string) resource {
	need := actingAs(role)
	if role == "" || role == d.snap.Server.User || d.super() {
		return need
	}
	if !d.created[role] && d.snap.Server.Uses[role] && d.snap.Server.CanSet[role] {
		return need
	}
	d.notes = append(d.notes, note{group: d.group, role: role, why: why})
	return need
}

// temporaryMemberships adds, for each role the user must act as, a grant
// of that role to the user at the start and its revocation at the end of
// the transaction, so the user is never left a member (on RDS, membership
// in a role that holds rds_iam would switch its own login to IAM).
func (d *differ) temporaryMemberships() {
	user := d.snap.Server.User
	major := d.snap.Server.Major()
	for _, role := range state.SortedKeys(d.actAs) {
		why := d.actAs[role]
		if !d.exists(role) && !d.dropped[role] {
			d.problem("role %q does not exist and the spec does not declare it (needed to %s)", role, why)
			continue
		}
		if r := d.snap.Roles[role]; r != nil && r.Superuser {
			d.problem("to %s rolekeeper must act as %q, a superuser, and %q is not one; make a non-superuser own those objects", why, role, user)
			continue
		}
		canGrant := d.snap.Server.AdminOf[role] || d.created[role] || (major < 16 && d.snap.Server.CreateRole)
		if !canGrant {
			d.problem("to %s rolekeeper must act as %q, but %q has no ADMIN OPTION on it (PostgreSQL 16+ requires it); as its creator or a superuser run: GRANT %s TO %s WITH ADMIN OPTION",
				why, role, user, ident(role), ident(user))
			continue
		}
		grant := "GRANT " + ident(role) + " TO " + ident(user)
		if major >= 16 {
			grant += " WITH INHERIT TRUE, SET TRUE"
		}
		d.add(Change{Action: "temporary", Object: "membership", Name: role,
			Summary: fmt.Sprintf("act as %q for this transaction (to %s)", role, why),
			SQL:     []string{grant}, rank: rankActAs, order: nameKey(role),
			deps: deps{needs: rolesExist(role), provides: []resource{actingAs(role)}}})
		if !d.dropped[role] || d.opts.KeepAbsentRoles {
			d.add(Change{Action: "temporary", Object: "membership", Name: role,
				Summary: fmt.Sprintf("stop acting as %q", role),
				SQL:     []string{"REVOKE " + ident(role) + " FROM " + ident(user)}, rank: rankEndActAs, order: nameKey(role),
				deps: deps{needs: rolesExist(role), removes: []resource{actingAs(role)}}})
		}
	}
}

// privGroup is a set of grantees that need the same privileges.
type privGroup struct {
	privs    []string
	grantees []string
}

// groupByPrivs groups grantees by identical privilege lists, so that one
// statement serves them all. The result is deterministic.
func groupByPrivs(need map[string][]string) []privGroup {
	byKey := map[string]*privGroup{}
	for g, privs := range need {
		if len(privs) == 0 {
			continue
		}
		key := strings.Join(privs, ",")
		pg := byKey[key]
		if pg == nil {
			pg = &privGroup{privs: privs}
			byKey[key] = pg
		}
		pg.grantees = append(pg.grantees, g)
	}
	out := make([]privGroup, 0, len(byKey))
	for _, key := range state.SortedKeys(byKey) {
		pg := byKey[key]
		sort.Strings(pg.grantees)
		out = append(out, *pg)
	}
	return out
}

func quotedList(names []string) string { return identList(names, grantee) }

// roleList quotes and joins role names, a role named "PUBLIC" quoted as
// any other (never read as the keyword).
func roleList(names []string) string { return identList(names, ident) }

func pluralize(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
