package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

func TestFreshApplyOfTheExampleSpec(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	res := doApply(t, db, s)
	if !res.Committed || res.Statements == 0 {
		t.Fatalf("expected a committed apply with statements, got %+v", res)
	}
	checks := []struct {
		what, sql string
		want      bool
	}{
		{"migrator owns schema app", `select nspowner::regrole::text = 'migrator' from pg_namespace where nspname = 'app'`, true},
		{"app may log in", `select rolcanlogin from pg_roles where rolname = 'app'`, true},
		{"app uses IAM", `select pg_has_role('app', 'rds_iam', 'MEMBER')`, true},
		{"reporting does not use IAM", `select pg_has_role('reporting', 'rds_iam', 'MEMBER')`, false},
		{"reporting has a connection limit of 5", `select rolconnlimit = 5 from pg_roles where rolname = 'reporting'`, true},
		{"reporting is in pg_read_all_stats", `select pg_has_role('reporting', 'pg_read_all_stats', 'MEMBER')`, true},
		{"app may connect", `select has_database_privilege('app', 'app', 'CONNECT')`, true},
		{"PUBLIC may not connect", `select not exists (select 1 from pg_database d, aclexplode(coalesce(datacl, acldefault('d', datdba))) a where datname = 'app' and a.grantee = 0 and privilege_type = 'CONNECT')`, true},
		{"PUBLIC may not create temp tables", `select not exists (select 1 from pg_database d, aclexplode(coalesce(datacl, acldefault('d', datdba))) a where datname = 'app' and a.grantee = 0 and privilege_type = 'TEMPORARY')`, true},
		{"PUBLIC may not create in public", `select not exists (select 1 from pg_namespace n, aclexplode(coalesce(nspacl, acldefault('n', nspowner))) a where nspname = 'public' and a.grantee = 0 and privilege_type = 'CREATE')`, true},
		{"app may use schema app", `select has_schema_privilege('app', 'app', 'USAGE')`, true},
		{"app may not create in schema app", `select has_schema_privilege('app', 'app', 'CREATE')`, false},
		{"search_path is set on the database", `select setconfig @> '{search_path=app}' from pg_db_role_setting where setrole = 0 and setdatabase = (select oid from pg_database where datname = 'app')`, true},
		{"reporting's statement_timeout is set", `select setconfig @> '{statement_timeout=30s}' from pg_db_role_setting where setrole = 'reporting'::regrole`, true},
		{"the admin is left a member of no managed role", `select not pg_has_role('postgres', 'migrator', 'USAGE') and not pg_has_role('postgres', 'app', 'USAGE')`, true},
	}
	for _, c := range checks {
		if got := db.Bool(t, c.sql); got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, got, c.want)
		}
	}
	expectNoChanges(t, db, s)
}

func TestSecondApplySendsNoWrites(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	mark := pgtest.LogMark(t)
	res := doApply(t, db, s)
	if res.Statements != 0 || res.Committed {
		t.Fatalf("second apply ran %d statements (committed=%v)", res.Statements, res.Committed)
	}
	stmts := pgtest.Statements(t, mark, "postgres")
	if len(stmts) == 0 {
		t.Fatal("the server log shows no statements at all: the log check cannot work")
	}
	for _, st := range stmts {
		upper := strings.ToUpper(st)
		for _, verb := range []string{"GRANT ", "REVOKE ", "CREATE ", "ALTER ", "DROP ", "REASSIGN "} {
			if strings.Contains(upper, ": "+verb) || strings.HasPrefix(upper, "STATEMENT: "+verb) {
				t.Errorf("second apply sent a write: %s", st)
			}
		}
	}
}

func TestDriftIsRepaired(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	// Tables made by the migrator after the first apply get their default privileges.
	mig := db.ConnectAs(t, "migrator", "")
	for _, q := range []string{"create table app.orders (id serial primary key, total int)", "create table app.items (id int)", "create table app.notes (id int)"} {
		if _, err := mig.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	expectNoChanges(t, db, s)

	// Drift by hand: an extra grant, a missing grant, a changed attribute,
	// an extra membership, an extra setting.
	db.Exec(t, "GRANT INSERT ON app.orders TO reporting")
	db.Exec(t, "REVOKE SELECT ON app.items FROM app")
	db.Exec(t, "ALTER ROLE app CONNECTION LIMIT 3")
	db.Exec(t, "ALTER ROLE reporting NOLOGIN")
	db.Exec(t, "SET ROLE postgres; GRANT pg_monitor TO app; RESET ROLE")
	db.Exec(t, "ALTER ROLE app IN DATABASE app SET work_mem = '64MB'")
	db.Exec(t, "GRANT CREATE ON SCHEMA app TO app")
	db.Exec(t, "GRANT TRUNCATE ON ALL TABLES IN SCHEMA app TO app")

	p := doPlan(t, db, s)
	text := planText(t, p)
	for _, want := range []string{
		`REVOKE INSERT ON TABLE "app"."orders" FROM "reporting"`,
		`GRANT SELECT ON TABLE "app"."items" TO "app"`,
		`ALTER ROLE "app" WITH CONNECTION LIMIT -1`,
		`ALTER ROLE "reporting" WITH LOGIN`,
		`REVOKE "pg_monitor" FROM "app"`, // (GRANTED BY ... on 16+)
		`ALTER ROLE "app" IN DATABASE "app" RESET "work_mem"`,
		`REVOKE CREATE ON SCHEMA "app" FROM "app"`,
		`REVOKE TRUNCATE ON ALL TABLES IN SCHEMA "app" FROM "app"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %s:\n%s", want, text)
		}
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	if !db.Bool(t, "select has_table_privilege('app', 'app.items', 'SELECT') and not has_table_privilege('reporting', 'app.orders', 'INSERT')") {
		t.Error("drift not repaired")
	}
}

func TestDefaultPrivilegesReachTablesCreatedLater(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, exampleSpec(t))
	ctx := context.Background()
	mig := db.ConnectAs(t, "migrator", "")
	if _, err := mig.Exec(ctx, "create table app.later (id bigserial primary key, v text); create function app.f() returns int language sql as 'select 1'"); err != nil {
		t.Fatal(err)
	}
	app := db.ConnectAs(t, "app", "")
	if _, err := app.Exec(ctx, "insert into app.later (v) values ('x'); update app.later set v = 'y'; select app.f(); delete from app.later"); err != nil {
		t.Fatalf("app cannot use migrator's new table: %v", err)
	}
	if _, err := app.Exec(ctx, "create table app.nope (id int)"); err == nil {
		t.Fatal("app could create a table in schema app")
	}
	if !db.Bool(t, "select has_table_privilege('reporting', 'app.later', 'SELECT') and not has_table_privilege('reporting', 'app.later', 'INSERT')") {
		t.Error("reporting should read, not write, the new table")
	}
}

func TestAbsentRoleIsRemovedAfterItsObjectsAreReassigned(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  old: {login: true, access: {app: readonly}}
`)
	doApply(t, db, s)
	db.Exec(t, "GRANT CREATE ON SCHEMA app TO old")
	db.Exec(t, "SET ROLE old; CREATE TABLE app.owned_by_old (id int); RESET ROLE")
	s = mustSpec(t, `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  old: {state: absent, reassign_owned_to: migrator}
`)
	p := doPlan(t, db, s)
	if !strings.Contains(planText(t, p), `DROP ROLE "old"`) {
		t.Fatalf("plan does not drop old:\n%s", planText(t, p))
	}
	doApply(t, db, s)
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'old')") {
		t.Fatal("role old still exists")
	}
	if !db.Bool(t, "select relowner::regrole::text = 'migrator' from pg_class where relname = 'owned_by_old'") {
		t.Fatal("the table of old was not reassigned to migrator")
	}
	expectNoChanges(t, db, s)
}

func TestHostileIdentifiersAreQuotedExactly(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas:
  'Sch"ema; DROP TABLE x; --':
    owner: "Mïgrätor Ünïcode"
roles:
  "Mïgrätor Ünïcode": {login: true}
  'o''brien "the" user':
    login: true
    access: {'Sch"ema; DROP TABLE x; --': readwrite}
    settings: {application_name: "it's; $$ \\ quoted"}
  "UPPER case":
    member_of: ['o''brien "the" user']
  "back\\slash; $$dollar$$ \nnew line":
    login: true
    access: {'Sch"ema; DROP TABLE x; --': readonly}
`)
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	if !db.Bool(t, `select has_schema_privilege('o''brien "the" user', 'Sch"ema; DROP TABLE x; --', 'USAGE')`) {
		t.Fatal("privilege on the hostile schema name is missing")
	}
	if !db.Bool(t, `select pg_has_role('UPPER case', 'o''brien "the" user', 'MEMBER')`) {
		t.Fatal("membership between hostile names is missing")
	}
	if !db.Bool(t, "select has_schema_privilege($1, $2, 'USAGE')", "back\\slash; $$dollar$$ \nnew line", `Sch"ema; DROP TABLE x; --`) {
		t.Fatal("the role with a backslash, dollars and a newline lacks its privilege")
	}
	got := db.Strings(t, `select unnest(setconfig) from pg_db_role_setting where setrole = (select oid from pg_roles where rolname = 'o''brien "the" user')`)
	if len(got) != 1 || got[0] != `application_name=it's; $$ \ quoted` {
		t.Fatalf("setting stored as %q", got)
	}
}

func TestProblemsStopApplyBeforeAnyChange(t *testing.T) {
	db := pgtest.Fresh(t)
	before := catalogFingerprint(t, db)
	s := mustSpec(t, `
roles:
  fine: {login: true}
  postgres: {login: true}
`)
	_, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{})
	var pe *apply.ProblemsError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "connects as") {
		t.Fatalf("expected a problem about the connected user, got %v", err)
	}
	if after := catalogFingerprint(t, db); after != before {
		t.Fatalf("a refused plan changed the catalog")
	}
}

func TestFailureMidApplyRollsBackEverything(t *testing.T) {
	db := pgtest.Fresh(t)
	before := catalogFingerprint(t, db)
	// The server rejects the unknown setting after the roles were created.
	s := mustSpec(t, `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  app: {login: true, access: {app: readwrite}, settings: {no_such_setting: "1"}}
`)
	_, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{})
	if err == nil || !strings.Contains(err.Error(), "no_such_setting") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("expected a failure naming the setting, got %v", err)
	}
	if after := catalogFingerprint(t, db); after != before {
		t.Fatalf("a failed apply left changes behind")
	}
}

func TestAdditiveModeNeverRevokes(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
mode: additive
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  app: {login: true, access: {app: readonly}}
`)
	doApply(t, db, s)
	db.Exec(t, "CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO migrator; GRANT INSERT ON app.t TO app")
	p := doPlan(t, db, s)
	for _, c := range p.Changes {
		if c.Action == "revoke" {
			t.Fatalf("additive plan revokes: %s", c.Summary)
		}
	}
	doApply(t, db, s)
	if !db.Bool(t, "select has_table_privilege('app', 'app.t', 'INSERT') and has_table_privilege('app', 'app.t', 'SELECT')") {
		t.Fatal("additive apply should keep INSERT and add SELECT")
	}
}

func TestUndeclaredRolesAreListedAndUntouched(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE ROLE bystander LOGIN CONNECTION LIMIT 7")
	db.Exec(t, "GRANT CONNECT ON DATABASE app TO bystander")
	p := doPlan(t, db, exampleSpec(t))
	if strings.Join(p.Unmanaged, ",") != "bystander" {
		t.Fatalf("unmanaged roles: %v", p.Unmanaged)
	}
	doApply(t, db, exampleSpec(t))
	if !db.Bool(t, "select rolconnlimit = 7 and has_database_privilege('bystander', 'app', 'CONNECT') from pg_roles where rolname = 'bystander'") {
		t.Fatal("an undeclared role was changed")
	}
}

func TestPlanOutputIsDeterministic(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	first := planText(t, doPlan(t, db, s))
	for i := 0; i < 5; i++ {
		if again := planText(t, doPlan(t, db, exampleSpec(t))); again != first {
			t.Fatalf("plan output differs between runs:\n%s\n---\n%s", first, again)
		}
	}
}

func TestPartialDriftIsRepairedPerObject(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas: {s: {owner: owner}}
roles:
  owner: {}
  a: {access: {s: readonly}}
  b: {access: {s: readonly}}
`)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE owner; CREATE TABLE s.t1 (id int); CREATE TABLE s.t2 (id int); CREATE TABLE s.t3 (id int); RESET ROLE")
	db.Exec(t, "REVOKE SELECT ON s.t2 FROM a, b")
	db.Exec(t, "REVOKE SELECT ON s.t3 FROM a")
	// An extra privilege on 2 of 3 tables: rolekeeper reads the table
	// that lacks it and revokes from the other two.
	db.Exec(t, "GRANT INSERT ON s.t1, s.t2 TO b")
	p := doPlan(t, db, s)
	var stmts []string
	for _, c := range p.Changes {
		if c.Action != "temporary" {
			stmts = append(stmts, c.SQL...)
		}
	}
	want := []string{
		`GRANT SELECT ON TABLE "s"."t2" TO "a", "b"`,
		`GRANT SELECT ON TABLE "s"."t3" TO "a"`,
		`REVOKE INSERT ON TABLE "s"."t1", "s"."t2" FROM "b"`,
	}
	if strings.Join(stmts, "\n") != strings.Join(want, "\n") {
		t.Fatalf("partial drift statements:\n%s\nwant:\n%s", strings.Join(stmts, "\n"), strings.Join(want, "\n"))
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
}

func TestOwnersKeepTheirOwnPrivileges(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas: {s: {owner: migrator}}
roles:
  migrator: {login: true, access: {s: readonly}}
`)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE s.mine (id int); RESET ROLE")
	p := doPlan(t, db, s)
	if !p.Empty() {
		t.Fatalf("plan touches the owner's own privileges:\n%s", planText(t, p))
	}
	doApply(t, db, s)
	if !db.Bool(t, "select has_table_privilege('migrator', 's.mine', 'DELETE')") {
		t.Fatal("owner lost privileges on its own table")
	}
}

func TestMembershipGrantedBySuperuserIsAProblemOn16(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, "roles: {app: {login: true}}")
	doApply(t, db, s)
	db.Exec(t, "GRANT pg_monitor TO app") // as the bootstrap superuser
	p := doPlan(t, db, s)
	if pgtest.Server.Major < 16 {
		// Before 16 the admin's REVOKE removes it whoever granted it.
		doApply(t, db, s)
		expectNoChanges(t, db, s)
		return
	}
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], `granted by "rdsadmin"`) {
		t.Fatalf("expected one problem naming the grantor, got %q", p.Problems)
	}
}

var _ = plan.Options{}

func TestGrantsOnNamedTablesConverge(t *testing.T) {
	db := pgtest.Fresh(t)
	base := `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
`
	doApply(t, db, mustSpec(t, base))
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.orders (id int); CREATE TABLE app.items (id int); CREATE TABLE app.notes (id int); CREATE SEQUENCE app.seq; RESET ROLE")
	s := mustSpec(t, base+`
  auditor:
    login: true
    grants:
      - {schema: app, tables: [orders, items, later], privileges: [SELECT]}
      - {schema: app, sequences: [seq], privileges: [USAGE]}
`)
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	if !db.Bool(t, `select has_schema_privilege('auditor', 'app', 'USAGE') and has_table_privilege('auditor', 'app.orders', 'SELECT')
		and has_table_privilege('auditor', 'app.items', 'SELECT') and not has_table_privilege('auditor', 'app.notes', 'SELECT')
		and has_sequence_privilege('auditor', 'app.seq', 'USAGE') and not has_sequence_privilege('auditor', 'app.seq', 'SELECT')`) {
		t.Fatal("named grants not as declared")
	}
	// Drift both ways, and the table that did not exist yet appears.
	db.Exec(t, "GRANT SELECT ON app.notes TO auditor; REVOKE SELECT ON app.orders FROM auditor")
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.later (id int); RESET ROLE")
	text := planText(t, doPlan(t, db, s))
	for _, want := range []string{
		`GRANT SELECT ON TABLE "app"."later", "app"."orders" TO "auditor"`,
		`REVOKE SELECT ON TABLE "app"."notes" FROM "auditor"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %s:\n%s", want, text)
		}
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	// A schema-wide grant of the same privilege makes named grants moot.
	db.Exec(t, "GRANT SELECT ON ALL TABLES IN SCHEMA app TO auditor")
	if !strings.Contains(planText(t, doPlan(t, db, s)), `REVOKE SELECT ON TABLE "app"."notes" FROM "auditor"`) {
		t.Fatal("an extra grant on an unnamed table was not revoked")
	}
}
