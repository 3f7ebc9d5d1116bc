package plan

import (
	"fmt"
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
	var privs []string
	grantable := false
	for _, c := range cs {
		privs = append(privs, fmt.Sprintf("%s (%s)", c.Privilege, identList(c.Columns, ident)))
		grantable = grantable || c.Grantable
	}
	list := strings.Join(privs, ", ")
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
	if grantor != h.Owner && !h.Privileges[grantor].Has("USAGE") && !h.Privileges[state.Public].Has("USAGE") && !d.superRole(grantor) {
		d.problem("%s holds column privileges %s, granted by %q, which may no longer use schema %q, so rolekeeper cannot revoke them as %q; revoke them by hand as a superuser",
			grantee(g), what, grantor, schema, grantor)
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
	d.add(Change{Action: "revoke", Object: Object(state.Tables), Name: schema + "." + table,
		Summary: fmt.Sprintf("revoke column privileges %s from %s, granted by %s (the spec cannot declare column privileges)", what, grantee(g), ident(grantor)),
		SQL:     []string{"SET ROLE " + ident(grantor), stmt, "RESET ROLE"},
		rank:    rankRevokeObjects, order: order,
		deps: columnDeps(schema, h.Owner, grantor, g, acts, cs)})
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
