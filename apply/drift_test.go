package apply_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// driftCase runs SQL by hand (as the superuser) on a database that matches
// s, then requires the plan to change something (plan exits 2) and to hold
// every line in want, an apply, and a plan with no changes (exit 0).
func driftCase(t *testing.T, db *pgtest.DB, s *spec.Spec, byHand string, want ...string) {
	t.Helper()
	if byHand != "" {
		db.Exec(t, byHand)
	}
	p := doPlan(t, db, s)
	text := planText(t, p)
	if p.Empty() || len(p.Problems) > 0 {
		t.Fatalf("after %q the plan should change something, without problems:\n%s", byHand, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("after %q the plan lacks %s:\n%s", byHand, w, text)
		}
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
}

// globalDefaultsAcl lists the database-wide default ACLs of creator.
func globalDefaultsACL(t *testing.T, db *pgtest.DB, creator string) string {
	t.Helper()
	return strings.Join(db.Strings(t, `select defaclobjtype::text || ':' || defaclacl::text from pg_default_acl
		where defaclnamespace = 0 and defaclrole = $1::regrole order by 1`, creator), " ")
}

// template-infra's example migration runs ALTER DEFAULT PRIVILEGES GRANT
// ALL ON TABLES TO app as the migrator, with no IN SCHEMA: every table the
// migrator creates later, anywhere, gives app everything.
func TestDriftDatabaseWideDefaultPrivilegesAreRevoked(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	driftCase(t, db, s, "SET ROLE migrator; ALTER DEFAULT PRIVILEGES GRANT ALL ON TABLES TO app; ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO reporting; RESET ROLE",
		`- future tables "migrator" creates in any schema: revoke`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" REVOKE SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER`,
		`ON TABLES FROM "app"`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" REVOKE USAGE ON TYPES FROM "reporting"`)
	if acl := globalDefaultsACL(t, db, "migrator"); acl != "" {
		t.Errorf("database-wide default privileges of migrator remain: %s", acl)
	}

	// A creator outside the spec: its default privileges still reach a
	// managed role, so they are revoked too.
	db.Exec(t, "SET ROLE postgres; CREATE ROLE legacy; RESET ROLE")
	driftCase(t, db, s, "ALTER DEFAULT PRIVILEGES FOR ROLE legacy GRANT INSERT ON TABLES TO reporting; ALTER DEFAULT PRIVILEGES FOR ROLE legacy GRANT EXECUTE ON FUNCTIONS TO app",
		`ALTER DEFAULT PRIVILEGES FOR ROLE "legacy" REVOKE INSERT ON TABLES FROM "reporting"`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "legacy" REVOKE EXECUTE ON FUNCTIONS FROM "app"`)
	if acl := globalDefaultsACL(t, db, "legacy"); acl != "" {
		t.Errorf("database-wide default privileges of legacy remain: %s", acl)
	}

	// Grants to roles outside the spec are left alone.
	db.Exec(t, "SET ROLE postgres; CREATE ROLE outsider; RESET ROLE; ALTER DEFAULT PRIVILEGES FOR ROLE migrator GRANT SELECT ON TABLES TO outsider")
	expectNoChanges(t, db, s)
}

func TestDriftDatabaseWideDefaultPrivilegesAsDeclared(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas:
  app: {owner: migrator}
roles:
  migrator: {login: true}
  app:
    login: true
    access: {app: readwrite}
default_privileges:
  migrator:
    app: {tables: [ALL], sequences: [ALL], functions: [EXECUTE]}
`)
	driftCase(t, db, s, "",
		// ALL: and MAINTAIN on PostgreSQL 17+.
		`+ future tables "migrator" creates in any schema: grant SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO "app"`)
	// What it does: a table the migrator makes in another schema gives app all.
	db.Exec(t, `CREATE SCHEMA other AUTHORIZATION migrator; SET ROLE migrator; CREATE TABLE other.t (id int); RESET ROLE`)
	if !db.Bool(t, "select has_table_privilege('app', 'other.t', 'TRUNCATE')") {
		t.Error("the declared database-wide default privileges did not reach a new table")
	}
	expectNoChanges(t, db, s)

	// Taking one privilege away by hand is drift; so is one the spec lacks.
	driftCase(t, db, s, "ALTER DEFAULT PRIVILEGES FOR ROLE migrator REVOKE TRUNCATE ON TABLES FROM app",
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" GRANT TRUNCATE ON TABLES TO "app"`)
}

func TestInspectWritesDatabaseWideDefaultPrivileges(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "SET ROLE postgres; CREATE ROLE migrator LOGIN; CREATE ROLE app LOGIN; RESET ROLE; GRANT CONNECT ON DATABASE app TO migrator, app")
	db.Exec(t, "ALTER DEFAULT PRIVILEGES FOR ROLE migrator GRANT SELECT, INSERT ON TABLES TO app; ALTER DEFAULT PRIVILEGES FOR ROLE migrator GRANT USAGE ON TYPES TO app")
	out, notes := inspectSpec(t, db)
	got := out.DefaultPrivileges["migrator"]["app"]
	if got == nil || got.Inline == nil || strings.Join(got.Inline.Tables, ",") != "SELECT,INSERT" {
		t.Fatalf("inspect wrote default_privileges %+v", out.DefaultPrivileges)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "USAGE on types that migrator creates in any schema are granted to app") {
		t.Errorf("inspect notes lack the default privileges on types: %q", notes)
	}
}

// inspectSpec runs what `rolekeeper inspect` does and returns the spec and
// notes it writes.
func inspectSpec(t *testing.T, db *pgtest.DB) (*spec.Spec, []string) {
	t.Helper()
	snap, err := catalog.Inspect(context.Background(), adminConn(t, db), catalog.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return spec.FromState(snap.DB, func(role string) bool { return plan.IsSystemRole(role, snap) })
}

// ALTER ROLE x SET without IN DATABASE holds in this database too.
func TestDriftRoleSettingsForAllDatabases(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	driftCase(t, db, s, "ALTER ROLE app SET work_mem = '8MB'",
		`- reset work_mem for role "app" in all databases (not in the spec)`,
		`ALTER ROLE "app" RESET "work_mem"`)
	if db.Bool(t, "select exists (select 1 from pg_db_role_setting where setrole = 'app'::regrole and setdatabase = 0)") {
		t.Error("the all-databases setting of app remains")
	}

	declared := mustSpec(t, `
roles:
  app:
    login: true
    settings_in_all_databases: {statement_timeout: 5s, search_path: [app, public]}
`)
	driftCase(t, db, declared, "",
		`ALTER ROLE "app" SET "statement_timeout" = '5s'`,
		`ALTER ROLE "app" SET "search_path" = 'app', 'public'`)
	driftCase(t, db, declared, "ALTER ROLE app SET statement_timeout = '1min'",
		`~ set statement_timeout for role "app" in all databases`)
}

// A role outside the spec made a member of a managed role by hand gets
// the managed role's privileges: it is removed unless the spec names it.
func TestDriftMembersOutsideTheSpec(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE postgres; CREATE ROLE outsider LOGIN; RESET ROLE")
	driftCase(t, db, s, "SET ROLE postgres; GRANT app TO outsider; RESET ROLE",
		`- remove "outsider" from "app" (a member the spec does not declare)`,
		`REVOKE "app" FROM "outsider"`)
	if db.Bool(t, "select pg_has_role('outsider', 'app', 'MEMBER')") {
		t.Fatal("outsider is still a member of app")
	}

	// Additive mode reports it and leaves it.
	additive := mustSpec(t, strings.Replace(exampleYAML(t), "database: app", "database: app\nmode: additive", 1))
	db.Exec(t, "SET ROLE postgres; GRANT app TO outsider; RESET ROLE")
	p := doPlan(t, db, additive)
	if !p.Empty() || !strings.Contains(planText(t, p), `? "outsider" is a member of "app" and the spec does not say so`) {
		t.Errorf("additive plan should change nothing and list the member outside the spec:\n%s", planText(t, p))
	}

	// Declared from the group's side, or left to someone else: no change.
	named := mustSpec(t, strings.Replace(exampleYAML(t), "# the application service\n", "# the application service\n    members: [outsider]\n", 1))
	expectNoChanges(t, db, named)
	elsewhere := mustSpec(t, strings.Replace(exampleYAML(t), "# the application service\n", "# the application service\n    members_managed_elsewhere: true\n", 1))
	expectNoChanges(t, db, elsewhere)
	db.Exec(t, "SET ROLE postgres; REVOKE app FROM outsider; RESET ROLE")
	driftCase(t, db, named, "", `GRANT "app" TO "outsider"`)
}

// TestDriftMemberOutsideTheSpecWhoGrantedTheRole: a role outside the
// spec, made a member of a managed role with ADMIN OPTION, granted the
// role on to a managed role. From PostgreSQL 16 its own membership cannot
// go while the grant it made stands (dependent privileges exist): that
// grant is revoked first. Before, the apply failed and rolled back.
func TestDriftMemberOutsideTheSpecWhoGrantedTheRole(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	uses := "GRANT outsider TO postgres"
	if pgtest.Server.Major >= 16 {
		uses += " WITH INHERIT TRUE" // the admin may revoke what outsider granted
	}
	db.Exec(t, "SET ROLE postgres; CREATE ROLE outsider; GRANT app TO outsider WITH ADMIN OPTION; RESET ROLE; "+uses+"; SET ROLE outsider; GRANT app TO reporting; RESET ROLE")
	want := []string{`REVOKE "app" FROM "outsider"`, `REVOKE "app" FROM "reporting"`}
	if pgtest.Server.Major >= 16 {
		want = []string{`REVOKE "app" FROM "outsider" GRANTED BY "postgres"`, `REVOKE "app" FROM "reporting" GRANTED BY "outsider"`}
	}
	driftCase(t, db, s, "", want...)
	if db.Bool(t, "select pg_has_role('outsider', 'app', 'MEMBER') or pg_has_role('reporting', 'app', 'MEMBER')") {
		t.Error("outsider or reporting is still a member of app")
	}
}

func exampleYAML(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every role has what PUBLIC has: PUBLIC's privileges on tables and
// sequences in a managed schema are revoked unless public.access gives them.
func TestDriftPublicOnObjectsInManagedSchemas(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t1 (id serial); CREATE TABLE app.t2 (id int); RESET ROLE")
	expectNoChanges(t, db, s)
	driftCase(t, db, s, "SET ROLE migrator; GRANT SELECT ON app.t1 TO PUBLIC; GRANT USAGE ON ALL SEQUENCES IN SCHEMA app TO PUBLIC; ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT DELETE ON TABLES TO PUBLIC; RESET ROLE",
		`REVOKE SELECT ON TABLE "app"."t1" FROM PUBLIC`,
		`REVOKE USAGE ON ALL SEQUENCES IN SCHEMA "app" FROM PUBLIC`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" REVOKE DELETE ON TABLES FROM PUBLIC`)
	if db.Bool(t, "select exists (select 1 from pg_class c, aclexplode(c.relacl) a where c.relnamespace = 'app'::regnamespace and a.grantee = 0)") {
		t.Error("PUBLIC still holds privileges on objects in schema app")
	}

	// Declared: granted on existing and future tables, and converged.
	declared := mustSpec(t, strings.Replace(exampleYAML(t), "public:\n", "public:\n  access:\n    app: {tables: [SELECT]}\n", 1))
	driftCase(t, db, declared, "",
		`GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO PUBLIC`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" GRANT SELECT ON TABLES TO PUBLIC`)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t3 (id int); RESET ROLE")
	expectNoChanges(t, db, declared)
}

// Grant options and grant chains: an owner-made REVOKE does not remove a
// grant option, nor a privilege another role granted.
func TestDriftGrantOptionsAndChains(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t1 (id int); CREATE TABLE app.t2 (id int); RESET ROLE")
	db.Exec(t, "SET ROLE postgres; CREATE ROLE outsider; RESET ROLE")
	expectNoChanges(t, db, s)

	// A grant option held by a managed role.
	driftCase(t, db, s, "SET ROLE migrator; GRANT SELECT, INSERT ON app.t1 TO app WITH GRANT OPTION; RESET ROLE",
		`REVOKE GRANT OPTION FOR SELECT, INSERT ON TABLE "app"."t1" FROM "app"`)

	// A chain inside the spec: app passes SELECT on to reporting and
	// DELETE, which reporting must not have; the revoke cascades.
	driftCase(t, db, s, "SET ROLE migrator; GRANT SELECT, DELETE ON app.t2 TO app WITH GRANT OPTION; SET ROLE app; GRANT SELECT, DELETE ON app.t2 TO reporting; RESET ROLE",
		`REVOKE GRANT OPTION FOR SELECT, DELETE ON TABLE "app"."t2" FROM "app" CASCADE`)
	if db.Bool(t, "select has_table_privilege('reporting', 'app.t2', 'DELETE') or not has_table_privilege('reporting', 'app.t2', 'SELECT')") {
		t.Error("reporting should keep SELECT (from the owner) and lose DELETE")
	}

	// A privilege a role outside the spec granted to a managed role: revoked as that role.
	driftCase(t, db, s, "GRANT USAGE ON SCHEMA app TO outsider; GRANT SELECT, TRUNCATE ON app.t1 TO outsider WITH GRANT OPTION; SET ROLE outsider; GRANT SELECT, TRUNCATE ON app.t1 TO app; RESET ROLE",
		`SET ROLE "outsider"`,
		`REVOKE SELECT, TRUNCATE ON TABLE "app"."t1" FROM "app"`)
	if db.Bool(t, "select has_table_privilege('app', 'app.t1', 'TRUNCATE')") || !db.Bool(t, "select has_table_privilege('app', 'app.t1', 'SELECT')") {
		t.Error("app should keep SELECT (from the owner) and lose TRUNCATE")
	}

	// A chain that leaves the spec: the plan says so instead of cascading.
	db.Exec(t, "SET ROLE migrator; GRANT SELECT ON app.t2 TO app WITH GRANT OPTION; SET ROLE app; GRANT SELECT ON app.t2 TO outsider; RESET ROLE")
	p := doPlan(t, db, s)
	if !strings.Contains(strings.Join(p.Problems, "\n"), `passed it on to "outsider", outside the spec`) {
		t.Errorf("expected a problem about the chain to outsider:\n%s", planText(t, p))
	}
}

// An object in a managed schema owned by another role than the schema's
// owner: reported, and given to the owner when the spec asks.
func TestDriftObjectOwnership(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE postgres; CREATE ROLE outsider; RESET ROLE; CREATE TABLE app.o (id serial, v text); CREATE VIEW app.ov AS SELECT * FROM app.o; ALTER TABLE app.o OWNER TO outsider; ALTER VIEW app.ov OWNER TO outsider")
	p := doPlan(t, db, s)
	text := planText(t, p)
	if !strings.Contains(text, `? 2 tables in schema "app" owned by "outsider", not by the schema's owner "migrator"`) ||
		!strings.Contains(text, `? 1 sequence in schema "app" owned by "outsider"`) {
		t.Errorf("the plan should report the objects outsider owns:\n%s", text)
	}
	reassign := mustSpec(t, strings.Replace(exampleYAML(t), "    owner: migrator", "    owner: migrator\n    reassign_objects: true", 1))
	driftCase(t, db, reassign, "",
		`~ give 2 tables in "app" owned by "outsider" to the schema's owner "migrator"`,
		`ALTER TABLE "app"."o" OWNER TO "migrator"`,
		`ALTER TABLE "app"."ov" OWNER TO "migrator"`,
		`ALTER TABLE "app"."o_id_seq" OWNER TO "migrator"`)
	if db.Bool(t, "select exists (select 1 from pg_class where relnamespace = 'app'::regnamespace and relowner <> 'migrator'::regrole)") {
		t.Error("objects in schema app are still owned by another role than migrator")
	}
}
