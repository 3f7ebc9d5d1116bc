package apply_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// transition applies spec a, runs between (statements as the superuser:
// what users do between two applies, e.g. a migration), applies spec b
// once and expects a plan of b to change nothing: every change of spec
// converges in one apply.
func transition(t *testing.T, db *pgtest.DB, a, between, b string) {
	t.Helper()
	doApply(t, db, mustSpec(t, a))
	if between != "" {
		db.Exec(t, between)
	}
	sb := mustSpec(t, b)
	if p := doPlan(t, db, sb); len(p.Problems) > 0 {
		t.Fatalf("plan of the second spec has problems:\n%s", planText(t, p))
	}
	doApply(t, db, sb)
	expectNoChanges(t, db, sb)
}

// A role that holds privileges on another role's objects (tables,
// sequences, functions, the schema, default privileges) is dropped: its
// privileges are revoked as their grantor before DROP ROLE.
func TestTransitionDropRoleWithPrivilegesOnOthersObjects(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  app: {login: true, access: {app: readwrite}}
`
	migration := `SET ROLE migrator; CREATE TABLE app.t (id bigserial primary key); CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'select 1'; RESET ROLE`
	b := `
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: true}
  app: {state: absent}
`
	transition(t, db, a, migration, b)
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'app')") {
		t.Fatal("role app still exists")
	}
	if !db.Bool(t, "select exists (select 1 from pg_class where relname = 't' and relowner = 'migrator'::regrole)") {
		t.Fatal("migrator's table is gone")
	}
}

// The demo layout, then app: {state: absent} (the first report).
func TestTransitionDropRoleOfTheDemoLayout(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
schemas: {app: {owner: migrator}}
roles:
  migrator: {auth: iam}
  app: {auth: iam, access: {app: readonly}}
`
	b := `
schemas: {app: {owner: migrator}}
roles:
  migrator: {auth: iam}
  app: {state: absent}
`
	transition(t, db, a, "SET ROLE migrator; CREATE TABLE app.t (id int); RESET ROLE", b)
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'app')") {
		t.Fatal("role app still exists")
	}
}

// The old migrator is retired while the schema moves to a new owner: its
// default privileges go with it, and no problem names a
// default_privileges_for entry the spec never wrote.
func TestTransitionRetireRoleWithDefaultPrivileges(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
schemas: {app: {owner: old}}
roles:
  old: {login: true}
  app: {login: true, access: {app: readwrite}}
`
	b := `
schemas: {app: {owner: new}}
roles:
  new: {login: true}
  old: {state: absent, reassign_owned_to: new}
  app: {login: true, access: {app: readwrite}}
`
	transition(t, db, a, "SET ROLE old; CREATE TABLE app.t (id int); RESET ROLE", b)
	if !db.Bool(t, "select relowner = 'new'::regrole from pg_class where relname = 't'") {
		t.Fatal("old's table did not go to new")
	}
	if db.Bool(t, "select exists (select 1 from pg_default_acl where defaclrole::regrole::text = 'old')") {
		t.Fatal("default privileges of old are left")
	}
	// The new owner's future tables reach app.
	db.Exec(t, "SET ROLE new; CREATE TABLE app.later (id int); RESET ROLE")
	if !db.Bool(t, "select has_table_privilege('app', 'app.later', 'INSERT')") {
		t.Fatal("app has no INSERT on a table the new owner created")
	}
}

// analyst member of lead becomes lead member of analyst.
func TestTransitionReverseMembership(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
roles:
  lead: {}
  analyst: {member_of: [lead]}
`
	b := `
roles:
  lead: {member_of: [analyst]}
  analyst: {}
`
	transition(t, db, a, "", b)
	if !db.Bool(t, "select pg_has_role('lead', 'analyst', 'MEMBER') and not pg_has_role('analyst', 'lead', 'MEMBER')") {
		t.Fatal("the membership was not reversed")
	}
}

// Additive mode, a user moves from IAM to a password: the password is set
// once and the user leaves rds_iam.
func TestTransitionAdditiveIAMToPassword(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
mode: additive
roles:
  app: {auth: iam}
`
	b := `
mode: additive
roles:
  app: {auth: password}
`
	transition(t, db, a, "", b)
	if db.Bool(t, "select pg_has_role('app', 'rds_iam', 'MEMBER')") {
		t.Fatal("app is still in rds_iam")
	}
	if !db.Bool(t, "select rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'app'") {
		t.Fatal("app has no password")
	}
}

// The schema moves to a new owner; the former owner keeps its tables but
// loses USAGE on the schema: grants on its tables still converge, in this
// apply and the next ones.
func TestTransitionObjectsOfAFormerSchemaOwner(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
schemas: {app: {owner: old}}
roles:
  old: {login: true}
  new: {login: true}
  app: {login: true, access: {app: readonly}}
`
	b := `
schemas: {app: {owner: new}}
roles:
  old: {login: true}
  new: {login: true}
  app: {login: true, access: {app: readwrite}}
`
	transition(t, db, a, "SET ROLE old; CREATE TABLE app.t (id int); RESET ROLE", b)
	if !db.Bool(t, "select has_table_privilege('app', 'app.t', 'INSERT')") {
		t.Fatal("app has no INSERT on the table of the former owner")
	}
	// Drift on the former owner's table is repaired later too.
	db.Exec(t, "REVOKE INSERT ON app.t FROM app")
	sb := mustSpec(t, b)
	doApply(t, db, sb)
	expectNoChanges(t, db, sb)
}

// A schema declared without an owner: the profiles cover the objects its
// actual owner creates later.
func TestTransitionSchemaWithoutOwnerCoversItsOwnersFutureObjects(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE ROLE owner_x LOGIN; CREATE SCHEMA app AUTHORIZATION owner_x; GRANT owner_x TO postgres WITH ADMIN OPTION")
	db.Exec(t, "REVOKE owner_x FROM postgres") // the admin is not a member; on 16+ it has no ADMIN either
	b := `
schemas: {app: {}}
roles:
  app: {login: true, access: {app: readonly}}
`
	if pgtest.Server.Major >= 16 {
		// On 16+ acting as owner_x needs ADMIN OPTION: the plan must say so.
		p := doPlan(t, db, mustSpec(t, b))
		if !strings.Contains(strings.Join(p.Problems, "\n"), `GRANT "owner_x" TO "postgres" WITH ADMIN OPTION`) {
			t.Fatalf("expected a problem naming the ADMIN OPTION to grant, got:\n%s", planText(t, p))
		}
		db.Exec(t, "GRANT owner_x TO postgres WITH ADMIN OPTION, INHERIT FALSE, SET FALSE")
	}
	transition(t, db, "roles: {}", "", b)
	db.Exec(t, "SET ROLE owner_x; CREATE TABLE app.later (id int); RESET ROLE")
	if !db.Bool(t, "select has_table_privilege('app', 'app.later', 'SELECT')") {
		t.Fatal("app cannot read a table the schema's owner created after the apply")
	}
}

// A schema the admin creates without an owner is the admin's: its future
// objects are covered too.
func TestTransitionSchemaWithoutOwnerCreatedByTheAdmin(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, `
schemas: {app: {}}
roles:
  app: {login: true, access: {app: readonly}}
`)
	doApply(t, db, s)
	expectNoChanges(t, db, s)
	admin := adminConn(t, db)
	if _, err := admin.Exec(context.Background(), "CREATE TABLE app.later (id int)"); err != nil {
		t.Fatal(err)
	}
	if !db.Bool(t, "select has_table_privilege('app', 'app.later', 'SELECT')") {
		t.Fatal("app cannot read a table the schema's owner (the admin) created after the apply")
	}
}

// A membership that would close a loop through a role the plan drops
// (a in r, r in b; then b in a, r absent, a no longer managed) is granted
// after the drop: the drop breaks the loop. Ordered by kinds alone the
// grant ran first and apply failed every time.
func TestTransitionMembershipLoopThroughADroppedRole(t *testing.T) {
	db := pgtest.Fresh(t)
	a := `
roles:
  a: {member_of: [r]}
  r: {member_of: [b]}
  b: {}
`
	b := `
roles:
  b: {member_of: [a]}
  r: {state: absent}
`
	transition(t, db, a, "", b)
	if !db.Bool(t, "select pg_has_role('b', 'a', 'MEMBER') and not exists (select 1 from pg_roles where rolname = 'r')") {
		t.Fatal("b is not a member of a, or r still exists")
	}
}

// A password user dropped and declared again with the same secret (the
// secret outlives the role): apply creates the role and sets its password
// from the secret, which still holds it, so the user logs in with it and
// the next plan is empty.
func TestTransitionPasswordRoleComesBackWithItsSecret(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	secrets := testSecrets(t)
	user := mustSpec(t, "roles:\n  app: {auth: password, password_secret: app/app}\n")
	doApplyWith(t, db, user, secrets)
	first, err := secrets.Store.Get(ctx, "app/app", credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	doApplyWith(t, db, mustSpec(t, "roles:\n  app: {state: absent}\n"), secrets)
	doApplyWith(t, db, user, secrets)
	expectNoChanges(t, db, user)
	again, err := secrets.Store.Get(ctx, "app/app", credentials.StageCurrent)
	if err != nil || again.ID != first.ID {
		t.Fatalf("the secret was replaced (%v): the role that came back must use the one it had", err)
	}
	db.ConnectAs(t, "app", again.Secret.Password).Close(ctx)
}
