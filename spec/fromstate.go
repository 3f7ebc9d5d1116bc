package spec

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// FromState writes a spec that describes an actual state: what
// `rolekeeper inspect` prints to adopt an existing database. skip reports
// roles to leave out (system roles, the connected user). Privileges held on
// only some objects of a schema are written as grants on those objects;
// things the spec would change are returned as notes. Identical access is
// grouped so the spec stays short: a privilege set given more than once
// becomes a named profile, and the same access on every schema of one
// owner becomes one access_owned_by entry.
func FromState(db *state.Database, skip func(string) bool) (*Spec, []string) {
	s := &Spec{Database: db.Name, Schemas: map[string]*Schema{}, Roles: map[string]*Role{}}
	var notes []string
	for _, name := range state.SortedKeys(db.Schemas) {
		sc := db.Schemas[name]
		out := &Schema{}
		if name != "public" {
			out.Owner = sc.Owner
		}
		for _, creator := range state.SortedKeys(sc.Defaults) {
			if creator != sc.Owner && !skip(creator) {
				out.DefaultPrivilegesFor = append(out.DefaultPrivilegesFor, creator)
			}
		}
		s.Schemas[name] = out
	}
	for _, name := range state.SortedKeys(db.Roles) {
		r := db.Roles[name]
		if skip(name) {
			continue
		}
		if keywordRoleNames[strings.ToLower(name)] {
			// Created quoted ("PUBLIC", "None"): a spec names PUBLIC and
			// the keywords so, and cannot declare it.
			notes = append(notes, fmt.Sprintf("role %q is left out: a spec cannot declare a role of that name (PostgreSQL's grammar gives it a meaning of its own); rolekeeper leaves it alone", name))
			continue
		}
		out := &Role{CreateDB: r.CreateDB, CreateRole: r.CreateRole, BypassRLS: r.BypassRLS, Replication: r.Replication}
		login := r.Login
		if _, iam := r.MemberOf[state.IAMRole]; iam && r.Login {
			out.Auth = "iam"
		} else if r.Login {
			out.Login = &login
		}
		if !r.Inherit {
			f := false
			out.Inherit = &f
		}
		if r.ConnectionLimit != -1 {
			n := r.ConnectionLimit
			out.ConnectionLimit = &n
		}
		out.ValidUntil = r.ValidUntil
		if len(r.AllDatabaseSettings) > 0 {
			out.SettingsInAllDatabases = map[string]Setting{}
			for k, v := range r.AllDatabaseSettings {
				out.SettingsInAllDatabases[k] = Setting(v)
			}
		}
		if len(r.Settings) > 0 {
			out.Settings = map[string]Setting{}
			for k, v := range r.Settings {
				out.Settings[k] = Setting(v)
			}
		}
		for _, m := range state.SortedKeys(r.MemberOf) {
			if m == state.IAMRole && out.Auth == "iam" {
				continue
			}
			out.MemberOf = append(out.MemberOf, m)
			if adminRoles[m] || m == state.IAMRole {
				out.AllowAdminRoles = true
			}
		}
		for _, p := range db.Privileges[name].Minus(0, state.DatabasePrivileges) {
			if p != "CONNECT" || !r.Login {
				out.DatabasePrivileges = append(out.DatabasePrivileges, p)
			}
		}
		out.hasConnect = db.Privileges[name].Has("CONNECT")
		if r.Login && !out.hasConnect {
			notes = append(notes, noConnectNote(name))
		}
		for _, schema := range state.SortedKeys(db.Schemas) {
			a, note := accessOf(db.Schemas[schema], name)
			if note != "" {
				notes = append(notes, note)
			}
			if a != nil {
				if out.Access == nil {
					out.Access = map[string]*Access{}
				}
				out.Access[schema] = a
			}
			out.Grants = append(out.Grants, partialGrants(db.Schemas[schema], name)...)
		}
		s.Roles[name] = out
	}
	pub := &Public{}
	connect, temp := db.Privileges[state.Public].Has("CONNECT"), db.Privileges[state.Public].Has("TEMPORARY")
	pub.Connect, pub.Temporary = &connect, &temp
	if ps := db.Schemas["public"]; ps != nil {
		create := ps.Privileges[state.Public].Has("CREATE")
		pub.CreateInPublicSchema = &create
	}
	s.Public = pub
	s.groupAccess()
	if len(db.Settings) > 0 {
		s.DatabaseSettings = map[string]Setting{}
		for k, v := range db.Settings {
			s.DatabaseSettings[k] = Setting(v)
		}
	}
	for _, name := range state.SortedKeys(db.Extensions) {
		if name == "plpgsql" {
			continue
		}
		if s.Extensions == nil {
			s.Extensions = Extensions{}
		}
		s.Extensions[name] = &Extension{}
	}
	var more []string
	s.DefaultPrivileges, more = globalDefaultsFromState(db, skip)
	notes = append(notes, more...)
	notes = append(notes, columnNotes(db, skip)...)
	return s, notes
}

// accessOf returns what a role may do in a schema, as a built-in profile
// name when one matches exactly, and a note when the owner's default
// privileges give more than the existing objects of a kind all have.
func accessOf(sc *state.Schema, role string) (*Access, string) {
	p := &Privileges{Schema: sc.Privileges[role].Minus(0, state.SchemaPrivileges)}
	kinds := []struct {
		kind state.ObjectKind
		to   *[]string
	}{{state.Tables, &p.Tables}, {state.Sequences, &p.Sequences}, {state.Functions, &p.Functions}}
	var more []string
	for _, k := range kinds {
		og, order := sc.Objects[k.kind], state.KindPrivileges[k.kind]
		*k.to = og.Full[role].Minus(0, order)
		d := sc.Defaults[sc.Owner]
		if d == nil {
			continue
		}
		// Default privileges the owner set count too where there is no
		// object of the kind: then they are all there is to read. Where
		// there are objects, access is what every one has: a privilege
		// revoked on one of them is not claimed (applying the spec
		// would grant it back), and the defaults that give it are noted.
		if og.Total == 0 {
			*k.to = mergePrivs(*k.to, d[k.kind][role], order)
		} else if extra := d[k.kind][role].Minus(og.Full[role], order); len(extra) > 0 {
			more = append(more, fmt.Sprintf("%s on future %s", strings.Join(extra, ", "), k.kind))
		}
	}
	note := ""
	if len(more) > 0 {
		note = fmt.Sprintf("role %s: the default privileges of %s in schema %s give %s, which not every existing one has; the spec's access gives existing and future objects alike, so plan shows those default privileges revoked", role, sc.Owner, sc.Name, strings.Join(more, "; "))
	}
	if len(p.Schema)+len(p.Tables)+len(p.Sequences)+len(p.Functions) == 0 {
		return nil, note
	}
	for _, name := range BuiltinProfiles() {
		if samePrivileges(p, builtinProfiles[name]) {
			return &Access{Profile: name}, note
		}
	}
	return &Access{Inline: p}, note
}

func mergePrivs(have []string, more state.PrivSet, order []string) []string {
	return (state.PrivsOf(have...) | more).Minus(0, order)
}

func samePrivileges(a, b *Privileges) bool {
	eq := func(x, y []string) bool { return strings.Join(x, ",") == strings.Join(y, ",") }
	return eq(a.Schema, b.Schema) && eq(a.Tables, b.Tables) && eq(a.Sequences, b.Sequences) && eq(a.Functions, b.Functions)
}

// partialGrants says, as grants on named objects, the privileges a role
// holds on some tables or sequences of a schema but not all: privileges
// held on the same objects share one grant.
func partialGrants(sc *state.Schema, role string) []*Grant {
	var out []*Grant
	for _, kind := range []state.ObjectKind{state.Tables, state.Sequences} {
		og := sc.Objects[kind]
		byObjects := map[string]*Grant{}
		var order []string
		for _, p := range og.Partial[role].Keys(state.KindPrivileges[kind]) {
			objs := og.Partial[role][p].Has(og, role)
			if len(objs) == 0 {
				continue
			}
			key := strings.Join(objs, "\x00")
			g := byObjects[key]
			if g == nil {
				g = &Grant{Schema: sc.Name}
				if kind == state.Tables {
					g.Tables = objs
				} else {
					g.Sequences = objs
				}
				byObjects[key] = g
				order = append(order, key)
			}
			g.Privileges = append(g.Privileges, p)
		}
		for _, k := range order {
			out = append(out, byObjects[k])
		}
	}
	return out
}

// groupAccess shortens the roles' access: an inline privilege set used
// more than once becomes a profile (inspected_1, inspected_2, ... in order
// of first use), and a role with the same access on every declared schema
// of one owner (two schemas or more) gets it as access_owned_by.
func (s *Spec) groupAccess() {
	roles := state.SortedKeys(s.Roles)
	key := func(p *Privileges) string {
		return strings.Join([]string{strings.Join(p.Schema, ","), strings.Join(p.Tables, ","), strings.Join(p.Sequences, ","), strings.Join(p.Functions, ",")}, ";")
	}
	uses := map[string]int{}
	for _, name := range roles {
		for _, a := range s.Roles[name].Access {
			if a.Inline != nil {
				uses[key(a.Inline)]++
			}
		}
	}
	var order []string // in order of first use, by role and schema
	seen := map[string]bool{}
	for _, name := range roles {
		access := s.Roles[name].Access
		for _, schema := range state.SortedKeys(access) {
			if a := access[schema]; a.Inline != nil {
				if k := key(a.Inline); !seen[k] && uses[k] > 1 {
					seen[k] = true
					order = append(order, k)
				}
			}
		}
	}
	profileOf := map[string]string{}
	for i, k := range order {
		name := fmt.Sprintf("inspected_%d", i+1)
		for s.Profiles[name] != nil {
			name += "_"
		}
		profileOf[k] = name
		if s.Profiles == nil {
			s.Profiles = map[string]*Privileges{}
		}
		s.Profiles[name] = nil // set below, from the first use
	}
	for _, name := range roles {
		for _, a := range s.Roles[name].Access {
			if a.Inline == nil {
				continue
			}
			if p, ok := profileOf[key(a.Inline)]; ok {
				if s.Profiles[p] == nil {
					s.Profiles[p] = a.Inline
				}
				a.Profile, a.Inline = p, nil
			}
		}
	}
	owned := map[string][]string{}
	for _, schema := range state.SortedKeys(s.Schemas) {
		if sc := s.Schemas[schema]; sc.Owner != "" {
			owned[sc.Owner] = append(owned[sc.Owner], schema)
		}
	}
	for _, name := range roles {
		r := s.Roles[name]
		for _, owner := range state.SortedKeys(owned) {
			schemas := owned[owner]
			if len(schemas) < 2 {
				continue
			}
			first := r.Access[schemas[0]]
			if first == nil || first.Inline != nil {
				continue
			}
			same := true
			for _, schema := range schemas[1:] {
				if a := r.Access[schema]; a == nil || a.Inline != nil || a.Profile != first.Profile {
					same = false
					break
				}
			}
			if !same {
				continue
			}
			if r.AccessOwnedBy == nil {
				r.AccessOwnedBy = map[string]*Access{}
			}
			r.AccessOwnedBy[owner] = &Access{Profile: first.Profile}
			for _, schema := range schemas {
				delete(r.Access, schema)
			}
		}
		if len(r.Access) == 0 {
			r.Access = nil
		}
	}
}

// noConnectNote says that a login role lacks CONNECT, which a
// one-database spec grants.
func noConnectNote(role string) string {
	return "role " + role + " may log in but has no CONNECT on the database: the spec grants it"
}
