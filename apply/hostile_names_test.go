package apply_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/spec"
)

// hostileNames are names an ordinary user may give schemas, tables and
// roles, each one that the text forms of arrays and ACLs quote or escape
// (or must not): commas, quotes, backslashes, braces, spaces, NULL, '=',
// '/', '*', newlines, unicode, case, and 63 bytes (multibyte at the end).
var hostileNames = []string{
	"a,b", `q"uote`, `back\slash`, "{br}ace", " lead", "trail ", "NULL", "null",
	"eq=ual", "sl/ash", "st*ar", "new\nline", "Ünï", "Case", "case",
	strings.Repeat("x", 61) + "é", // 63 bytes
}

// inspectYAML runs what `rolekeeper inspect` does, writes the spec as
// the command does (spec.Marshal) and reads it back.
func inspectYAML(t *testing.T, db *pgtest.DB) *spec.Spec {
	t.Helper()
	s, _ := inspectSpec(t, db)
	b, err := spec.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return mustSpec(t, string(b))
}

// specJSON writes a spec (YAML is a superset of JSON, which quotes any
// name exactly).
func specJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHostileNamesConverge: schemas, owners and grantees with every hostile
// name, tables, views and sequences likewise named in them; apply, then
// the plan is empty, each role holds exactly its access, and what inspect
// writes back plans nothing either.
func TestHostileNamesConverge(t *testing.T) {
	db := pgtest.Fresh(t)
	schemas := map[string]any{}
	roles := map[string]any{}
	for i, n := range hostileNames {
		owner := "own " + n
		if len(owner) > 63 {
			owner = "o" + n[2:]
		}
		schemas[n] = map[string]any{"owner": owner}
		roles[owner] = map[string]any{"login": true}
		// Each hostile role reads its own schema and writes the next one.
		next := hostileNames[(i+1)%len(hostileNames)]
		roles["r "+n[:min(len(n), 60)]] = map[string]any{"login": true, "access": map[string]string{n: "readonly", next: "readwrite"}}
	}
	s := mustSpec(t, specJSON(t, map[string]any{"database": "app", "schemas": schemas, "roles": roles}))
	doApply(t, db, s)
	expectNoChanges(t, db, s)

	// Objects with hostile names, made by each schema's owner after the
	// apply (default privileges) and before it (existing objects: a second
	// apply grants them).
	var setup strings.Builder
	for i, n := range hostileNames {
		owner := "own " + n
		if len(owner) > 63 {
			owner = "o" + n[2:]
		}
		fmt.Fprintf(&setup, "SET ROLE %s;", pgx.Identifier{owner}.Sanitize())
		for j := 0; j < 4; j++ {
			obj := hostileNames[(i+j)%len(hostileNames)]
			fmt.Fprintf(&setup, "CREATE TABLE %s (id int);", pgx.Identifier{n, obj}.Sanitize())
			fmt.Fprintf(&setup, "CREATE SEQUENCE %s;", pgx.Identifier{n, "seq " + obj[:min(len(obj), 50)]}.Sanitize())
			fmt.Fprintf(&setup, "CREATE VIEW %s AS SELECT 1 AS one;", pgx.Identifier{n, "view " + obj[:min(len(obj), 50)]}.Sanitize())
		}
		setup.WriteString("RESET ROLE;")
	}
	db.Exec(t, setup.String())
	expectNoChanges(t, db, s)
	// Drift on some objects: a revoke, a grant to PUBLIC, a grant with
	// grant option; the apply repairs them and converges.
	db.Exec(t, fmt.Sprintf(`REVOKE SELECT ON %s FROM %s; GRANT SELECT ON %s TO PUBLIC; GRANT SELECT ON %s TO %s WITH GRANT OPTION`,
		pgx.Identifier{"a,b", "a,b"}.Sanitize(), pgx.Identifier{"r a,b"}.Sanitize(),
		pgx.Identifier{`q"uote`, `q"uote`}.Sanitize(),
		pgx.Identifier{"sl/ash", "sl/ash"}.Sanitize(), pgx.Identifier{"r st*ar"}.Sanitize()))
	if p := doPlan(t, db, s); p.Empty() {
		t.Fatal("the drift was not planned")
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)

	// Exactly the access: each role reads every relation of its schema and
	// writes every table and view of the next (GRANT ON ALL TABLES takes views); nothing else.
	for i, n := range hostileNames {
		role := "r " + n[:min(len(n), 60)]
		next := hostileNames[(i+1)%len(hostileNames)]
		bad := db.Strings(t, `
select c.relnamespace::regnamespace::text || '.' || c.relname || ' ' || p
from pg_class c, unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p
where c.relkind in ('r', 'v') and c.relnamespace::regnamespace::text not in ('pg_catalog', 'information_schema', 'pg_toast')
  and has_table_privilege($1, c.oid, p) <> ((c.relnamespace = to_regnamespace(quote_ident($2)) and p = 'SELECT')
      or (c.relnamespace = to_regnamespace(quote_ident($3))))
  and c.relnamespace not in (select oid from pg_namespace where nspname = 'public')`, role, n, next)
		if len(bad) > 0 {
			t.Errorf("role %q: privileges off on %q", role, bad)
		}
	}

	// inspect writes back what exists: planned against the same database,
	// it changes nothing.
	back := inspectYAML(t, db)
	if p := doPlan(t, db, back); !p.Empty() || len(p.Problems) > 0 {
		t.Fatalf("the inspected spec plans changes:\n%s", planText(t, p))
	}
	for _, n := range hostileNames {
		if _, ok := back.Schemas[n]; !ok {
			t.Errorf("inspect lost schema %q", n)
		}
	}
}

// TestPlanWithASettingIsPlannedTwiceAlike: a plan that sets a setting is
// made a second time once the settings' restriction is read; every other
// change is the same as in the plan of the spec without the setting.
func TestPlanWithASettingIsPlannedTwiceAlike(t *testing.T) {
	db := pgtest.Fresh(t)
	base := exampleYAML(t)
	doApply(t, db, mustSpec(t, base))
	db.Exec(t, `REVOKE USAGE ON SCHEMA app FROM reporting; GRANT CREATE ON SCHEMA app TO reporting;
SET ROLE migrator; CREATE TABLE app.t (id int); GRANT SELECT ON app.t TO PUBLIC; GRANT SELECT ON app.t TO app WITH GRANT OPTION; RESET ROLE;
ALTER ROLE reporting CONNECTION LIMIT 9`)
	without := planText(t, doPlan(t, db, mustSpec(t, base)))
	with := doPlan(t, db, mustSpec(t, strings.Replace(base, "statement_timeout: 30s", "statement_timeout: 30s\n      work_mem: 8MB", 1)))
	if len(with.Problems) > 0 {
		t.Fatalf("problems: %q", with.Problems)
	}
	var rest []string
	settings := 0
	for _, line := range strings.Split(planText(t, with), "\n") {
		if strings.Contains(line, "work_mem") {
			settings++
			continue
		}
		rest = append(rest, line)
	}
	if settings == 0 {
		t.Fatalf("the setting is not planned:\n%s", planText(t, with))
	}
	if strings.Count(without, "\n") < 4 {
		t.Fatalf("the drift is not planned:\n%s", without)
	}
	for _, line := range strings.Split(without, "\n") {
		if strings.HasPrefix(line, "Plan: ") {
			continue // the count of statements differs by the setting's
		}
		if !strings.Contains(strings.Join(rest, "\n"), line) {
			t.Errorf("the plan with a setting lacks %q:\n%s", line, planText(t, with))
		}
	}
}

// TestARoleNamedPUBLICIsNotPublic: a role an outsider names "PUBLIC"
// (upper case: PostgreSQL reserves only "public") is written unquoted in
// ACLs, where PUBLIC itself has an empty name; its privileges are an
// undeclared role's (left alone), and PUBLIC does not hold them.
func TestARoleNamedPUBLICIsNotPublic(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, `CREATE ROLE "PUBLIC"; GRANT USAGE ON SCHEMA app TO "PUBLIC"; GRANT CONNECT ON DATABASE app TO "PUBLIC";
SET ROLE migrator; CREATE TABLE app.t (id int); GRANT SELECT ON app.t TO "PUBLIC"; RESET ROLE`)
	p := doPlan(t, db, s)
	if text := planText(t, p); !p.Empty() || strings.Contains(text, "from PUBLIC") {
		t.Errorf("the plan takes the role \"PUBLIC\" for PUBLIC:\n%s", text)
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	if !db.Bool(t, `select has_table_privilege('PUBLIC', 'app.t', 'SELECT') and has_database_privilege('PUBLIC', 'app', 'CONNECT') and not has_table_privilege('reporting', 'app.t', 'INSERT')`) {
		t.Error("the undeclared role \"PUBLIC\" lost its privilege")
	}
}

// withRolePUBLIC applies the example spec on a fresh database, then
// creates a role named "PUBLIC" as the admin (which may then act as it on
// 16+) that may use schema app.
func withRolePUBLIC(t *testing.T) (*pgtest.DB, *spec.Spec) {
	t.Helper()
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, `SET ROLE postgres; CREATE ROLE "PUBLIC"; RESET ROLE; GRANT USAGE ON SCHEMA app TO "PUBLIC"`)
	return db, s
}

// TestARoleNamedPUBLICAsGrantor: what a role named "PUBLIC" passed on to
// managed roles, with a grant option it holds on a table and on a column,
// is revoked as that role, which may use the schema (its own entry in the
// schema's ACL, left out of the privileges, which name PUBLIC so); before,
// the plan read PUBLIC's USAGE instead and had a problem, so nothing was
// applied. The role keeps its own privileges.
func TestARoleNamedPUBLICAsGrantor(t *testing.T) {
	db, s := withRolePUBLIC(t)
	db.Exec(t, `SET ROLE migrator; CREATE TABLE app.t (id int, secret text); GRANT TRUNCATE ON app.t TO "PUBLIC" WITH GRANT OPTION; GRANT UPDATE (secret) ON app.t TO "PUBLIC" WITH GRANT OPTION;
SET ROLE "PUBLIC"; GRANT TRUNCATE ON app.t TO app; GRANT UPDATE (secret) ON app.t TO reporting; RESET ROLE`)
	driftCase(t, db, s, "",
		`REVOKE TRUNCATE ON TABLE "app"."t" FROM "app"`,
		`REVOKE UPDATE ("secret") ON TABLE "app"."t" FROM "reporting"`)
	if !db.Bool(t, `select has_table_privilege('PUBLIC', 'app.t', 'TRUNCATE WITH GRANT OPTION') and has_column_privilege('PUBLIC', 'app.t', 'secret', 'UPDATE WITH GRANT OPTION')
  and not has_table_privilege('app', 'app.t', 'TRUNCATE') and not has_column_privilege('reporting', 'app.t', 'secret', 'UPDATE')`) {
		t.Error("the privileges passed on by the role \"PUBLIC\" are not revoked, or it lost its own")
	}
}

// TestARoleNamedPUBLICAsGrantorWithoutItsOption: column privileges a
// role named "PUBLIC" passed on under a grant option on the whole table.
// While it holds the option they are revoked as it; once the option is
// revoked (which leaves the column grants it made) its REVOKE does
// nothing, and rolekeeper cannot lend it the option and take it back as
// it was (its privileges would read as PUBLIC's), so the plan has a
// problem and nothing is applied. Before, the plan was taken to hold the
// option, and every plan repeated a revoke that did nothing.
func TestARoleNamedPUBLICAsGrantorWithoutItsOption(t *testing.T) {
	db, s := withRolePUBLIC(t)
	db.Exec(t, `SET ROLE migrator; CREATE TABLE app.t (id int, secret text); CREATE TABLE app.u (id int, secret text); GRANT UPDATE ON app.t, app.u TO "PUBLIC" WITH GRANT OPTION;
SET ROLE "PUBLIC"; GRANT UPDATE (secret) ON app.t, app.u TO reporting; RESET ROLE`)
	driftCase(t, db, s, "", `REVOKE UPDATE ("secret") ON TABLE "app"."t" FROM "reporting"`, `REVOKE UPDATE ("secret") ON TABLE "app"."u" FROM "reporting"`)

	db.Exec(t, `SET ROLE "PUBLIC"; GRANT UPDATE (secret) ON app.t, app.u TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.u FROM "PUBLIC"; RESET ROLE`)
	p := doPlan(t, db, s)
	if !strings.Contains(strings.Join(p.Problems, "\n"), `"reporting" holds column privileges UPDATE ("secret") on "app"."u", granted by a role named "PUBLIC", which no longer holds the grant option`) {
		t.Errorf("expected a problem about the role \"PUBLIC\" without its grant option on app.u:\n%s", planText(t, p))
	}
	fp := catalogFingerprint(t, db)
	if _, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{Secrets: testSecrets(t)}); err == nil {
		t.Error("apply succeeded despite the problem")
	}
	if catalogFingerprint(t, db) != fp {
		t.Error("apply changed the catalog despite the problem")
	}
}

// TestGrantsOnHostileNamedObjectsConverge: grants on named tables and
// sequences whose names the array text quotes reach exactly those objects,
// and drift on them and on their look-alikes (case, spaces) is repaired.
func TestGrantsOnHostileNamedObjectsConverge(t *testing.T) {
	db := pgtest.Fresh(t)
	base := map[string]any{"schemas": map[string]any{"app": map[string]string{"owner": "migrator"}},
		"roles": map[string]any{"migrator": map[string]bool{"login": true}}}
	doApply(t, db, mustSpec(t, specJSON(t, base)))
	var setup strings.Builder
	setup.WriteString("SET ROLE migrator;")
	for _, n := range hostileNames {
		fmt.Fprintf(&setup, "CREATE TABLE %s (id int); CREATE SEQUENCE %s;", pgx.Identifier{"app", n}.Sanitize(), pgx.Identifier{"app", "s" + n[:min(len(n), 60)]}.Sanitize())
	}
	setup.WriteString("RESET ROLE")
	db.Exec(t, setup.String())
	// Every other name is granted: "Case" but not "case", " lead" but not
	// "trail ", "NULL" but not "null", and so on.
	var tables, seqs []string
	for i, n := range hostileNames {
		if i%2 == 0 {
			tables = append(tables, n)
			seqs = append(seqs, "s"+n[:min(len(n), 60)])
		}
	}
	later := `later, "one"`
	base["roles"].(map[string]any)["auditor"] = map[string]any{"login": true, "grants": []any{
		map[string]any{"schema": "app", "tables": append(tables, later), "privileges": []string{"SELECT"}},
		map[string]any{"schema": "app", "sequences": seqs, "privileges": []string{"USAGE"}},
	}}
	s := mustSpec(t, specJSON(t, base))
	check := func() {
		t.Helper()
		expectNoChanges(t, db, s)
		bad := db.Strings(t, `
select c.relname::text from pg_class c
where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'S')
  and case c.relkind when 'r' then has_table_privilege('auditor', c.oid, 'SELECT') else has_sequence_privilege('auditor', c.oid, 'USAGE') end
      <> (c.relname = any($1))`, append(append(tables, later), seqs...))
		if len(bad) > 0 {
			t.Errorf("auditor's privileges are off on %q", bad)
		}
	}
	doApply(t, db, s)
	check()
	// Drift on look-alikes, and the table that did not exist appears.
	db.Exec(t, fmt.Sprintf("GRANT SELECT ON %s, %s TO auditor; REVOKE SELECT ON %s FROM auditor; SET ROLE migrator; CREATE TABLE %s (id int); RESET ROLE",
		pgx.Identifier{"app", "case"}.Sanitize(), pgx.Identifier{"app", "null"}.Sanitize(), pgx.Identifier{"app", "Case"}.Sanitize(), pgx.Identifier{"app", later}.Sanitize()))
	if doPlan(t, db, s).Empty() {
		t.Fatal("the drift is not planned")
	}
	doApply(t, db, s)
	check()
	// inspect writes the named grants back: planned, they change nothing.
	back := inspectYAML(t, db)
	if p := doPlan(t, db, back); !p.Empty() || len(p.Problems) > 0 {
		t.Fatalf("the inspected spec plans changes:\n%s", planText(t, p))
	}
}

// TestPlanTextShowsControlCharactersEscaped: a table owner names a table
// so that the plan, read on a terminal, in a log or an editor, would show
// lines of the owner's choosing (a line break, a carriage return, an escape
// sequence that erases a line, the Unicode line separator); the plan's
// text shows them escaped, one change a line, and the statements still
// name that table.
func TestPlanTextShowsControlCharactersEscaped(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	evil := "t\n+ grant nothing\r\x1b[2K\x1b[1A\u2028\u2029\u0085x"
	db.Exec(t, fmt.Sprintf("SET ROLE migrator; CREATE TABLE %[1]s (id int); CREATE TABLE app.plain (id int); GRANT INSERT ON %[1]s TO reporting; RESET ROLE",
		pgx.Identifier{"app", evil}.Sanitize()))
	p := doPlan(t, db, s)
	text := planText(t, p)
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if strings.ContainsAny(line, "\r\x1b\u2028\u2029\u0085") || strings.HasPrefix(line, "+ grant nothing") {
			t.Errorf("the plan's text holds a control character or a forged line: %q", line)
		}
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	if db.Bool(t, "select has_table_privilege('reporting', $1::regclass, 'INSERT')", pgx.Identifier{"app", evil}.Sanitize()) {
		t.Error("the revoke on the table missed it")
	}
}

// TestInspectYAMLOfYAMLSpecialNames: schema and role names that YAML reads
// as something else unless quoted (null, booleans, anchors, tags,
// comments, indicators) come back from inspect's YAML as they are.
func TestInspectYAMLOfYAMLSpecialNames(t *testing.T) {
	db := pgtest.Fresh(t)
	special := []string{"~", "yes", "No", "true", "0x1F", "1e3", "#hash", "- dash", "? q", ": colon", "a: b", "a #b",
		"&anchor", "*alias", "!tag", "%pct", "@at", "`tick", "|bar", ">gt", "'sq'", "[sq]", "<<"}
	schemas := map[string]any{}
	roles := map[string]any{"owner": map[string]bool{"login": true}}
	for _, n := range special {
		schemas[n] = map[string]string{"owner": "owner"}
		roles["r"+n] = map[string]any{"login": true, "access": map[string]string{n: "readonly"}}
	}
	s := mustSpec(t, specJSON(t, map[string]any{"schemas": schemas, "roles": roles}))
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	back := inspectYAML(t, db)
	for _, n := range special {
		if _, ok := back.Schemas[n]; !ok {
			t.Errorf("inspect's YAML lost schema %q", n)
		}
		if _, ok := back.Roles["r"+n]; !ok {
			t.Errorf("inspect's YAML lost role %q", "r"+n)
		}
	}
	if p := doPlan(t, db, back); !p.Empty() || len(p.Problems) > 0 {
		t.Fatalf("the inspected spec plans changes:\n%s", planText(t, p))
	}
}
