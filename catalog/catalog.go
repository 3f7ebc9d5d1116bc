// Package catalog reads a PostgreSQL database's roles, memberships,
// settings and privileges into rolekeeper's state model. Inspection is one
// round trip (a pgx batch of the queries in sql/), plus one more only when
// some objects in a schema have a privilege that others lack, and one when
// a plan sets a setting (RestrictedSettings).
package catalog

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rolekeeper/rolekeeper/connect/pin"
	"github.com/rolekeeper/rolekeeper/state"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

func query(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return string(b)
}

// Server, Snapshot, Dropping and ObjectsIn are the model's (package state): the
// plan depends on them, never on this package.
type (
	Server    = state.Server
	Snapshot  = state.Snapshot
	Dropping  = state.Dropping
	ObjectsIn = state.ObjectsIn
)

// Scope limits an inspection to what a spec manages. A nil field means
// everything (what `rolekeeper inspect` reads).
type Scope struct {
	Schemas    []string // schemas whose privileges are read
	Grantees   []string // grantees whose object privileges are read
	Extensions []string // extensions to install: whether each is installed, and installable, is read
	Uninstall  []string // extensions to remove: whether each is installed is read
	// ExtensionSchemas are the schemas extensions are to be created in:
	// whether each exists is read.
	ExtensionSchemas []string
	Dropping         []string // roles the spec removes: what their DROP depends on is read
	// ReassignTo gives, aligned with Dropping, who receives each one's
	// objects ("" for the connected user).
	ReassignTo []string
}

// Inspect reads the current state.
func Inspect(ctx context.Context, conn *pgx.Conn, scope Scope) (*Snapshot, error) {
	snap := &Snapshot{
		Server: Server{Uses: map[string]bool{}, AdminOf: map[string]bool{}, CanSet: map[string]bool{}, Installable: map[string]bool{},
			ExtensionNeedsSuperuser: map[string]bool{}, ExtensionFixedSchema: map[string]string{}, SchemaExists: map[string]bool{}},
		Roles:    map[string]*state.Role{},
		Dropping: map[string]*Dropping{},
	}
	var schemas any
	if scope.Schemas != nil {
		schemas = scope.Schemas
	}

	b := &pgx.Batch{}
	// The session's pinned settings that had to wait for its first
	// statement (package connect) go first, in this round trip.
	pins := pin.Take(conn.PgConn())
	for _, q := range pins {
		b.Queue(q)
	}
	// The server runs a batch's queries before the first result is read:
	// the search_path is checked on the server, by a query that names
	// nothing the search_path finds and fails when it is not pinned, so
	// that none of the queries after it runs (a failure ends the batch).
	b.Queue(searchPathGuard).QueryRow(func(row pgx.Row) error {
		var ok int
		if err := row.Scan(&ok); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "22P02" {
				if _, got, found := strings.Cut(pgErr.Message, `"search_path is `); found {
					got = strings.TrimSuffix(got, `"`)
					role := ""
					if i := strings.LastIndex(got, ", role is "); i >= 0 {
						got, role = got[:i], got[i+len(", role is "):]
					}
					if err := checkSearchPath(got); err != nil {
						return err
					}
					return fmt.Errorf("the session acts as role %q (a role setting of the database or the admin role, which the start-up settings did not override): refusing to read the catalog (connect through package connect, directly rather than through a pooler that drops start-up settings)", role)
				}
			}
			return fmt.Errorf("check the session's search_path: %w", err)
		}
		return nil
	})
	b.Queue(query("server")).QueryRow(func(row pgx.Row) error {
		s := &snap.Server
		var searchPath string
		if err := row.Scan(&s.User, &s.Database, &s.VersionNum, &s.Version, &s.Superuser, &s.CreateRole, &s.CreateDB,
			&s.CreateInDB, &s.DatabaseOwner, &s.ActsAsDBOwner, &searchPath, &s.RDS); err != nil {
			return err
		}
		return checkSearchPath(searchPath)
	})
	b.Queue(query("roles")).Query(func(rows pgx.Rows) error { return scanRoles(rows, snap) })
	b.Queue(query("role_settings_all")).Query(func(rows pgx.Rows) error { return scanAllDatabaseSettings(rows, snap) })
	b.Queue(query("memberships")).Query(func(rows pgx.Rows) error { return scanMemberships(rows, snap) })
	db := state.NewDatabase("")
	snap.DB = db
	keep := granteeFilter(scope.Grantees)
	b.Queue(query("database")).QueryRow(func(row pgx.Row) error { return scanDatabase(row, db) })
	b.Queue(query("database_settings")).Query(func(rows pgx.Rows) error { return scanDatabaseSettings(rows, db) })
	b.Queue(query("schemas"), schemas).Query(func(rows pgx.Rows) error { return scanSchemas(rows, db) })
	objects := newObjectReader(keep)
	b.Queue(query("objects"), schemas).Query(func(rows pgx.Rows) error { return objects.scan(rows, db) })
	b.Queue(query("column_acls"), schemas).Query(func(rows pgx.Rows) error { return columnReader{keep}.scan(rows, db) })
	b.Queue(query("defaults"), schemas).Query(func(rows pgx.Rows) error { return scanDefaults(rows, snap.DB) })
	b.Queue(query("global_defaults")).Query(func(rows pgx.Rows) error { return scanGlobalDefaults(rows, snap.DB, keep) })
	// Installed extensions matter only when the spec names some (nil:
	// every one, for inspect).
	if scope.Extensions == nil || len(scope.Extensions)+len(scope.Uninstall) > 0 {
		b.Queue(query("extensions")).Query(func(rows pgx.Rows) error { return scanExtensions(rows, snap.DB) })
	}
	if len(scope.Extensions) > 0 {
		b.Queue(query("available"), scope.Extensions).Query(func(rows pgx.Rows) error {
			var name, fixed string
			var creatable bool
			_, err := pgx.ForEachRow(rows, []any{&name, &creatable, &fixed}, func() error {
				snap.Server.Installable[name] = true
				if fixed != "" {
					snap.Server.ExtensionFixedSchema[name] = fixed
				}
				if !creatable {
					snap.Server.ExtensionNeedsSuperuser[name] = true
				}
				return nil
			})
			return err
		})
	}
	if len(scope.ExtensionSchemas) > 0 {
		b.Queue(query("extension_schemas"), scope.ExtensionSchemas).Query(func(rows pgx.Rows) error {
			var name string
			_, err := pgx.ForEachRow(rows, []any{&name}, func() error {
				snap.Server.SchemaExists[name] = true
				return nil
			})
			return err
		})
	}
	if len(scope.Dropping) > 0 {
		b.Queue(query("dropping"), scope.Dropping, scope.ReassignTo).Query(func(rows pgx.Rows) error { return scanDropping(rows, snap) })
	}
	err := conn.SendBatch(ctx, b).Close()
	if pins != nil {
		if err != nil {
			pin.Undo(conn.PgConn())
		} else {
			pin.Done(conn.PgConn())
		}
	}
	if err != nil {
		return nil, fmt.Errorf("inspect catalog: %w", err)
	}
	db.Name = snap.Server.Database
	db.Owner = snap.Server.DatabaseOwner
	for name, r := range snap.Roles {
		if !strings.HasPrefix(name, "pg_") {
			db.Roles[name] = r
		}
	}
	objects.finish(db)
	return snap, nil
}

// SearchPath is the search_path every query in this package relies on,
// and the one package connect pins at start-up: only the system catalog,
// and the session's own temporary schema last (so never searched for
// functions or operators). No other schema is searched, so nothing here
// qualifies names with pg_catalog (docs/design-notes.md, "Sessions").
const SearchPath = "pg_catalog, pg_temp"

// RestrictedSettings reads which of the settings names (lower case) the
// connected user may not set with ALTER ROLE/DATABASE ... SET unless a
// superuser. It runs only when a plan sets a setting: one round trip, on a
// session whose catalog reads are guarded (Inspect ran first on it).
func RestrictedSettings(ctx context.Context, conn *pgx.Conn, names []string) (map[string]bool, error) {
	// has_parameter_privilege exists from PostgreSQL 15; before, only a
	// superuser sets non-user settings and custom placeholders (ALTER
	// ROLE/DATABASE ... SET checks a placeholder's permission, not its
	// context: it might turn out to be a superuser-only setting).
	known, placeholder := "true", "true"
	if major := ServerMajor(conn.PgConn()); major >= 15 {
		known, placeholder = "not has_parameter_privilege(s.name, 'SET')", "not has_parameter_privilege(n, 'SET')"
	}
	restricted := map[string]bool{}
	rows, _ := conn.Query(ctx, fmt.Sprintf(query("restricted_settings"), known, placeholder), names)
	var name string
	if _, err := pgx.ForEachRow(rows, []any{&name}, func() error {
		restricted[strings.ToLower(name)] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read which settings only a superuser may set: %w", err)
	}
	return restricted, nil
}

// searchPathGuard fails (invalid input syntax for type integer: "search_path
// is ..., role is ...") unless the session's search_path is SearchPath and
// its role is none (package connect pins both; a SET role would make the
// session act as another role). Every name in it is qualified or a
// keyword, so it is safe to run under any search_path; current_setting is
// stable, so the failing branch is not evaluated when the query is
// planned.
const searchPathGuard = "select case when pg_catalog.current_setting('search_path') operator(pg_catalog.=) '" + SearchPath +
	"' and pg_catalog.current_setting('role') operator(pg_catalog.=) 'none' then 0" +
	" else ('search_path is ' operator(pg_catalog.||) pg_catalog.current_setting('search_path') operator(pg_catalog.||) ', role is ' operator(pg_catalog.||) pg_catalog.current_setting('role'))::int end"

// checkSearchPath refuses a session whose search_path is not pinned (a
// connection not opened by package connect, or a pooler that dropped the
// start-up settings): the queries would then run what others wrote.
func checkSearchPath(got string) error {
	if got != SearchPath {
		return fmt.Errorf("the session's search_path is %q, not %q: refusing to read the catalog, since functions other users created could run with this user's rights (connect through package connect, directly rather than through a pooler that drops start-up settings)", got, SearchPath)
	}
	return nil
}

func scanRoles(rows pgx.Rows, snap *Snapshot) error {
	var (
		r             state.Role
		uses, adminOf bool
		canSet        bool
		config        []string
	)
	_, err := pgx.ForEachRow(rows, []any{&r.Name, &r.Superuser, &r.Inherit, &r.CreateRole, &r.CreateDB, &r.Login,
		&r.Replication, &r.BypassRLS, &r.ConnectionLimit, &r.ValidUntil, &uses, &adminOf, &canSet, &config}, func() error {
		role := r
		role.Settings = map[string][]string{}
		role.MemberOf = map[string]state.Membership{}
		role.Auth = state.AuthNone
		for _, entry := range config {
			k, v := state.ParseSetting(entry)
			role.Settings[k] = v
		}
		snap.Roles[role.Name] = &role
		snap.Server.Uses[role.Name] = uses
		snap.Server.AdminOf[role.Name] = adminOf
		snap.Server.CanSet[role.Name] = canSet
		return nil
	})
	if err != nil {
		return fmt.Errorf("roles: %w", err)
	}
	return nil
}

func scanMemberships(rows pgx.Rows, snap *Snapshot) error {
	var role, member string
	var admin, adminOnly bool
	var grantors []string
	_, err := pgx.ForEachRow(rows, []any{&role, &member, &admin, &grantors, &adminOnly}, func() error {
		if m := snap.Roles[member]; m != nil {
			sort.Strings(grantors)
			m.MemberOf[role] = state.Membership{Admin: admin, Grantors: grantors, AdminOnly: adminOnly}
			if role == state.IAMRole {
				m.Auth = state.AuthIAM
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("memberships: %w", err)
	}
	return nil
}

// granteeFilter keeps the grantees of interest (all when names is nil)
// and PUBLIC.
func granteeFilter(names []string) func(string) bool {
	if names == nil {
		return func(string) bool { return true }
	}
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return func(g string) bool { return g == "" || set[g] }
}

// aclGrants parses the text of an ACL (aclitem[]::text) into grants, the
// owner's own (implicit) entry left out, in a map sized for the ACL.
func aclGrants(acl, owner, what string) (state.Grants, error) {
	items, err := splitArray(acl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	entries, err := parseACL(items)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	grants := make(state.Grants, len(entries))
	for _, e := range entries {
		if e.grantee != owner {
			grants.AddSet(publicName(e.grantee), e.privs)
		}
	}
	return grants, nil
}

func scanDatabase(row pgx.Row, db *state.Database) error {
	var owner, acl string
	if err := row.Scan(&owner, &acl); err != nil {
		return fmt.Errorf("database privileges: %w", err)
	}
	grants, err := aclGrants(acl, owner, "database privileges")
	if err == nil {
		db.Privileges = grants
	}
	return err
}

func scanDatabaseSettings(rows pgx.Rows, db *state.Database) error {
	var entry string
	_, err := pgx.ForEachRow(rows, []any{&entry}, func() error {
		k, v := state.ParseSetting(entry)
		db.Settings[k] = v
		return nil
	})
	if err != nil {
		return fmt.Errorf("database settings: %w", err)
	}
	return nil
}

func scanExtensions(rows pgx.Rows, db *state.Database) error {
	var name, schema, version string
	_, err := pgx.ForEachRow(rows, []any{&name, &schema, &version}, func() error {
		db.Extensions[name] = &state.Extension{Name: name, Schema: schema, Version: version}
		return nil
	})
	if err != nil {
		return fmt.Errorf("extensions: %w", err)
	}
	return nil
}

// ServerMajor reads the major version the server reported at start-up
// ("16.4", "17.2 (Debian ...)"); 0 when unknown.
func ServerMajor(c *pgconn.PgConn) int {
	n := 0
	for _, r := range c.ParameterStatus("server_version") {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}
