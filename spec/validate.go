package spec

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rolekeeper/rolekeeper/state"
)

// MaxIdentifierBytes is PostgreSQL's NAMEDATALEN-1: longer names are
// silently truncated by the server, so they are refused here instead.
const MaxIdentifierBytes = 63

// keywordRoleNames are names PostgreSQL's grammar gives a meaning of its
// own; names PostgreSQL and RDS reserve are state.ReservedRole.
var keywordRoleNames = map[string]bool{
	"public": true, "none": true, "current_user": true, "session_user": true, "current_role": true,
}

// adminRoles are the roles whose membership gives administrative power; a
// managed role joins one only with allow_admin_roles. The plan also refuses
// membership that reaches one through other roles, or the admin itself.
var adminRoles = state.AdminRoles

// settingName is compiled when a spec names a setting, not at every start-up.
var settingName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
})

type validator struct {
	errs Errors
	s    *Spec
}

func (v *validator) add(path []string, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: strings.Join(path, "."), Msg: fmt.Sprintf(format, args...), path: path})
}

func p(parts ...string) []string { return parts }

// validate checks everything that can be checked without a database. The
// order of the errors is deterministic.
func (s *Spec) validate() Errors {
	if s.MultiDatabase() {
		return s.validateDatabases()
	}
	v := &validator{s: s}
	if s.Databases != nil {
		// Not a one-database spec of the connection's database: that
		// would apply (and revoke) where the file meant nothing.
		v.add(p("databases"), "declares no database: give at least one under databases, or remove databases to describe the connection's database")
		return v.errs
	}
	if s.Version != 0 && s.Version != 1 {
		v.add(p("version"), "unsupported version %d; this rolekeeper reads version 1", s.Version)
	}
	if s.Database != "" {
		v.identifier(p("database"), s.Database)
	}
	switch s.Mode {
	case "", "authoritative", "additive":
	default:
		v.add(p("mode"), "must be authoritative or additive, not %q", s.Mode)
	}
	for _, name := range state.SortedKeys(s.Profiles) {
		path := p("profiles", name)
		v.identifier(path, name)
		if _, builtin := builtinProfiles[name]; builtin {
			v.add(path, "%q is a built-in profile; choose another name", name)
		}
		if s.Profiles[name] == nil {
			v.add(path, "a profile needs at least one privilege list (schema, tables, sequences, functions)")
			continue
		}
		v.privileges(path, s.Profiles[name])
	}
	for _, name := range state.SortedKeys(s.Schemas) {
		v.schema(name, s.Schemas[name])
	}
	for _, name := range state.SortedKeys(s.Roles) {
		v.role(name, s.Roles[name])
	}
	v.memberCycles()
	v.sharedSecrets()
	v.globalDefaults()
	v.members()
	v.publicAccess()
	v.ownership()
	for _, name := range state.SortedKeys(s.Extensions) {
		path := p("extensions", name)
		v.identifier(path, name)
		x := s.Extensions[name]
		switch x.State {
		case "", "present", "absent":
		default:
			v.add(append(path, "state"), "must be present or absent, not %q", x.State)
		}
		if x.Schema != "" {
			v.identifier(append(path, "schema"), x.Schema)
		}
	}
	for _, name := range state.SortedKeys(s.DatabaseSettings) {
		v.setting(p("database_settings", name), name, s.DatabaseSettings[name])
	}
	v.distinctSettingNames(p("database_settings"), s.DatabaseSettings)
	return v.errs
}

// identifier checks a name that will be quoted into SQL.
func (v *validator) identifier(path []string, name string) bool {
	switch {
	case name == "":
		v.add(path, "a name cannot be empty")
	case !utf8.ValidString(name):
		v.add(path, "name is not valid UTF-8")
	case len(name) > MaxIdentifierBytes:
		v.add(path, "name %q is %d bytes long; PostgreSQL names are at most %d bytes", truncate(name), len(name), MaxIdentifierBytes)
	case strings.ContainsRune(name, 0):
		v.add(path, "name contains a NUL character")
	default:
		return true
	}
	return false
}

func truncate(s string) string {
	if len(s) <= 20 {
		return s
	}
	return s[:20] + "…"
}

func (v *validator) roleName(path []string, name string) bool {
	if !v.identifier(path, name) {
		return false
	}
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "pg_"):
		v.add(path, "role names starting with pg_ are reserved by PostgreSQL")
	case state.ReservedRole(lower) || keywordRoleNames[lower]:
		v.add(path, "%q is reserved by PostgreSQL or Amazon RDS; choose another name", name)
	default:
		return true
	}
	return false
}

func (v *validator) schema(name string, sc *Schema) {
	path := p("schemas", name)
	if v.identifier(path, name) {
		lower := strings.ToLower(name)
		if strings.HasPrefix(lower, "pg_") || lower == "information_schema" {
			v.add(path, "schema %q is a system schema and cannot be managed", name)
		}
	}
	if sc == nil {
		return
	}
	if sc.Owner != "" {
		v.identifier(append(path, "owner"), sc.Owner)
		if r, ok := v.s.Roles[sc.Owner]; ok && r != nil && r.State == "absent" {
			v.add(append(path, "owner"), "owner %q is declared absent", sc.Owner)
		}
	}
	for i, c := range sc.DefaultPrivilegesFor {
		v.identifier(append(path, "default_privileges_for", fmt.Sprint(i)), c)
	}
}

func (v *validator) role(name string, r *Role) {
	path := p("roles", name)
	v.roleName(path, name)
	if r == nil {
		return
	}
	switch r.State {
	case "", "present":
	case "absent":
		if r.Login != nil || r.Auth != "" || len(r.Access) > 0 || len(r.AccessOwnedBy) > 0 || len(r.MemberOf) > 0 || len(r.Settings) > 0 || len(r.DatabasePrivileges) > 0 {
			v.add(path, "a role with state absent takes only reassign_owned_to; remove its other fields")
		}
		if r.ReassignOwnedTo != "" {
			v.identifier(append(path, "reassign_owned_to"), r.ReassignOwnedTo)
			if r.ReassignOwnedTo == name {
				v.add(append(path, "reassign_owned_to"), "cannot reassign a role's objects to itself")
			}
		}
		return
	default:
		v.add(append(path, "state"), "must be present or absent, not %q", r.State)
	}
	if r.ReassignOwnedTo != "" {
		v.add(append(path, "reassign_owned_to"), "only a role with state absent has its objects reassigned")
	}
	switch r.Auth {
	case "", "none", "iam", "password":
	default:
		v.add(append(path, "auth"), "must be iam, password or none, not %q", r.Auth)
	}
	if (r.Auth == "iam" || r.Auth == "password") && r.Login != nil && !*r.Login {
		v.add(append(path, "login"), "auth %s needs login: true", r.Auth)
	}
	if r.PasswordSecret != "" && r.Auth != "password" {
		v.add(append(path, "password_secret"), "only a role with auth: password has a password secret")
	}
	v.rotation(name, path, r)
	v.connectionLimit(append(path, "connection_limit"), r.ConnectionLimit)
	if r.ValidUntil != "" {
		if _, err := ParseValidUntil(r.ValidUntil); err != nil {
			v.add(append(path, "valid_until"), "%v", err)
		}
	}
	for _, k := range state.SortedKeys(r.Settings) {
		v.setting(append(path, "settings", k), k, r.Settings[k])
	}
	v.distinctSettingNames(append(append([]string{}, path...), "settings"), r.Settings)
	for _, k := range state.SortedKeys(r.SettingsInAllDatabases) {
		v.setting(append(path, "settings_in_all_databases", k), k, r.SettingsInAllDatabases[k])
	}
	v.distinctSettingNames(append(append([]string{}, path...), "settings_in_all_databases"), r.SettingsInAllDatabases)
	for i, m := range r.MemberOf {
		mp := append(append([]string{}, path...), "member_of", fmt.Sprint(i))
		if !v.identifier(mp, m) {
			continue
		}
		switch {
		case m == name:
			v.add(mp, "a role cannot be a member of itself")
		case m == state.IAMRole:
			v.add(mp, "do not list rds_iam; set auth: iam instead")
		case adminRoles[m] && !r.AllowAdminRoles:
			v.add(mp, "%q is an administrative role; set allow_admin_roles: true on this role if that is intended", m)
		}
		if t, ok := v.s.Roles[m]; ok && t != nil && t.State == "absent" {
			v.add(mp, "role %q is declared absent", m)
		}
		for j := 0; j < i; j++ {
			if r.MemberOf[j] == m {
				v.add(mp, "%q is listed twice", m)
			}
		}
	}
	for _, schema := range state.SortedKeys(r.Access) {
		ap := append(append([]string{}, path...), "access", schema)
		if _, ok := v.s.Schemas[schema]; !ok {
			v.add(ap, "schema %q is not declared under schemas%s; declare it so rolekeeper manages it", schema, DidYouMean(schema, v.s.schemaNames()))
		}
		v.access(ap, r.Access[schema])
	}
	if len(r.AccessOwnedBy) > 0 {
		owned := map[string][]string{}
		for _, schema := range state.SortedKeys(v.s.Schemas) {
			if sc := v.s.Schemas[schema]; sc != nil && sc.Owner != "" {
				owned[sc.Owner] = append(owned[sc.Owner], schema)
			}
		}
		for _, owner := range state.SortedKeys(r.AccessOwnedBy) {
			ap := append(append([]string{}, path...), "access_owned_by", owner)
			if len(owned[owner]) == 0 {
				v.add(ap, "no schema declared under schemas has owner %q; name the owner of the schemas this access is for", owner)
			}
			for _, schema := range owned[owner] {
				if _, twice := r.Access[schema]; twice {
					v.add(ap, "schema %q (owned by %s) is also under access; keep one of the two", schema, owner)
				}
			}
			v.access(ap, r.AccessOwnedBy[owner])
		}
	}
	for i, g := range r.Grants {
		v.grant(append(append([]string{}, path...), "grants", fmt.Sprint(i)), g)
	}
	for i, priv := range r.DatabasePrivileges {
		if _, ok := normalizePrivilege(priv, state.DatabasePrivileges); !ok {
			v.add(append(append([]string{}, path...), "database_privileges", fmt.Sprint(i)), "unknown database privilege %q; use CONNECT, CREATE or TEMPORARY", priv)
		}
	}
}

// access checks a profile name or an inline privilege set.
func (v *validator) access(path []string, a *Access) {
	switch {
	case a == nil:
		v.add(path, "give a profile name or a mapping of privileges")
	case a.Inline != nil:
		v.privileges(path, a.Inline)
	default:
		if _, ok := v.s.profile(a.Profile); !ok {
			v.add(path, "unknown profile %q%s; known profiles: %s", a.Profile, DidYouMean(a.Profile, v.s.profileNames()), strings.Join(v.s.profileNames(), ", "))
		}
	}
}

// grant checks one grant on named objects.
func (v *validator) grant(path []string, g *Grant) {
	if g == nil {
		v.add(path, "give schema, tables or sequences, and privileges")
		return
	}
	if g.Schema == "" {
		v.add(append(path, "schema"), "name the schema of the objects")
	} else if _, ok := v.s.Schemas[g.Schema]; !ok {
		v.add(append(path, "schema"), "schema %q is not declared under schemas%s; declare it so rolekeeper manages it", g.Schema, DidYouMean(g.Schema, v.s.schemaNames()))
	}
	if (len(g.Tables) == 0) == (len(g.Sequences) == 0) {
		v.add(path, "give either tables or sequences (one kind per grant)")
		return
	}
	kind, names, field := state.Tables, g.Tables, "tables"
	if len(g.Sequences) > 0 {
		kind, names, field = state.Sequences, g.Sequences, "sequences"
	}
	for i, n := range names {
		v.identifier(append(append([]string{}, path...), field, fmt.Sprint(i)), n)
	}
	if len(g.Privileges) == 0 {
		v.add(append(path, "privileges"), "list the privileges")
	}
	for i, x := range g.Privileges {
		if _, ok := normalizePrivilege(x, state.KindPrivileges[kind]); !ok {
			v.add(append(append([]string{}, path...), "privileges", fmt.Sprint(i)), "%q is not a privilege on %s; use %s", x, field, strings.Join(state.KindPrivileges[kind], ", "))
		}
	}
}

// memberCycles reports membership loops among declared roles, which
// PostgreSQL refuses.
func (v *validator) memberCycles() {
	const (
		unseen = iota
		active
		done
	)
	mark := map[string]int{}
	var visit func(name string, trail []string) bool
	visit = func(name string, trail []string) bool {
		switch mark[name] {
		case active:
			v.add(p("roles", trail[0], "member_of"), "membership loop: %s", strings.Join(append(trail, name), " -> "))
			return true
		case done:
			return false
		}
		mark[name] = active
		r := v.s.Roles[name]
		if r != nil {
			for _, m := range r.MemberOf {
				if _, declared := v.s.Roles[m]; declared && m != name {
					if visit(m, append(trail, name)) {
						return true
					}
				}
			}
		}
		mark[name] = done
		return false
	}
	for _, name := range state.SortedKeys(v.s.Roles) {
		if mark[name] == unseen && visit(name, nil) {
			return
		}
	}
}

func (v *validator) setting(path []string, name string, val Setting) {
	if !settingName().MatchString(name) {
		v.add(path, "%q is not a setting name", name)
	}
	if len(val) == 0 {
		v.add(path, "give a value")
	}
	for _, x := range val {
		if strings.ContainsRune(x, 0) {
			v.add(path, "value contains a NUL character")
		}
	}
	if len(val) > 1 && !state.IsListSetting(name) {
		v.add(path, "%s takes one value, not a list", name)
	}
}

func (v *validator) privileges(path []string, pr *Privileges) {
	check := func(field string, list []string, allowed []string) {
		for i, x := range list {
			if _, ok := normalizePrivilege(x, allowed); !ok {
				v.add(append(append([]string{}, path...), field, fmt.Sprint(i)), "%q is not a privilege here; use %s", x, strings.Join(allowed, ", "))
			}
		}
	}
	check("schema", pr.Schema, state.SchemaPrivileges)
	check("tables", pr.Tables, state.KindPrivileges[state.Tables])
	check("sequences", pr.Sequences, state.KindPrivileges[state.Sequences])
	check("functions", pr.Functions, state.KindPrivileges[state.Functions])
}

// normalizePrivilege upper-cases a privilege name and checks it is allowed.
// "ALL" is accepted and means every allowed privilege (handled by the caller).
func normalizePrivilege(p string, allowed []string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(p))
	if u == "TEMP" {
		u = "TEMPORARY"
	}
	if u == "ALL" {
		return u, true
	}
	for _, a := range allowed {
		if a == u {
			return u, true
		}
	}
	return "", false
}

// ParseValidUntil parses a role's valid_until: RFC 3339, a date, or
// "infinity". It returns the canonical UTC form, "" for infinity.
func ParseValidUntil(s string) (string, error) {
	if strings.EqualFold(s, "infinity") {
		return "", nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
	}
	return "", fmt.Errorf("%q is not a timestamp; use RFC 3339 (2027-01-31T00:00:00Z), a date (2027-01-31) or infinity", s)
}

func (s *Spec) profile(name string) (*Privileges, bool) {
	if p, ok := builtinProfiles[name]; ok {
		return p, true
	}
	p, ok := s.Profiles[name]
	return p, ok && p != nil
}

func (s *Spec) profileNames() []string {
	names := BuiltinProfiles()
	return append(names, state.SortedKeys(s.Profiles)...)
}

// rotation checks a role's rotation strategy: alternating needs auth:
// password and a clone name that is free and short enough.
func (v *validator) rotation(name string, path []string, r *Role) {
	switch r.Rotation {
	case "", "single":
		return
	case "alternating":
	default:
		v.add(append(path, "rotation"), "must be single or alternating, not %q", r.Rotation)
		return
	}
	if r.Auth != "password" {
		v.add(append(path, "rotation"), "only a role with auth: password is rotated; alternating needs auth: password")
		return
	}
	clone := name + state.CloneSuffix
	if len(clone) > MaxIdentifierBytes {
		v.add(append(path, "rotation"), "alternating rotation adds a role %q, longer than PostgreSQL's %d bytes; shorten the role's name", clone, MaxIdentifierBytes)
	}
	if _, taken := v.s.Roles[clone]; taken {
		v.add(append(path, "rotation"), "alternating rotation adds the role %q, which the spec already declares; rename one of them", clone)
	}
}
