package spec

import (
	"fmt"
	"maps"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// Additive reports whether the spec only grants and never revokes.
func (s *Spec) Additive() bool { return s.Mode == "additive" }

// Desired expands a valid spec into the state the database should reach.
// database is the name of the database when the spec does not give one.
// For a multi-database spec it is the database to expand (the first one
// when the spec does not list it).
func (s *Spec) Desired(database string) *state.Database {
	if s.MultiDatabase() {
		if _, ok := s.Databases[database]; !ok {
			database = s.DatabaseNames()[0]
		}
		return s.ForDatabase(database).Desired(database)
	}
	if s.Database != "" {
		database = s.Database
	}
	db := state.NewDatabase(database)
	for _, name := range state.SortedKeys(s.Roles) {
		db.Roles[name] = desiredRole(database, name, s.Roles[name])
	}
	for _, name := range state.SortedKeys(s.Roles) {
		if r := s.Roles[name]; r != nil && r.State != "absent" && r.Rotation == "alternating" {
			clone := cloneRole(db.Roles[name])
			db.Roles[clone.Name] = clone
			if clone.Login && !r.noConnect {
				db.Privileges.Add(clone.Name, "CONNECT")
			}
		}
	}
	// A profile is used by many roles on many schemas: its privileges are
	// expanded once, as are each schema's creators.
	sets := privilegeSets{}
	creators := map[string][]string{}
	// How many roles have access to each schema: its maps are made that
	// size at once (at L, a thousand grantees in each of 20 schemas).
	roleNames := state.SortedKeys(s.Roles)
	accessOf := make(map[string]map[string]*Access, len(s.Roles))
	grantees := map[string]int{}
	for _, name := range roleNames {
		if r := s.Roles[name]; r != nil && r.State != "absent" {
			accessOf[name] = s.schemaAccess(r)
			for schemaName := range accessOf[name] {
				grantees[schemaName]++
			}
		}
	}
	for _, name := range state.SortedKeys(s.Schemas) {
		sc := s.Schemas[name]
		owner := ""
		if sc != nil {
			owner = sc.Owner
		}
		st := state.NewSchema(name, owner)
		if n := grantees[name]; n > 0 {
			st.Privileges = make(state.Grants, n)
			for _, og := range st.Objects {
				og.Full = make(state.Grants, n)
			}
		}
		db.Schemas[name] = st
	}
	for _, name := range roleNames {
		r := s.Roles[name]
		if r == nil || r.State == "absent" {
			continue
		}
		if db.Roles[name].Login && !r.noConnect {
			db.Privileges.Add(name, "CONNECT")
		}
		for _, priv := range r.DatabasePrivileges {
			np, _ := normalizePrivilege(priv, state.DatabasePrivileges)
			db.Privileges.Add(name, expandAll(np, state.DatabasePrivileges)...)
		}
		for i, g := range r.Grants {
			kind, objects := state.Tables, g.Tables
			if len(g.Sequences) > 0 {
				kind, objects = state.Sequences, g.Sequences
			}
			sc := db.Schemas[g.Schema]
			sc.Privileges.Add(name, "USAGE") // the objects are unreachable without it
			sc.Objects[kind].AddNamed(name, normalizeList(g.Privileges, state.KindPrivileges[kind]), objects)
			if kind == state.Tables && namesMaintain(g.Privileges) {
				db.MaintainNamed = append(db.MaintainNamed, fmt.Sprintf("roles.%s.grants.%d", name, i))
			}
		}
		access := accessOf[name]
		for _, schemaName := range state.SortedKeys(access) {
			set := sets.of(s.accessPrivileges(access[schemaName]))
			if set.maintain {
				db.MaintainNamed = append(db.MaintainNamed, accessPath(access[schemaName], "roles."+name+".access."+schemaName))
			}
			sc := db.Schemas[schemaName]
			sc.Privileges.AddSet(name, set.schema)
			cs, ok := creators[schemaName]
			if !ok {
				cs = s.creators(schemaName)
				creators[schemaName] = cs
			}
			for ki, kind := range state.ObjectKinds {
				sc.Objects[kind].Full.AddSet(name, set.kinds[ki])
				for _, creator := range cs {
					if creator == name {
						continue
					}
					g := sc.Defaults[creator][kind]
					if g == nil {
						g = make(state.Grants, grantees[schemaName])
						sc.DefaultGrants(creator, kind) // the creator's entry
						sc.Defaults[creator][kind] = g
					}
					g.AddSet(name, set.kinds[ki])
				}
			}
		}
	}
	s.desiredGlobalDefaults(db)
	s.desiredMembers(db)
	s.desiredPublicAccess(db)
	s.desiredOwnership(db)
	if s.Public != nil {
		db.Public = state.PublicPolicy{
			Connect:              s.Public.Connect,
			Temporary:            s.Public.Temporary,
			CreateInPublicSchema: s.Public.CreateInPublicSchema,
		}
	}
	for name, val := range s.DatabaseSettings {
		db.Settings[strings.ToLower(name)] = []string(val)
	}
	for name, x := range s.Extensions {
		db.Extensions[name] = &state.Extension{Name: name, Schema: x.Schema, Absent: x.State == "absent"}
	}
	return db
}

// DefaultSecretName is the secret of a password role that names none.
func DefaultSecretName(database, role string) string { return "rolekeeper/" + database + "/" + role }

func desiredRole(database, name string, r *Role) *state.Role {
	if r == nil {
		r = &Role{}
	}
	out := &state.Role{
		Name:            name,
		Inherit:         true,
		ConnectionLimit: -1,
		Settings:        map[string][]string{},
		MemberOf:        map[string]state.Membership{},
		Auth:            state.AuthNone,
	}
	if r.State == "absent" {
		out.Absent = true
		out.ReassignTo = r.ReassignOwnedTo
		return out
	}
	if r.Auth != "" {
		out.Auth = state.Auth(r.Auth)
	}
	if out.Auth == state.AuthPassword {
		out.PasswordSecret = r.PasswordSecret
		if out.PasswordSecret == "" {
			out.PasswordSecret = DefaultSecretName(database, name)
		}
	}
	out.Login = out.Auth == state.AuthIAM || out.Auth == state.AuthPassword
	if r.Login != nil {
		out.Login = *r.Login
	}
	if r.Inherit != nil {
		out.Inherit = *r.Inherit
	}
	out.CreateDB, out.CreateRole, out.BypassRLS, out.Replication = r.CreateDB, r.CreateRole, r.BypassRLS, r.Replication
	if r.ConnectionLimit != nil {
		out.ConnectionLimit = *r.ConnectionLimit
	}
	out.ValidUntil, _ = ParseValidUntil(r.ValidUntil)
	for k, v := range r.Settings {
		out.Settings[strings.ToLower(k)] = []string(v)
	}
	for k, v := range r.SettingsInAllDatabases {
		if out.AllDatabaseSettings == nil {
			out.AllDatabaseSettings = map[string][]string{}
		}
		out.AllDatabaseSettings[strings.ToLower(k)] = []string(v)
	}
	for _, m := range r.MemberOf {
		out.MemberOf[m] = state.Membership{}
	}
	out.AllowAdminRoles = r.AllowAdminRoles
	if out.Auth == state.AuthIAM {
		out.MemberOf[state.IAMRole] = state.Membership{}
	}
	return out
}

// cloneRole is the second role of an alternating-users rotation pair: it
// logs in like r, with r's attributes and settings (settings are not
// inherited), and has r's privileges as a member of r. It shares r's
// secret: the secret's username says which of the two is current.
func cloneRole(r *state.Role) *state.Role {
	c := *r
	c.Name = r.Name + state.CloneSuffix
	c.Alternate, r.Alternate = r.Name, c.Name
	c.Inherit = true
	c.Settings = maps.Clone(r.Settings)
	c.AllDatabaseSettings = maps.Clone(r.AllDatabaseSettings)
	c.MemberOf = map[string]state.Membership{r.Name: {}}
	return &c
}

// creators returns the roles whose future objects in a schema get default
// privileges: the owner (state.SchemaOwner when the spec names none), then
// default_privileges_for, without repeats.
func (s *Spec) creators(schema string) []string {
	sc := s.Schemas[schema]
	if sc == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	owner := sc.Owner
	if owner == "" {
		owner = state.SchemaOwner // whoever owns it: resolved by the plan
	}
	for _, c := range append([]string{owner}, sc.DefaultPrivilegesFor...) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func (s *Spec) accessPrivileges(a *Access) *Privileges {
	if a.Inline != nil {
		return a.Inline
	}
	p, _ := s.profile(a.Profile)
	return p
}

// accessSet is a privilege set of the spec (a profile or an inline set)
// as bit masks: on the schema, and on each of state.ObjectKinds.
type accessSet struct {
	schema   state.PrivSet
	kinds    []state.PrivSet // by index in state.ObjectKinds
	maintain bool            // names MAINTAIN on tables (namesMaintain)
}

// privilegeSets expands each privilege set of the spec once.
type privilegeSets map[*Privileges]*accessSet

func (m privilegeSets) of(p *Privileges) *accessSet {
	if a := m[p]; a != nil {
		return a
	}
	a := &accessSet{schema: state.PrivsOf(normalizeList(p.Schema, state.SchemaPrivileges)...), maintain: namesMaintain(p.Tables),
		kinds: make([]state.PrivSet, len(state.ObjectKinds))}
	for i, kind := range state.ObjectKinds {
		a.kinds[i] = state.PrivsOf(normalizeList(p.kind(kind), state.KindPrivileges[kind])...)
	}
	m[p] = a
	return a
}

func (p *Privileges) kind(k state.ObjectKind) []string {
	switch k {
	case state.Tables:
		return p.Tables
	case state.Sequences:
		return p.Sequences
	default:
		return p.Functions
	}
}

func normalizeList(list, allowed []string) []string {
	var out []string
	for _, x := range list {
		np, ok := normalizePrivilege(x, allowed)
		if ok {
			out = append(out, expandAll(np, allowed)...)
		}
	}
	return out
}

// namesMaintain reports whether a privilege list names MAINTAIN itself
// (ALL does not count: it means what the server's ALL means).
func namesMaintain(list []string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSpace(x), "MAINTAIN") {
			return true
		}
	}
	return false
}

// accessPath says where a profile name or inline set is used, naming the
// profile when there is one.
func accessPath(a *Access, where string) string {
	if a.Inline == nil && a.Profile != "" {
		return fmt.Sprintf("profile %q (used by %s)", a.Profile, where)
	}
	return where
}

func expandAll(p string, allowed []string) []string {
	if p == "ALL" {
		return allowed
	}
	return []string{p}
}

// schemaAccess returns a role's access by schema: access, and
// access_owned_by expanded to the declared schemas of each owner.
func (s *Spec) schemaAccess(r *Role) map[string]*Access {
	if len(r.AccessOwnedBy) == 0 {
		return r.Access
	}
	out := make(map[string]*Access, len(r.Access)+len(s.Schemas))
	for name, a := range r.Access {
		out[name] = a
	}
	for name, sc := range s.Schemas {
		if sc == nil || sc.Owner == "" {
			continue
		}
		if a, ok := r.AccessOwnedBy[sc.Owner]; ok {
			if _, explicit := out[name]; !explicit {
				out[name] = a
			}
		}
	}
	return out
}
