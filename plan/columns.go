package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// columnPrivileges plans column privileges (GRANT SELECT (col) ON t) held
// by managed roles or PUBLIC on tables in managed schemas. The spec cannot
// declare them, so each one is drift unless the spec gives the grantee the
// same privilege on the whole table (which covers every column); then only
// a grant option on it is drift (a spec never gives one). In
// authoritative mode they are revoked as their grantor (the table's owner,
// or whoever holds them with grant option), one statement per table,
// grantee and grantor; in additive mode they are only reported.
func (d *differ) columnPrivileges() {
	for _, name := range state.SortedKeys(d.want.Schemas) {
		w, h := d.want.Schemas[name], d.have.Schemas[name]
		if h == nil || len(h.Columns) == 0 {
			continue
		}
		tables := w.Objects[state.Tables]
		type grantKey struct {
			table, grantee, grantor string
			optionOnly              bool // the spec covers the privilege, not its grant option
		}
		var keys []grantKey
		groups := map[grantKey][]*state.ColumnGrant{}
		for _, c := range h.Columns {
			if c.Grantee == c.Owner || !d.governs(c.Grantee, state.Tables, tables) {
				continue
			}
			covered := coversTable(tables, c)
			if covered && !c.Grantable {
				continue
			}
			k := grantKey{c.Table, c.Grantee, c.Grantor, covered}
			if groups[k] == nil {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], c)
		}
		for i, k := range keys {
			// What a role passed on is revoked first (columnDeps); among
			// revokes free to run, the farthest from the owner first.
			order := key(names(name, string(state.Tables)), num(slotColumns), num(-grantDepth(h.Columns, k.table, k.grantor, h.Owner)), num(i))
			d.columnRevoke(name, h, k.table, k.grantee, k.grantor, k.optionOnly, groups[k], order)
		}
	}
}

// coversTable reports whether the spec gives c's grantee c's privilege on
// the whole table.
func coversTable(tables *state.ObjectGrants, c *state.ColumnGrant) bool {
	if tables == nil {
		return false
	}
	return tables.Full[c.Grantee].Has(c.Privilege) || tables.Named[c.Grantee][c.Privilege][c.Table]
}

func (d *differ) columnRevoke(schema string, h *state.Schema, table, g, grantor string, optionOnly bool, cs []*state.ColumnGrant, order orderKey) {
	grantable := slices.ContainsFunc(cs, func(c *state.ColumnGrant) bool { return c.Grantable })
	list := columnPrivList(cs)
	on := "TABLE " + qualified(schema, table)
	what := fmt.Sprintf("%s on %s", list, objectNames(schema, []string{table}))
	if optionOnly {
		what = "the grant option for " + what
	}
	d.begin()
	defer d.end()
	d.would(mark{removal: true})
	d.leftOutside("%s holds column privileges %s, granted by %s (the spec cannot declare column privileges; additive mode leaves them)",
		grantee(g), what, ident(grantor))
	cascade := false
	if grantable {
		var outside []string
		for _, dep := range h.Columns {
			if dep.Table != table || dep.Grantor != g {
				continue
			}
			cascade = true
			if !d.governs(dep.Grantee, state.Tables, nil) {
				outside = append(outside, dep.Grantee)
			}
		}
		if len(outside) > 0 {
			d.problem("%s holds column privileges %s with grant option and passed them on to %s, outside the spec: revoking them would cascade to them; revoke them by hand (REVOKE ... CASCADE) or declare them",
				grantee(g), what, quotedList(outside))
			return
		}
	}
	if grantor != h.Owner && !mayUse(h, grantor) && !d.superRole(grantor) {
		d.problem("%s holds column privileges %s, granted by %q, which may no longer use schema %q, so rolekeeper cannot revoke them as %q; revoke them by hand as a superuser",
			grantee(g), what, grantor, schema, grantor)
		return
	}
	if grantor != cs[0].Owner && d.superRole(grantor) {
		// Granted before it became a superuser: a superuser's REVOKE acts
		// as the table's owner, so as itself it cannot revoke them.
		d.grantedBySuperuser(fmt.Sprintf("%s holds column privileges %s", grantee(g), what), grantor)
		return
	}
	if grantor == state.Public && grantor != cs[0].Owner && !rolePUBLICHoldsOptions(h, table, cs) {
		// Its privileges are not read (they would read as PUBLIC's), so
		// it cannot be lent the option and left as it was.
		d.problem("%s holds column privileges %s, granted by a role named \"PUBLIC\", which no longer holds the grant option (revoked on the whole table, which does not reach column grants), so its REVOKE would do nothing; revoke them by hand as \"PUBLIC\" after granting it the grant option again",
			grantee(g), what)
		return
	}
	stmt := fmt.Sprintf("REVOKE %s ON %s FROM %s", list, on, grantee(g))
	if optionOnly {
		stmt = fmt.Sprintf("REVOKE GRANT OPTION FOR %s ON %s FROM %s", list, on, grantee(g))
	}
	if cascade {
		stmt += " CASCADE"
	}
	// As the grantor itself: REVOKE removes only what the current role
	// granted (GRANTED BY must name the current user before PostgreSQL 16).
	acts := d.needActAs(grantor, fmt.Sprintf("revoke column privileges it granted in schema %q", schema))
	sql := []string{"SET ROLE " + ident(grantor), stmt, "RESET ROLE"}
	dep := columnDeps(schema, h.Owner, grantor, g, acts, cs)
	summary := fmt.Sprintf("revoke column privileges %s from %s, granted by %s (the spec cannot declare column privileges)", what, grantee(g), ident(grantor))
	if take, option := d.orphanedColumns(h, table, grantor, cs); len(take)+len(option) > 0 {
		// The grantor no longer holds the grant option (a table-level
		// REVOKE took it and left the column grants it made), so its
		// REVOKE would do nothing: the table's owner lends it the option
		// on those columns for the revoke, then takes it back, with the
		// privilege unless the grantor held that of its own, cascading to
		// whatever else the grantor passed on there.
		owner := cs[0].Owner
		lent := slices.Concat(take, option)
		var outside []string
		for _, dep := range h.Columns {
			if dep.Table == table && dep.Grantor == grantor && dep.Grantee != g && !d.governs(dep.Grantee, state.Tables, nil) &&
				slices.ContainsFunc(lent, func(l *state.ColumnGrant) bool {
					return l.Privilege == dep.Privilege && slices.ContainsFunc(l.Columns, func(c string) bool { return slices.Contains(dep.Columns, c) })
				}) {
				outside = append(outside, dep.Grantee)
			}
		}
		if len(outside) > 0 {
			d.problem("%s holds column privileges %s, granted by %q, which no longer holds the grant option (revoked on the whole table, which does not reach column grants); %q also passed them on to %s, outside the spec, where taking the option back would cascade; revoke them by hand as %q after granting it the grant option again, or declare them",
				grantee(g), what, grantor, grantor, quotedList(outside), grantor)
			return
		}
		sql = []string{"SET ROLE " + ident(owner), fmt.Sprintf("GRANT %s ON %s TO %s WITH GRANT OPTION", columnPrivList(lent), on, ident(grantor)),
			"SET ROLE " + ident(grantor), stmt, "SET ROLE " + ident(owner)}
		if len(take) > 0 {
			sql = append(sql, fmt.Sprintf("REVOKE %s ON %s FROM %s CASCADE", columnPrivList(take), on, ident(grantor)))
		}
		if len(option) > 0 {
			sql = append(sql, fmt.Sprintf("REVOKE GRANT OPTION FOR %s ON %s FROM %s CASCADE", columnPrivList(option), on, ident(grantor)))
		}
		sql = append(sql, "RESET ROLE")
		dep.needs = append(dep.needs, d.needActAs(owner, fmt.Sprintf("lend %q the grant option on columns it granted in schema %q", grantor, schema)))
		summary += fmt.Sprintf("; %s no longer holds the grant option, and is lent it for the revoke", ident(grantor))
	}
	d.add(Change{Action: "revoke", Object: Object(state.Tables), Name: schema + "." + table,
		Summary: summary, SQL: sql, rank: rankRevokeObjects, order: order, deps: dep})
}

// rolePUBLICHoldsOptions reports whether a role named "PUBLIC" holds the
// grant option for each of the column privileges cs, on the column or on
// the whole table.
func rolePUBLICHoldsOptions(h *state.Schema, table string, cs []*state.ColumnGrant) bool {
	opts := h.RolePUBLICOptions[table]
	for _, c := range cs {
		for _, col := range c.Columns {
			if !opts[""].Has(c.Privilege) && !opts[col].Has(c.Privilege) {
				return false
			}
		}
	}
	return true
}

// columnPrivList writes column privileges as GRANT and REVOKE list them.
func columnPrivList(cs []*state.ColumnGrant) string {
	privs := make([]string, len(cs))
	for i, c := range cs {
		privs[i] = fmt.Sprintf("%s (%s)", c.Privilege, identList(c.Columns, ident))
	}
	return strings.Join(privs, ", ")
}

// orphanedColumns returns, of the column privileges cs that grantor
// granted on table, those on columns where grantor holds no grant option
// of its own, on the column or on the whole table: its REVOKE would then
// do nothing (or act as a role it inherits the option from). Those it
// holds of its own from the owner, without the option, are in option,
// the others in take; each has one ColumnGrant per privilege. A
// grantor's own column privileges are read whether or not the spec
// declares it (catalog's columnReader), and only a grantor other than the
// table's owner can be so left (columnRevoke has a problem for one that is
// a superuser, who revokes as the owner). A role named "PUBLIC" is the
// exception: its column privileges are not read (they would read as
// PUBLIC's), so it is not lent the option: only its grant options are
// read (state.Schema.RolePUBLICOptions), and without them columnRevoke has
// a problem.
func (d *differ) orphanedColumns(h *state.Schema, table, grantor string, cs []*state.ColumnGrant) (take, option []*state.ColumnGrant) {
	owner := cs[0].Owner
	if grantor == owner || grantor == state.Public {
		return nil, nil
	}
	holds := func(p, col string, option bool) bool {
		for _, c := range h.Columns {
			if c.Table == table && c.Grantee == grantor && c.Privilege == p && (c.Grantable || !option && c.Grantor == owner) && slices.Contains(c.Columns, col) {
				return true
			}
		}
		return false
	}
	tableOption := func(p string) bool {
		if og := h.Objects[state.Tables]; og != nil {
			for _, ch := range og.Chains {
				if ch.Grantee == grantor && slices.Contains(ch.GrantOptions, p) && (len(ch.Objects) == 0 || slices.Contains(ch.Objects, table)) {
					return true
				}
			}
		}
		return false
	}
	add := func(list []*state.ColumnGrant, p, col string) []*state.ColumnGrant {
		for _, l := range list {
			if l.Privilege == p {
				if !slices.Contains(l.Columns, col) {
					l.Columns = append(l.Columns, col)
				}
				return list
			}
		}
		return append(list, &state.ColumnGrant{Table: table, Owner: owner, Grantee: grantor, Privilege: p, Columns: []string{col}})
	}
	for _, c := range cs {
		if tableOption(c.Privilege) {
			continue
		}
		for _, col := range c.Columns {
			switch {
			case holds(c.Privilege, col, true):
			case holds(c.Privilege, col, false):
				option = add(option, c.Privilege, col)
			default:
				take = add(take, c.Privilege, col)
			}
		}
	}
	return take, option
}

// columnDeps is what revoking column privileges cs from grantee g, as
// grantor, depends on: the roles, acting as the grantor, its USAGE on the
// schema and, unless it owns the table, its grant option on each column
// (which the revoke of what it holds removes) and on the table (which
// table-level revokes remove: tableOptionsRevoked). What a role passed on
// is so revoked first, as that role, while it still holds the grant
// option: a chain is revoked from its far end. (PostgreSQL refuses circular grant
// options, so these never form a loop.)
func columnDeps(schema, owner, grantor, g string, acts resource, cs []*state.ColumnGrant) deps {
	dep := deps{needs: append(rolesExist(grantor, g), acts, usage(schema, grantor))}
	for _, c := range cs {
		if grantor != c.Owner {
			// The grantor's option may be held on the whole table: a
			// table-level REVOKE takes it without touching the column
			// grants it made, which the grantor could then no longer
			// revoke. So they go first.
			dep.needs = append(dep.needs, tableOption(schema, c.Table, c.Privilege, grantor), tableOption(schema, "", c.Privilege, grantor))
		}
		for _, name := range c.Columns {
			col := column{schema, c.Table, name, c.Privilege}
			if grantor != owner {
				dep.needs = append(dep.needs, columnOption(col, grantor))
			}
			dep.removes = append(dep.removes, columnOption(col, g))
		}
	}
	return dep
}

// grantDepth counts the grants between a table's owner and grantor on it:
// 0 for the owner, 1 for a role the owner granted to, and so on (the
// longest way, stopping at cycles).
func grantDepth(cs []*state.ColumnGrant, table, grantor, owner string) int {
	depth := map[string]int{}
	var walk func(role string, seen map[string]bool) int
	walk = func(role string, seen map[string]bool) int {
		if role == owner || seen[role] {
			return 0
		}
		if n, ok := depth[role]; ok {
			return n
		}
		seen[role] = true
		n := 0
		for _, c := range cs {
			if c.Table == table && c.Grantee == role {
				n = max(n, 1+walk(c.Grantor, seen))
			}
		}
		delete(seen, role)
		depth[role] = n
		return n
	}
	return walk(grantor, map[string]bool{})
}

// tableOptionsRevoked is what a table-level revoke of privs from grantees
// removes: their grant options on the tables named (every table in the
// schema when none is), which a column revoke as one of them needs
// (columnDeps). Only tables carry column privileges.
func tableOptionsRevoked(schema string, kind state.ObjectKind, tables, privs, grantees []string) []resource {
	if kind != state.Tables {
		return nil
	}
	if len(tables) == 0 {
		tables = []string{""}
	}
	var out []resource
	for _, g := range grantees {
		for _, t := range tables {
			for _, p := range privs {
				out = append(out, tableOption(schema, t, p, g))
			}
		}
	}
	return out
}

// revoking adds to d what a change removes.
func revoking(d deps, removes []resource) deps {
	d.removes = append(d.removes, removes...)
	return d
}
