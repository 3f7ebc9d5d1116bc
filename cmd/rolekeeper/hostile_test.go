package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// hostileSpec is the example without database_settings, so that the
// database's search_path stays the hostile one through every command.
const hostileSpec = `database: app
schemas:
  app: {owner: migrator}
roles:
  migrator: {auth: iam}
  app: {auth: iam, access: {app: readwrite}}
  reporting:
    auth: password
    password_secret: app/hostile-reporting
    access: {app: readonly}
    settings: {statement_timeout: 30s}
public: {connect: false, temporary: false, create_in_public_schema: false}
`

// shadows are the functions and operators a hostile schema owner puts in
// front of pg_catalog's: each records current_user, then does what the
// original does.
var shadows = []struct{ name, args, returns, body string }{
	{"pg_has_role", "name, oid, text", "boolean", "select pg_catalog.pg_has_role($1, $2, $3)"},
	{"pg_has_role", "oid, text", "boolean", "select pg_catalog.pg_has_role($1, $2)"},
	{"has_database_privilege", "text, text", "boolean", "select pg_catalog.has_database_privilege($1, $2)"},
	{"quote_ident", "text", "text", "select pg_catalog.quote_ident($1)"},
	{"array_to_string", "anyarray, text", "text", "select pg_catalog.array_to_string($1, $2)"},
	{"format_type", "oid, integer", "text", "select pg_catalog.format_type($1, $2)"},
	{"pg_get_userbyid", "oid", "name", "select pg_catalog.pg_get_userbyid($1)"},
	{"current_setting", "text", "text", "select pg_catalog.current_setting($1)"},
	{"current_database", "", "name", "select pg_catalog.current_database()"},
	{"acldefault", `"char", oid`, "aclitem[]", "select pg_catalog.acldefault($1, $2)"},
	{"to_char", "timestamp, text", "text", "select pg_catalog.to_char($1, $2)"},
	{"unnest", "anyarray", "setof anyelement", "select pg_catalog.unnest($1)"},
	{"lower", "text", "text", "select pg_catalog.lower($1)"},
	{"texteq", "text, text", "boolean", "select pg_catalog.texteq($1, $2)"},
	{"nameeq", "name, name", "boolean", "select pg_catalog.nameeq($1, $2)"},
	{"nameeqtext", "name, text", "boolean", "select pg_catalog.nameeqtext($1, $2)"},
	{"namene", "name, name", "boolean", "select pg_catalog.namene($1, $2)"},
	{"nametextnregexne", "name, text", "boolean", "select pg_catalog.textregexne($1::text, $2)"},
	{"oideq", "oid, oid", "boolean", "select pg_catalog.oideq($1, $2)"},
}

var shadowOperators = []string{
	"= (leftarg = text, rightarg = text, function = trap.texteq)",
	"= (leftarg = name, rightarg = name, function = trap.nameeq)",
	"= (leftarg = name, rightarg = text, function = trap.nameeqtext)",
	"<> (leftarg = name, rightarg = name, function = trap.namene)",
	"!~ (leftarg = name, rightarg = text, function = trap.nametextnregexne)",
	"= (leftarg = oid, rightarg = oid, function = trap.oideq)",
}

// armTrap makes a schema owner, mallory, with a schema trap usable by
// PUBLIC that shadows the functions and operators catalog SQL uses, first
// on the database's search_path and on the admin's own in this database.
func armTrap(t *testing.T, db *pgtest.DB) {
	t.Helper()
	db.Exec(t, `CREATE ROLE mallory LOGIN; GRANT CREATE ON DATABASE app TO mallory;
		SET ROLE mallory;
		CREATE SCHEMA trap; GRANT USAGE ON SCHEMA trap TO PUBLIC;
		CREATE TABLE trap.log (who text, what text); GRANT INSERT ON trap.log TO PUBLIC;
		RESET ROLE`)
	for _, f := range shadows {
		db.Exec(t, fmt.Sprintf(`SET ROLE mallory; CREATE FUNCTION trap.%s(%s) RETURNS %s LANGUAGE sql AS $f$
			INSERT INTO trap.log VALUES (current_user, '%s'); %s $f$; RESET ROLE`, f.name, f.args, f.returns, f.name, f.body))
	}
	for _, op := range shadowOperators {
		db.Exec(t, "SET ROLE mallory; CREATE OPERATOR trap."+op+"; RESET ROLE")
	}
	db.Exec(t, "ALTER DATABASE app SET search_path = trap, pg_catalog, public")
	db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET search_path = trap, pg_catalog, public")
}

// trapped returns what the trap recorded as the admin, and empties the log.
func trapped(t *testing.T, db *pgtest.DB) []string {
	t.Helper()
	got := db.Strings(t, "select distinct what from trap.log where who = 'postgres' order by 1")
	db.Exec(t, "TRUNCATE trap.log")
	return got
}

// TestNothingHostileRunsAsTheAdmin: a schema owner's functions and
// operators shadow pg_catalog's on the database's and the admin's
// search_path; plan, apply, inspect, check and rotate run none of them as
// the admin. The trap is shown to work first: rolekeeper's own catalog
// queries, in a session with the database's settings, fall into it.
func TestNothingHostileRunsAsTheAdmin(t *testing.T) {
	db := pgtest.Fresh(t)
	armTrap(t, db)

	plain := db.ConnectAs(t, "postgres", pgtest.Server.MasterPassword)
	for _, f := range []string{"roles", "memberships", "schemas", "objects"} {
		q, err := os.ReadFile("../../catalog/sql/" + f + ".sql")
		if err != nil {
			t.Fatal(err)
		}
		var args []any
		if strings.Contains(string(q), "$1") {
			args = append(args, []string{"app"})
		}
		rows, err := plain.Query(context.Background(), string(q), args...)
		if err == nil {
			for rows.Next() {
			}
			rows.Close()
			err = rows.Err()
		}
		if err != nil {
			t.Fatalf("catalog/sql/%s.sql in an unpinned session: %v", f, err)
		}
	}
	// The settings restriction is read in a round trip of its own, when a
	// plan sets a setting (here: reporting's statement_timeout, below).
	q, err := os.ReadFile("../../catalog/sql/restricted_settings.sql")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := plain.Query(context.Background(), fmt.Sprintf(string(q), "true", "true"), []string{"statement_timeout"})
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatalf("catalog/sql/restricted_settings.sql in an unpinned session: %v", err)
	}
	got := trapped(t, db)
	if len(got) < 3 || !slices.Contains(got, "lower") {
		t.Fatalf("the trap is not armed: rolekeeper's own queries in an unpinned admin session ran only %q", got)
	}
	plain.Close(context.Background())

	spec := writeSpec(t, hostileSpec)
	steps := [][]string{
		{"plan", "-f", spec},
		{"apply", "-f", spec},
		{"plan", "-f", spec},
		{"inspect"},
		{"check", "-f", spec},
		{"rotate", "-f", spec},
		{"check", "-f", spec},
	}
	for _, args := range steps {
		code, out, errOut := rk(t, append(args, "--dsn", db.DSN)...)
		if code != 0 && !(args[0] == "plan" && code == 2) {
			t.Fatalf("%s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		if got := trapped(t, db); len(got) > 0 {
			t.Errorf("rolekeeper %s ran the schema owner's %q as the admin", args[0], got)
		}
	}
	// The users that check logs in as do get the database's search_path:
	// check exercises their sessions as they are.
	if !db.Bool(t, "select exists (select 1 from pg_db_role_setting where setconfig::text like '%trap%')") {
		t.Fatal("the trap's search_path was changed by a spec that does not manage it")
	}
}

// TestHostileNamesCannotMoveTheTerminal: roles named with escape
// sequences, newlines and bidirectional overrides, one made by someone else
// and one declared, show in the plan escaped (U&"..."), and the declared
// one is created with exactly its name.
func TestHostileNamesCannotMoveTheTerminal(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE "other`+"\x1b[2J\n\nNo changes: the database matches the spec.\n"+`"`)
	declared := "svc\u202eexe\r"
	file := writeSpec(t, "roles:\n  \"svc\\u202Eexe\\r\": {login: true}\n")
	for _, cmd := range []string{"plan", "apply"} {
		code, out, errOut := rk(t, cmd, "-f", file, "--dsn", db.DSN)
		if code != 0 && code != 2 {
			t.Fatalf("%s: exit %d: %s", cmd, code, errOut)
		}
		if strings.ContainsAny(out, "\x1b\r\u202e") || strings.Contains(out, "\nNo changes: the database matches the spec.\n\"") {
			t.Fatalf("%s output carries the names' control characters:\n%q", cmd, out)
		}
		if cmd == "plan" && !strings.Contains(out, `U&"svc\202eexe\000d"`) {
			t.Fatalf("plan does not show the escaped name:\n%s", out)
		}
	}
	if !db.Bool(t, "select exists (select 1 from pg_roles where rolname = $1)", declared) {
		t.Fatal("the declared role was not created with exactly its name")
	}
}
