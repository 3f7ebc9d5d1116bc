package plan

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// database plans privileges on the database, PUBLIC's among them, and
// database settings.
func (d *differ) database() {
	db := ident(d.want.Name)
	need, extra := map[string][]string{}, map[string][]string{}
	eachDiffering(d.want.Privileges, d.have.Privileges, func(g string, w, h state.PrivSet) {
		if d.managed[g] && g != d.have.Owner {
			addIfAny(need, g, w.Minus(h, state.DatabasePrivileges))
			addIfAny(extra, g, h.Minus(w, state.DatabasePrivileges))
		}
	})
	pub := d.want.Public
	for _, x := range []struct {
		want *bool
		priv string
	}{{pub.Connect, "CONNECT"}, {pub.Temporary, "TEMPORARY"}} {
		if x.want == nil {
			continue
		}
		has := d.have.Privileges[state.Public].Has(x.priv)
		if *x.want && !has {
			need[state.Public] = append(need[state.Public], x.priv)
		}
		if !*x.want && has {
			extra[state.Public] = append(extra[state.Public], x.priv)
		}
	}
	touched := false
	for _, g := range groupByPrivs(need) {
		touched = true
		d.add(Change{Action: "grant", Object: "database", Name: d.want.Name,
			Summary: fmt.Sprintf("grant %s on database %s to %s", strings.Join(g.privs, ", "), db, quotedList(g.grantees)),
			SQL:     []string{fmt.Sprintf("GRANT %s ON DATABASE %s TO %s", strings.Join(g.privs, ", "), db, quotedList(g.grantees))},
			rank:    rankDatabase, order: key(num(slotDatabasePrivileges), names(g.grantees...)),
			deps: deps{needs: rolesExist(g.grantees...)}})
	}
	// PUBLIC's policy is explicit, and the filter keeps or drops whole
	// statements: PUBLIC's revoke stands alone, so that additive mode keeps
	// it and drops those from roles (with the problems they would have).
	public := map[string][]string{state.Public: extra[state.Public]}
	delete(extra, state.Public)
	for _, revokes := range []map[string][]string{extra, public} {
		for _, g := range groupByPrivs(revokes) {
			d.begin()
			if !d.super() && !d.snap.Server.ActsAsDBOwner {
				d.problem("changing privileges or settings of database %s needs its owner's rights; %q does not have the privileges of %q", db, d.snap.Server.User, d.have.Owner)
			}
			d.add(Change{Action: "revoke", Object: "database", Name: d.want.Name,
				Summary: fmt.Sprintf("revoke %s on database %s from %s", strings.Join(g.privs, ", "), db, quotedList(g.grantees)),
				SQL:     []string{fmt.Sprintf("REVOKE %s ON DATABASE %s FROM %s", strings.Join(g.privs, ", "), db, quotedList(g.grantees))},
				rank:    rankRevokeDatabase, order: nameKey(g.grantees...),
				deps: deps{needs: rolesExist(g.grantees...)},
				mark: mark{explicit: len(g.grantees) == 1 && g.grantees[0] == state.Public}})
			d.end()
		}
	}
	for _, k := range state.SortedKeys(d.want.Settings) {
		wv := d.want.Settings[k]
		if hv, ok := d.have.Settings[k]; ok && state.EqualSetting(wv, hv) {
			continue
		}
		touched = true
		d.checkSettable(k, "database "+db)
		d.add(Change{Action: "set", Object: "database setting", Name: k,
			Summary: fmt.Sprintf("set %s on database %s", k, db),
			SQL:     []string{fmt.Sprintf("ALTER DATABASE %s SET %s = %s", db, settingName(k), settingValue(wv))},
			rank:    rankDatabase, order: key(num(slotDatabaseSettings), names(k))})
	}
	if touched && !d.super() && !d.snap.Server.ActsAsDBOwner {
		d.problem("changing privileges or settings of database %s needs its owner's rights; %q does not have the privileges of %q", db, d.snap.Server.User, d.have.Owner)
	}
}

// eachDiffering calls fn for each grantee whose privileges differ between
// want and have, in no particular order (callers group what fn records,
// and the grouping sorts): no list of every grantee is built, since at L
// a schema's thousand grantees are almost all equal on both sides.
func eachDiffering(want, have state.Grants, fn func(grantee string, want, have state.PrivSet)) {
	for g, w := range want {
		if h := have[g]; h != w {
			fn(g, w, h)
		}
	}
	for g, h := range have {
		if _, ok := want[g]; !ok && h != 0 {
			fn(g, 0, h)
		}
	}
}

// Slots of the changes of rank rankDatabase: privileges, then settings.
const (
	slotDatabasePrivileges = iota + 1
	slotDatabaseSettings
)

// addIfAny records the privileges a grantee needs, when there are any.
func addIfAny(m map[string][]string, grantee string, privs []string) {
	if len(privs) > 0 {
		m[grantee] = privs
	}
}

// schema plans one declared schema: existence, owner, privileges on it and
// on its objects, and default privileges.
func (d *differ) schema(w *state.Schema) {
	h := d.have.Schemas[w.Name]
	owner := w.Owner
	switch {
	case h == nil:
		if owner != "" && !d.exists(owner) {
			d.problem("schema %q: owner %q does not exist and is not declared", w.Name, owner)
		}
		sql := "CREATE SCHEMA " + ident(w.Name)
		summary := "create schema " + ident(w.Name)
		var dep deps
		if owner != "" && owner != d.snap.Server.User {
			sql += " AUTHORIZATION " + ident(owner)
			summary += " owned by " + ident(owner)
			dep.needs = append(rolesExist(owner), d.needActAs(owner, fmt.Sprintf("create schema %q owned by it", w.Name)))
		}
		if owner == "" {
			owner = d.snap.Server.User
		}
		dep.provides = []resource{schemaExists(w.Name), schemaOwnedBy(w.Name, owner)}
		d.checkCreateInDB(summary)
		d.add(Change{Action: "create", Object: "schema", Name: w.Name, Summary: summary, SQL: []string{sql}, rank: rankCreateSchema, order: nameKey(w.Name), deps: dep})
		h = state.NewSchema(w.Name, owner)
	case owner != "" && h.Owner != owner:
		if !d.exists(owner) {
			d.problem("schema %q: owner %q does not exist and is not declared", w.Name, owner)
		}
		// Acting as the old owner, which must still exist: the move runs
		// before the old owner is dropped or loses the right to act as it.
		dep := deps{
			needs: append(rolesExist(h.Owner, owner),
				d.needActAs(h.Owner, fmt.Sprintf("give schema %q away", w.Name)),
				d.needActAs(owner, fmt.Sprintf("make it the owner of schema %q", w.Name))),
			provides: []resource{schemaOwnedBy(w.Name, owner)},
			removes:  []resource{schemaOwnedBy(w.Name, h.Owner)},
		}
		summary := fmt.Sprintf("change the owner of schema %s from %s to %s", ident(w.Name), ident(h.Owner), ident(owner))
		d.checkCreateInDB(summary)
		d.add(Change{Action: "alter", Object: "schema", Name: w.Name, Summary: summary,
			SQL: []string{"ALTER SCHEMA " + ident(w.Name) + " OWNER TO " + ident(owner)}, rank: rankCreateSchema, order: nameKey(w.Name),
			deps: dep})
	default:
		owner = d.ownerAfterDrops(h.Owner)
	}
	d.schemaPrivileges(w, h, owner)
	for _, kind := range state.ObjectKinds {
		d.objectPrivileges(w.Name, owner, kind, w.Objects[kind], h.Objects[kind])
	}
	d.defaultPrivileges(w, h, owner)
}

func (d *differ) checkCreateInDB(what string) {
	if !d.super() && !d.snap.Server.CreateInDB {
		d.problem("cannot %s: %q lacks CREATE on database %q", what, d.snap.Server.User, d.want.Name)
	}
}

func (d *differ) schemaPrivileges(w, h *state.Schema, owner string) {
	need, extra := map[string][]string{}, map[string][]string{}
	eachDiffering(w.Privileges, h.Privileges, func(g string, wp, hp state.PrivSet) {
		if d.managed[g] && g != owner {
			addIfAny(need, g, wp.Minus(hp, state.SchemaPrivileges))
			addIfAny(extra, g, hp.Minus(wp, state.SchemaPrivileges))
		}
	})
	d.schemaGrants(w.Name, owner, need, extra, false)
}

// schemaGrants plans grants and revokes on a schema; explicit marks
// revokes the spec asks for even in additive mode (PUBLIC's policy).
func (d *differ) schemaGrants(schema, owner string, need, extra map[string][]string, explicit bool) {
	s := ident(schema)
	for _, g := range groupByPrivs(need) {
		acts := d.needActAs(owner, fmt.Sprintf("grant privileges on schema %q", schema))
		dep := d.onSchema(schema, owner, acts, g.grantees)
		if slices.Contains(g.privs, "CREATE") {
			for _, r := range g.grantees {
				dep.provides = append(dep.provides, createOn(schema, r))
			}
		}
		d.add(Change{Action: "grant", Object: "schema", Name: schema,
			Summary: fmt.Sprintf("grant %s on schema %s to %s", strings.Join(g.privs, ", "), s, quotedList(g.grantees)),
			SQL:     []string{fmt.Sprintf("GRANT %s ON SCHEMA %s TO %s", strings.Join(g.privs, ", "), s, quotedList(g.grantees))},
			rank:    rankSchemaGrants, order: nameKey(append([]string{schema}, g.grantees...)...),
			deps: dep})
	}
	for _, g := range groupByPrivs(extra) {
		d.begin()
		acts := d.needActAs(owner, fmt.Sprintf("revoke privileges on schema %q", schema))
		dep := d.onSchema(schema, owner, acts, g.grantees)
		for _, r := range g.grantees {
			if slices.Contains(g.privs, "USAGE") {
				// after what the grantees do in the schema as grantors
				dep.removes = append(dep.removes, usage(schema, r))
			}
			if slices.Contains(g.privs, "CREATE") {
				dep.removes = append(dep.removes, createOn(schema, r))
			}
		}
		d.add(Change{Action: "revoke", Object: "schema", Name: schema,
			Summary: fmt.Sprintf("revoke %s on schema %s from %s", strings.Join(g.privs, ", "), s, quotedList(g.grantees)),
			SQL:     []string{fmt.Sprintf("REVOKE %s ON SCHEMA %s FROM %s", strings.Join(g.privs, ", "), s, quotedList(g.grantees))},
			rank:    rankRevokeSchema, order: nameKey(append([]string{schema}, g.grantees...)...), mark: mark{explicit: explicit},
			deps: dep})
		d.end()
	}
}

// onSchema is what a change of privileges on schema (or its objects), made
// as its owner, depends on: the schema, owned by owner (its owner once the
// plan has run), the right to act as owner, and the grantees. It also
// runs while the user acts as the schema's current owner, if the plan has
// it do so: a schema that a dropped role's REASSIGN OWNED gives to its
// receiver is still the dropped role's until then.
func (d *differ) onSchema(schema, owner string, acts resource, grantees []string) deps {
	dep := deps{needs: append(rolesExist(grantees...), schemaExists(schema), schemaOwnedBy(schema, owner), acts)}
	if h := d.have.Schemas[schema]; h != nil && h.Owner != owner {
		dep.needs = append(dep.needs, actingAs(h.Owner))
	}
	return dep
}

// publicSchema applies the PUBLIC policy for creating objects in schema public.
func (d *differ) publicSchema() {
	want := d.want.Public.CreateInPublicSchema
	h := d.have.Schemas["public"]
	if want == nil || h == nil {
		return
	}
	has := h.Privileges[state.Public].Has("CREATE")
	need, extra := map[string][]string{}, map[string][]string{}
	if *want && !has {
		need[state.Public] = []string{"CREATE"}
	}
	if !*want && has {
		extra[state.Public] = []string{"CREATE"}
	}
	if len(need)+len(extra) == 0 {
		return
	}
	if r := d.snap.Roles[h.Owner]; r != nil && r.Superuser && !d.super() {
		d.problem("schema public is owned by the superuser %q, so %q cannot change what PUBLIC may do in it (PostgreSQL would silently do nothing); make the database owner own it: ALTER SCHEMA public OWNER TO %s",
			h.Owner, d.snap.Server.User, ident(d.have.Owner))
		return
	}
	d.schemaGrants("public", h.Owner, need, extra, true)
}

// kindSQL names an object kind in GRANT ... ON ALL <x> IN SCHEMA, in
// ALTER DEFAULT PRIVILEGES ... ON <x>, and before one object's name.
var kindSQL = map[state.ObjectKind]struct{ all, defaults, one string }{
	state.Tables:    {"ALL TABLES", "TABLES", "TABLE"},
	state.Sequences: {"ALL SEQUENCES", "SEQUENCES", "SEQUENCE"},
	state.Functions: {"ALL ROUTINES", "FUNCTIONS", ""},
}

// objectPrivileges plans privileges on the existing objects of one kind:
// one schema-wide statement per privilege list and all its grantees where
// a privilege is missing from every object, per-object statements only for
// partial drift.
//
// schemaOwner is the schema's owner once the plan has run: naming objects
// in a schema needs USAGE on it, which the objects' owners may have lost
// (a former schema owner), so the connected user acts as the schema owner
// too.
func (d *differ) objectPrivileges(schema, schemaOwner string, kind state.ObjectKind, w, h *state.ObjectGrants) {
	if h == nil || h.Total == 0 {
		return
	}
	order := state.KindPrivilegesOn(kind, d.snap.Server.Major())
	orderBits := make([]state.PrivSet, len(order))
	for i, p := range order {
		orderBits[i] = state.PrivOf(p)
	}
	wide, wideRevoke := map[string][]string{}, map[string][]string{}
	var perObj, perObjRevoke []objectPriv
	for _, g := range differingGrantees(w, h) {
		if !d.governs(g, kind, w) || h.OwnedBy[g] == h.Total {
			continue
		}
		wantFull, hasFull := w.Full[g], h.Full[g]
		for i, p := range order {
			wanted, full := wantFull&orderBits[i] != 0, hasFull&orderBits[i] != 0
			partial := h.Partial[g][p]
			named := w.Named[g][p]
			// Routines are always granted and revoked schema-wide.
			perObject := partial != nil && kind != state.Functions
			switch {
			case wanted && full:
			case wanted && perObject:
				for _, obj := range partial.Lacks(h, g) {
					perObj = append(perObj, objectPriv{g, obj, p})
				}
			case wanted:
				wide[g] = append(wide[g], p)
			case named != nil:
				grant, revoke := namedDrift(h, g, named, full, partial)
				for _, obj := range grant {
					perObj = append(perObj, objectPriv{g, obj, p})
				}
				for _, obj := range revoke {
					perObjRevoke = append(perObjRevoke, objectPriv{g, obj, p})
				}
			case full || partial != nil && !perObject:
				wideRevoke[g] = append(wideRevoke[g], p)
			case perObject:
				for _, obj := range partial.Has(h, g) {
					perObjRevoke = append(perObjRevoke, objectPriv{g, obj, p})
				}
			}
		}
	}
	if len(wide)+len(wideRevoke)+len(perObj)+len(perObjRevoke) == 0 {
		return
	}
	d.begin()
	defer d.end()
	var acts []resource
	for _, owner := range state.SortedKeys(h.OwnedBy) {
		acts = append(acts, d.needActAs(owner, fmt.Sprintf("grant privileges on %s in schema %q", kind, schema)))
	}
	dep := func(grantees []string) deps {
		dep := d.onSchema(schema, schemaOwner, d.needActAs(schemaOwner, fmt.Sprintf("look up %s in schema %q (USAGE on it)", kind, schema)), grantees)
		dep.needs = append(dep.needs, acts...)
		return dep
	}
	k := kindSQL[kind]
	s := ident(schema)
	name := schema + "." + string(kind)
	for _, g := range groupByPrivs(wide) {
		d.add(Change{Action: "grant", Object: Object(kind), Name: name,
			Summary: fmt.Sprintf("grant %s on all %s in %s to %s", strings.Join(g.privs, ", "), pluralize(h.Total, strings.TrimSuffix(string(kind), "s"), string(kind)), s, quotedList(g.grantees)),
			SQL:     []string{fmt.Sprintf("GRANT %s ON %s IN SCHEMA %s TO %s", strings.Join(g.privs, ", "), k.all, s, quotedList(g.grantees))},
			rank:    rankObjectGrants, order: key(names(schema, string(kind)), num(slotWide), names(g.grantees...)),
			deps: dep(g.grantees)})
	}
	for _, g := range groupByPrivs(wideRevoke) {
		d.add(Change{Action: "revoke", Object: Object(kind), Name: name,
			Summary: fmt.Sprintf("revoke %s on all %s in %s from %s", strings.Join(g.privs, ", "), kind, s, quotedList(g.grantees)),
			SQL:     []string{fmt.Sprintf("REVOKE %s ON %s IN SCHEMA %s FROM %s", strings.Join(g.privs, ", "), k.all, s, quotedList(g.grantees))},
			rank:    rankRevokeObjects, order: key(names(schema, string(kind)), num(slotWide), names(g.grantees...)),
			deps: revoking(dep(g.grantees), tableOptionsRevoked(schema, kind, nil, g.privs, g.grantees))})
	}
	for i, st := range groupObjectPrivs(perObj) {
		d.add(Change{Action: "grant", Object: Object(kind), Name: name,
			Summary: fmt.Sprintf("grant %s on %s to %s (repairs partial drift)", strings.Join(st.privs, ", "), objectNames(schema, st.objects), quotedList(st.grantees)),
			SQL:     []string{fmt.Sprintf("GRANT %s ON %s %s TO %s", strings.Join(st.privs, ", "), k.one, qualifiedList(schema, st.objects), quotedList(st.grantees))},
			rank:    rankObjectGrants, order: key(names(schema, string(kind)), num(slotPerObject), num(i)),
			deps: dep(st.grantees)})
	}
	for i, st := range groupObjectPrivs(perObjRevoke) {
		d.add(Change{Action: "revoke", Object: Object(kind), Name: name,
			Summary: fmt.Sprintf("revoke %s on %s from %s", strings.Join(st.privs, ", "), objectNames(schema, st.objects), quotedList(st.grantees)),
			SQL:     []string{fmt.Sprintf("REVOKE %s ON %s %s FROM %s", strings.Join(st.privs, ", "), k.one, qualifiedList(schema, st.objects), quotedList(st.grantees))},
			rank:    rankRevokeObjects, order: key(names(schema, string(kind)), num(slotPerObject), num(i)),
			deps: revoking(dep(st.grantees), tableOptionsRevoked(schema, kind, st.objects, st.privs, st.grantees))})
	}
}

// differingGrantees returns, sorted, the grantees whose privileges on the
// objects may differ between want and have: those whose full privileges
// differ, or who hold some privileges on some objects only, or are granted
// privileges on named objects. At L, a schema's thousand grantees usually
// hold the same on both sides, and are left out without building a list.
func differingGrantees(w, h *state.ObjectGrants) []string {
	var out []string
	special := func(g string) bool { return h.Partial[g] != nil || w.Named[g] != nil }
	for g, wp := range w.Full {
		if wp != h.Full[g] || special(g) {
			out = append(out, g)
		}
	}
	for g, hp := range h.Full {
		if _, ok := w.Full[g]; !ok && (hp != 0 || special(g)) {
			out = append(out, g)
		}
	}
	for g := range h.Partial {
		_, inW := w.Full[g]
		_, inH := h.Full[g]
		if !inW && !inH {
			out = append(out, g)
		}
	}
	for g := range w.Named {
		_, inW := w.Full[g]
		_, inH := h.Full[g]
		if !inW && !inH && h.Partial[g] == nil {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// Slots of the changes on the objects of one kind in one schema: revokes
// along grant chains, schema-wide statements, per-object statements,
// column privileges.
const (
	slotChains = iota
	slotWide
	slotPerObject
	slotColumns
)

// namedDrift compares a privilege wanted on named objects with the objects
// that have it: it returns the existing named objects that lack it and the
// other objects that have it. Named objects that do not exist yet are
// granted once they do; the grantee's own objects are left out.
func namedDrift(h *state.ObjectGrants, g string, named map[string]bool, full bool, partial *state.Partial) (grant, revoke []string) {
	has := map[string]bool{}
	switch {
	case full:
		for _, o := range h.Names {
			has[o] = true
		}
	case partial != nil:
		for _, o := range partial.Has(h, g) {
			has[o] = true
		}
	}
	for _, o := range h.Names {
		if h.NameOwners[o] == g {
			continue
		}
		switch {
		case named[o] && !has[o]:
			grant = append(grant, o)
		case !named[o] && has[o]:
			revoke = append(revoke, o)
		}
	}
	return grant, revoke
}

func qualifiedList(schema string, objects []string) string {
	q := make([]string, len(objects))
	for i, o := range objects {
		q[i] = qualified(schema, o)
	}
	return strings.Join(q, ", ")
}

func objectNames(schema string, objects []string) string {
	if len(objects) <= 3 {
		return qualifiedList(schema, objects)
	}
	return fmt.Sprintf("%s and %d more", qualifiedList(schema, objects[:3]), len(objects)-3)
}

// objectPriv is one privilege on one object for one grantee.
type objectPriv struct{ grantee, object, priv string }

// objectStatement is one per-object GRANT or REVOKE.
type objectStatement struct {
	privs, objects, grantees []string
}

// groupObjectPrivs packs per-object privileges into as few statements as
// it can: either one statement per object and privilege list (all its
// grantees), or one per grantee and privilege list (all its objects),
// whichever is fewer.
func groupObjectPrivs(items []objectPriv) []objectStatement {
	if len(items) == 0 {
		return nil
	}
	// privileges per (grantee, object)
	type pair struct{ grantee, object string }
	privs := map[pair][]string{}
	var pairs []pair
	for _, it := range items {
		p := pair{it.grantee, it.object}
		if _, ok := privs[p]; !ok {
			pairs = append(pairs, p)
		}
		privs[p] = append(privs[p], it.priv)
	}
	group := func(byObject bool) []objectStatement {
		idx := map[string]*objectStatement{}
		var keys []string
		for _, p := range pairs {
			outer, inner := p.grantee, p.object
			if byObject {
				outer, inner = p.object, p.grantee
			}
			key := outer + "\x00" + strings.Join(privs[p], ",")
			st := idx[key]
			if st == nil {
				st = &objectStatement{privs: privs[p]}
				idx[key] = st
				keys = append(keys, key)
			}
			if byObject {
				st.objects = []string{outer}
				st.grantees = append(st.grantees, inner)
			} else {
				st.grantees = []string{outer}
				st.objects = append(st.objects, inner)
			}
		}
		sort.Strings(keys)
		out := make([]objectStatement, len(keys))
		for i, k := range keys {
			st := idx[k]
			sort.Strings(st.objects)
			sort.Strings(st.grantees)
			out[i] = *st
		}
		return out
	}
	byObject, byGrantee := group(true), group(false)
	if len(byObject) <= len(byGrantee) {
		return byObject
	}
	return byGrantee
}

// defaultPrivileges plans ALTER DEFAULT PRIVILEGES for each creator in the
// schema. owner is the schema's owner once the plan has run: it stands for
// the owner of a schema the spec declares without one. The default
// privileges of a role the plan drops are left to DROP OWNED.
func (d *differ) defaultPrivileges(w, h *state.Schema, owner string) {
	s := ident(w.Name)
	wantDefaults := ownerDefaults(w.Defaults, owner)
	for _, creator := range union(wantDefaults, h.Defaults) {
		if d.dropped[creator] {
			continue
		}
		reported := false
		for ki, kind := range state.ObjectKinds {
			wg, hg := wantDefaults[creator][kind], h.Defaults[creator][kind]
			need, extra := map[string][]string{}, map[string][]string{}
			order := state.KindPrivilegesOn(kind, d.snap.Server.Major())
			eachDiffering(wg, hg, func(g string, wp, hp state.PrivSet) {
				if d.governs(g, kind, w.Objects[kind]) {
					addIfAny(need, g, wp.Minus(hp, order))
					addIfAny(extra, g, hp.Minus(wp, order))
				}
			})
			groups, revokes := groupByPrivs(need), groupByPrivs(extra)
			if len(groups)+len(revokes) == 0 {
				continue
			}
			d.begin()
			d.would(mark{removal: len(groups) == 0})
			if !d.exists(creator) {
				// A missing owner is reported where the schema is planned.
				if creator != owner && !reported {
					d.problem("schema %q: default_privileges_for names %q, which does not exist and is not declared", w.Name, creator)
				}
				reported = true
				d.end()
				continue
			}
			acts := d.needActAs(creator, fmt.Sprintf("set default privileges for objects it creates in schema %q", w.Name))
			dep := func(grantees []string) deps {
				return deps{needs: append(rolesExist(append([]string{creator}, grantees...)...), schemaExists(w.Name), acts)}
			}
			k := kindSQL[kind].defaults
			prefix := fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA %s ", ident(creator), s)
			for _, g := range groups {
				d.add(Change{Action: "grant", Object: "default privileges", Name: w.Name + "." + string(kind),
					Summary: fmt.Sprintf("future %s %s creates in %s: grant %s to %s", kind, ident(creator), s, strings.Join(g.privs, ", "), quotedList(g.grantees)),
					SQL:     []string{fmt.Sprintf("%sGRANT %s ON %s TO %s", prefix, strings.Join(g.privs, ", "), k, quotedList(g.grantees))},
					rank:    rankDefaultGrants, order: key(num(slotSchemaDefaults), names(w.Name), names(creator), num(ki), names(g.grantees...)),
					deps: dep(g.grantees)})
			}
			for _, g := range revokes {
				d.add(Change{Action: "revoke", Object: "default privileges", Name: w.Name + "." + string(kind),
					Summary: fmt.Sprintf("future %s %s creates in %s: revoke %s from %s", kind, ident(creator), s, strings.Join(g.privs, ", "), quotedList(g.grantees)),
					SQL:     []string{fmt.Sprintf("%sREVOKE %s ON %s FROM %s", prefix, strings.Join(g.privs, ", "), k, quotedList(g.grantees))},
					rank:    rankRevokeDefaults, order: key(num(slotSchemaDefaults), names(w.Name), names(creator), num(ki), names(g.grantees...)),
					deps: dep(g.grantees)})
			}
			d.end()
		}
	}
}

// Slots of default privileges: database-wide ones first, then per schema.
const (
	slotGlobalDefaults = iota
	slotSchemaDefaults
)

// extensions plans CREATE and DROP EXTENSION. The schema applies when an
// extension is created: many extensions cannot move, so it is not converged.
func (d *differ) extensions() {
	for _, name := range state.SortedKeys(d.want.Extensions) {
		w, h := d.want.Extensions[name], d.have.Extensions[name]
		switch {
		case w.Absent && h != nil:
			d.add(Change{Action: "drop", Object: "extension", Name: name, Summary: "drop extension " + ident(name),
				SQL: []string{"DROP EXTENSION " + ident(name)}, rank: rankDropExtension, order: nameKey(name),
				mark: mark{explicit: d.opts.DropAbsentExtensions}})
		case w.Absent:
		case h == nil:
			if !d.snap.Server.Installable[name] {
				d.problem("extension %q is not available on this server (see pg_available_extensions); install it or remove it from the spec", name)
				continue
			}
			if d.snap.Server.ExtensionNeedsSuperuser[name] && !d.super() && !d.snap.Server.RDS {
				d.problem("extension %q is not trusted: only a superuser may create it, and %q is not one; create it once as a superuser, or remove it from the spec", name, d.snap.Server.User)
				continue
			}
			// Without a schema, an extension goes where a plain CREATE
			// EXTENSION of an ordinary session would put it, public (unless
			// its control file fixes one): rolekeeper's own search_path
			// starts with pg_catalog, where it must not land.
			schema := w.Schema
			if schema == "" && d.snap.Server.ExtensionFixedSchema[name] == "" {
				schema = DefaultExtensionSchema
				if !d.snap.Server.SchemaExists[schema] && d.want.Schemas[schema] == nil {
					d.problem("extension %q has no schema in the spec, and schema %q, where it would go, does not exist; give it one (extensions: {%s: {schema: ...}}) or declare schema %q", name, schema, name, schema)
					continue
				}
			}
			if s := w.Schema; s != "" && !d.snap.Server.SchemaExists[s] && d.want.Schemas[s] == nil {
				d.problem("extension %q is to be created in schema %q, which does not exist and the spec does not declare; declare it under schemas, or give the extension another schema", name, s)
				continue
			}
			sql := "CREATE EXTENSION IF NOT EXISTS " + ident(name)
			if schema != "" {
				sql += " SCHEMA " + ident(schema)
			}
			d.checkCreateInDB("create extension " + ident(name))
			var dep deps
			if schema != "" {
				dep.needs = []resource{schemaExists(schema)}
			}
			d.add(Change{Action: "create", Object: "extension", Name: name, Summary: "create extension " + ident(name),
				SQL: []string{sql}, rank: rankExtensions, order: nameKey(name), deps: dep})
		}
	}
}

// DefaultExtensionSchema is where an extension the spec gives no schema
// is created (unless its control file fixes one).
const DefaultExtensionSchema = "public"

// ownerDefaults returns the desired default privileges with those of the
// schema's owner, whoever it is (state.SchemaOwner), given to owner; the
// owner's own privileges are implicit, so it is left out as a grantee.
func ownerDefaults(defaults map[string]map[state.ObjectKind]state.Grants, owner string) map[string]map[state.ObjectKind]state.Grants {
	byKind, ok := defaults[state.SchemaOwner]
	if !ok {
		return defaults
	}
	out := make(map[string]map[state.ObjectKind]state.Grants, len(defaults))
	for creator, k := range defaults {
		if creator != state.SchemaOwner {
			out[creator] = k
		}
	}
	merged := map[state.ObjectKind]state.Grants{}
	for kind, g := range out[owner] {
		merged[kind] = state.Grants{}
		for grantee, privs := range g {
			merged[kind].AddSet(grantee, privs)
		}
	}
	for kind, g := range byKind {
		if merged[kind] == nil {
			merged[kind] = state.Grants{}
		}
		for grantee, privs := range g {
			if grantee != owner {
				merged[kind].AddSet(grantee, privs)
			}
		}
	}
	out[owner] = merged
	return out
}
