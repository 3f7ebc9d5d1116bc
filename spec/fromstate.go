package spec

import (
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// FromState writes a spec that describes an actual state: what
// `rolekeeper inspect` prints to adopt an existing database. skip reports
// roles to leave out (system roles, the connected user). Privileges held on
// only some objects of a schema cannot be said in a spec; they are returned
// as notes, as are other things the spec would change.
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
		for _, p := range db.Privileges[name].Minus(nil, state.DatabasePrivileges) {
			if p != "CONNECT" || !r.Login {
				out.DatabasePrivileges = append(out.DatabasePrivileges, p)
			}
		}
		if r.Login && !db.Privileges[name]["CONNECT"] {
			notes = append(notes, "role "+name+" may log in but has no CONNECT on the database: the spec grants it")
		}
		for _, schema := range state.SortedKeys(db.Schemas) {
			if a := accessOf(db.Schemas[schema], name); a != nil {
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
	connect, temp := db.Privileges[state.Public]["CONNECT"], db.Privileges[state.Public]["TEMPORARY"]
	pub.Connect, pub.Temporary = &connect, &temp
	if ps := db.Schemas["public"]; ps != nil {
		create := ps.Privileges[state.Public]["CREATE"]
		pub.CreateInPublicSchema = &create
	}
	s.Public = pub
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
	return s, notes
}

// accessOf returns what a role may do in a schema, as a built-in profile
// name when one matches exactly.
func accessOf(sc *state.Schema, role string) *Access {
	p := &Privileges{
		Schema:    sc.Privileges[role].Minus(nil, state.SchemaPrivileges),
		Tables:    sc.Objects[state.Tables].Full[role].Minus(nil, state.KindPrivileges[state.Tables]),
		Sequences: sc.Objects[state.Sequences].Full[role].Minus(nil, state.KindPrivileges[state.Sequences]),
		Functions: sc.Objects[state.Functions].Full[role].Minus(nil, state.KindPrivileges[state.Functions]),
	}
	// Default privileges the owner set count too: in an empty schema they
	// are all there is to read.
	if d := sc.Defaults[sc.Owner]; d != nil {
		p.Tables = mergePrivs(p.Tables, d[state.Tables][role], state.KindPrivileges[state.Tables])
		p.Sequences = mergePrivs(p.Sequences, d[state.Sequences][role], state.KindPrivileges[state.Sequences])
		p.Functions = mergePrivs(p.Functions, d[state.Functions][role], state.KindPrivileges[state.Functions])
	}
	if len(p.Schema)+len(p.Tables)+len(p.Sequences)+len(p.Functions) == 0 {
		return nil
	}
	for _, name := range BuiltinProfiles() {
		if samePrivileges(p, builtinProfiles[name]) {
			return &Access{Profile: name}
		}
	}
	return &Access{Inline: p}
}

func mergePrivs(have []string, more state.PrivSet, order []string) []string {
	set := state.PrivSet{}
	for _, p := range have {
		set[p] = true
	}
	for p := range more {
		set[p] = true
	}
	return set.Minus(nil, order)
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
