package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// DatabaseSpec is what one database of a multi-database spec holds: its
// schemas, privileges and settings, and what each cluster-wide role may do
// in it.
type DatabaseSpec struct {
	// Schemas the file manages in this database, by name.
	Schemas map[string]*Schema `yaml:"schemas,omitempty" json:"schemas,omitempty"`
	// Roles gives declared roles their access in this database.
	Roles map[string]*DatabaseRole `yaml:"roles,omitempty" json:"roles,omitempty"`
	// Extensions to create in this database.
	Extensions Extensions `yaml:"extensions,omitempty" json:"extensions,omitempty"`
	// Public is the policy for the PUBLIC pseudo-role in this database.
	Public *Public `yaml:"public,omitempty" json:"public,omitempty"`
	// DatabaseSettings are set with ALTER DATABASE ... SET.
	DatabaseSettings map[string]Setting `yaml:"database_settings,omitempty" json:"database_settings,omitempty"`
	// DefaultPrivileges are this database's database-wide default privileges.
	DefaultPrivileges map[string]map[string]*Access `yaml:"default_privileges,omitempty" json:"default_privileges,omitempty"`
}

// DatabaseRole is the part of a role that belongs to one database; the
// fields mean what the role fields of the same names mean.
type DatabaseRole struct {
	Access             map[string]*Access `yaml:"access,omitempty" json:"access,omitempty"`
	AccessOwnedBy      map[string]*Access `yaml:"access_owned_by,omitempty" json:"access_owned_by,omitempty"`
	Grants             []*Grant           `yaml:"grants,omitempty" json:"grants,omitempty"`
	DatabasePrivileges []string           `yaml:"database_privileges,omitempty" json:"database_privileges,omitempty"`
	// Settings are the role's settings in this database (ALTER ROLE ... IN DATABASE).
	Settings map[string]Setting `yaml:"settings,omitempty" json:"settings,omitempty"`
}

// perDatabaseRoleFields are the role fields that belong to one database;
// in a spec with databases they are given under databases.<name>.roles.
var perDatabaseRoleFields = []string{"access", "access_owned_by", "grants", "database_privileges", "settings"}

// perDatabaseTopFields are the top-level fields that belong to one
// database; in a spec with databases they are given under databases.<name>.
var perDatabaseTopFields = []string{"database", "schemas", "extensions", "public", "database_settings", "default_privileges"}

// MultiDatabase reports whether the spec declares several databases
// (the databases field) rather than one.
func (s *Spec) MultiDatabase() bool { return len(s.Databases) > 0 }

// DatabaseNames returns the databases of a multi-database spec in the
// order rolekeeper works on them: sorted by name (bytewise), so the order
// never depends on the file's layout. Nil for a one-database spec.
func (s *Spec) DatabaseNames() []string {
	if !s.MultiDatabase() {
		return nil
	}
	return state.SortedKeys(s.Databases)
}

// ForDatabase returns the one-database spec that database of a
// multi-database spec amounts to: the cluster-wide roles with their
// access in that database, the profiles and mode, and that database's
// schemas, privileges and settings. A login role gets CONNECT only on the
// databases that list it under roles. Password roles without a
// password_secret keep one secret for the cluster,
// rolekeeper/<first database>/<role>, whichever database is worked on.
// The spec returned shares maps with s; do not change it.
func (s *Spec) ForDatabase(database string) *Spec {
	d := s.Databases[database]
	if d == nil {
		d = &DatabaseSpec{}
	}
	out := &Spec{
		Version:           s.Version,
		Database:          database,
		Mode:              s.Mode,
		Profiles:          s.Profiles,
		Schemas:           d.Schemas,
		Extensions:        d.Extensions,
		Public:            d.Public,
		DatabaseSettings:  d.DatabaseSettings,
		DefaultPrivileges: d.DefaultPrivileges,
		Roles:             make(map[string]*Role, len(s.Roles)),
	}
	first := ""
	if names := s.DatabaseNames(); len(names) > 0 {
		first = names[0]
	}
	for name, r := range s.Roles {
		if r == nil {
			r = &Role{}
		}
		c := *r
		if c.Auth == "password" && c.PasswordSecret == "" && c.State != "absent" {
			c.PasswordSecret = DefaultSecretName(first, name)
		}
		dr, listed := d.Roles[name]
		c.noConnect = !listed
		if dr != nil {
			c.Access, c.AccessOwnedBy, c.Grants = dr.Access, dr.AccessOwnedBy, dr.Grants
			c.DatabasePrivileges, c.Settings = dr.DatabasePrivileges, dr.Settings
		}
		out.Roles[name] = &c
	}
	return out
}

// validateDatabases checks a multi-database spec: nothing of one database
// at the top level, roles' per-database fields only under databases, and
// each database's one-database spec valid, its errors named where they
// are in the file.
func (s *Spec) validateDatabases() Errors {
	v := &validator{s: s}
	top := map[string]bool{
		"database": s.Database != "", "schemas": s.Schemas != nil, "extensions": s.Extensions != nil,
		"public": s.Public != nil, "database_settings": s.DatabaseSettings != nil, "default_privileges": s.DefaultPrivileges != nil,
	}
	for _, f := range perDatabaseTopFields {
		if top[f] {
			v.add(p(f), "a spec with databases gives %s per database: move it under databases.<name>.%s (or drop databases to describe one database)", f, f)
		}
	}
	for _, name := range state.SortedKeys(s.Roles) {
		r := s.Roles[name]
		if r == nil {
			continue
		}
		set := map[string]bool{"access": r.Access != nil, "access_owned_by": r.AccessOwnedBy != nil, "grants": r.Grants != nil,
			"database_privileges": r.DatabasePrivileges != nil, "settings": r.Settings != nil}
		for _, f := range perDatabaseRoleFields {
			if set[f] {
				v.add(p("roles", name, f), "a spec with databases gives a role's %s per database: move it under databases.<name>.roles.%s.%s", f, name, f)
			}
		}
	}
	for _, db := range s.DatabaseNames() {
		v.identifier(p("databases", db), db)
		d := s.Databases[db]
		if d == nil {
			continue
		}
		for _, role := range state.SortedKeys(d.Roles) {
			r, declared := s.Roles[role]
			switch {
			case !declared:
				v.add(p("databases", db, "roles", role), "role %q is not declared under roles; roles are cluster-wide: declare it there, and give it access here%s", role, DidYouMean(role, state.SortedKeys(s.Roles)))
			case r != nil && r.State == "absent":
				v.add(p("databases", db, "roles", role), "role %q is declared absent; it has no access in any database", role)
			}
		}
	}
	if len(v.errs) > 0 {
		return v.errs
	}
	seen := map[string]bool{}
	for _, db := range s.DatabaseNames() {
		for _, e := range s.ForDatabase(db).validate() {
			e.path = databasePath(db, e.path)
			e.Field = strings.Join(e.path, ".")
			if key := e.Field + "\x00" + e.Msg; !seen[key] {
				seen[key] = true
				v.errs = append(v.errs, e)
			}
		}
	}
	return v.errs
}

// databasePath maps the path of an error in database's one-database
// spec to where the field is in the multi-database file.
func databasePath(database string, path []string) []string {
	if len(path) == 0 {
		return path
	}
	if slices.Contains(perDatabaseTopFields, path[0]) {
		if path[0] == "database" {
			return []string{"databases", database}
		}
		return append([]string{"databases", database}, path...)
	}
	if path[0] == "roles" && len(path) >= 3 && slices.Contains(perDatabaseRoleFields, path[2]) {
		return append([]string{"databases", database, "roles"}, path[1:]...)
	}
	return path
}

// Combine writes one multi-database spec from one-database specs of the
// same cluster, by database name (what `inspect --database a,b` prints):
// roles once at the top level, each database's schemas, privileges and
// settings, and roles' access in it, under databases. Profiles of the
// same name and different privileges are renamed (inspected_1_2, ...).
// notes are FromState's notes by database; those that still hold are
// returned, named by database, with what could not be combined.
func Combine(per map[string]*Spec, notes map[string][]string) (*Spec, []string) {
	out := &Spec{Roles: map[string]*Role{}, Databases: map[string]*DatabaseSpec{}}
	var kept []string
	for _, db := range state.SortedKeys(per) {
		s := per[db]
		for _, n := range notes[db] {
			if !slices.ContainsFunc(state.SortedKeys(s.Roles), func(r string) bool { return n == noConnectNote(r) }) {
				// A login role without CONNECT is not listed in that
				// database, and a spec with databases gives it none there.
				kept = append(kept, fmt.Sprintf("database %q: %s", db, n))
			}
		}
		if out.Mode == "" {
			out.Mode = s.Mode
		}
		rename := map[string]string{}
		for _, name := range state.SortedKeys(s.Profiles) {
			p := s.Profiles[name]
			target := name
			for n := 2; out.Profiles[target] != nil && !reflect.DeepEqual(out.Profiles[target], p); n++ {
				target = fmt.Sprintf("%s_%d", name, n)
			}
			if out.Profiles == nil {
				out.Profiles = map[string]*Privileges{}
			}
			out.Profiles[target] = p
			if target != name {
				rename[name] = target
			}
		}
		d := &DatabaseSpec{Schemas: s.Schemas, Extensions: s.Extensions, Public: s.Public,
			DatabaseSettings: s.DatabaseSettings, DefaultPrivileges: s.DefaultPrivileges}
		for _, name := range state.SortedKeys(s.Roles) {
			r := s.Roles[name]
			if r == nil {
				r = &Role{}
			}
			dr := &DatabaseRole{Access: r.Access, AccessOwnedBy: r.AccessOwnedBy, Grants: r.Grants,
				DatabasePrivileges: r.DatabasePrivileges, Settings: r.Settings}
			cluster := *r
			cluster.Access, cluster.AccessOwnedBy, cluster.Grants, cluster.DatabasePrivileges, cluster.Settings = nil, nil, nil, nil, nil
			cluster.hasConnect = false
			if have, ok := out.Roles[name]; !ok {
				out.Roles[name] = &cluster
			} else if !reflect.DeepEqual(*have, cluster) {
				kept = append(kept, fmt.Sprintf("role %s reads differently in database %q (its cluster-wide attributes are taken from the first database)", name, db))
			}
			// A login role is listed where it has CONNECT (an empty entry
			// gives CONNECT alone), and wherever it has anything else.
			login := r.Auth == "iam" || (r.Login != nil && *r.Login)
			if (login && r.hasConnect) || len(dr.Access)+len(dr.AccessOwnedBy)+len(dr.Grants)+len(dr.DatabasePrivileges)+len(dr.Settings) > 0 {
				if d.Roles == nil {
					d.Roles = map[string]*DatabaseRole{}
				}
				d.Roles[name] = dr
			}
		}
		if len(rename) > 0 {
			renameProfiles(d, rename)
		}
		out.Databases[db] = d
	}
	return out, kept
}

// renameProfiles points d's uses of profiles at their new names.
func renameProfiles(d *DatabaseSpec, rename map[string]string) {
	fix := func(m map[string]*Access) {
		for _, a := range m {
			if a != nil && rename[a.Profile] != "" {
				a.Profile = rename[a.Profile]
			}
		}
	}
	for _, r := range d.Roles {
		fix(r.Access)
		fix(r.AccessOwnedBy)
	}
	for _, m := range d.DefaultPrivileges {
		fix(m)
	}
	if d.Public != nil {
		fix(d.Public.Access)
	}
}

// LoginDatabase returns where a role of a multi-database spec logs in to
// prove a password, and the dbname of its new secret: the first database
// that lists it (or, for the clone of an alternating pair, its role), ""
// when none does or the spec declares one database.
func (s *Spec) LoginDatabase(role string) string {
	base := strings.TrimSuffix(role, state.CloneSuffix)
	for _, db := range s.DatabaseNames() {
		if d := s.Databases[db]; d != nil {
			if _, ok := d.Roles[role]; ok {
				return db
			}
			if _, ok := d.Roles[base]; ok {
				return db
			}
		}
	}
	return ""
}
