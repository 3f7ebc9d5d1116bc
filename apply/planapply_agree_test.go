package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

// TestPasswordRoleWithoutASecretStoreIsAPlanProblem: with no secret store
// configured, a password that must be set is a problem the plan reports,
// and apply changes nothing, rather than failing half-way.
func TestPasswordRoleWithoutASecretStoreIsAPlanProblem(t *testing.T) {
	db := pgtest.Fresh(t)
	conn := adminConn(t, db)
	s := mustSpec(t, "roles:\n  reporting: {auth: password, password_secret: app/reporting}\n")
	ctx := context.Background()
	p, err := apply.Plan(ctx, conn, desired(s), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if probs := apply.StoreProblems(nil, p); len(probs) != 1 || !strings.Contains(probs[0], `role "reporting" uses auth: password`) || !strings.Contains(probs[0], "--secrets-dir") {
		t.Fatalf("plan problems without a store: %q", probs)
	}
	if probs := apply.StoreProblems(testSecrets(t), p); len(probs) != 0 {
		t.Fatalf("a configured store is not a problem: %q", probs)
	}
	mark := pgtest.LogMark(t)
	_, err = apply.Apply(ctx, conn, desired(s), apply.Options{})
	var pe *apply.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("apply without a store: got %v, want the plan's problems", err)
	}
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'reporting')") {
		t.Fatal("apply created the role though the plan had problems")
	}
	if w := pgtest.Statements(t, mark, "postgres"); len(w) > 0 && strings.Contains(strings.Join(w, ";"), "CREATE ROLE") {
		t.Fatalf("statements sent: %q", w)
	}
}

// TestRolledBackApplySaysWhichSecretsItWrote: a password's secret is
// written before the server; when a later statement fails, the message
// says the database is unchanged, which secrets were written, and that
// the next apply uses them (it does: same secret version, login works).
func TestRolledBackApplySaysWhichSecretsItWrote(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, mustSpec(t, "schemas:\n  app: {owner: migrator}\nroles:\n  migrator: {auth: none}\n"))
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t (id int); RESET ROLE")
	s := mustSpec(t, "schemas:\n  app: {owner: migrator}\nroles:\n  migrator: {auth: none}\n  reporting:\n    auth: password\n    password_secret: app/reporting\n    access: {app: readonly}\n")
	secrets := testSecrets(t)
	ctx := context.Background()

	// Another session is creating the same role and has not committed:
	// CREATE ROLE waits for it and times out, after the password's secret
	// was written.
	tx, err := db.Super.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "CREATE ROLE reporting"); err != nil {
		t.Fatal(err)
	}
	_, err = apply.Apply(ctx, adminConn(t, db), desired(s), apply.Options{Secrets: secrets, LockTimeout: 200 * time.Millisecond})
	tx.Rollback(ctx)
	if err == nil {
		t.Fatal("apply succeeded while another session held the role's name")
	}
	for _, want := range []string{"nothing was changed in the database", "app/reporting", "next apply uses them"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'reporting')") {
		t.Fatal("the role exists after the rollback")
	}
	first, err := secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	if err != nil {
		t.Fatalf("the secret written before the failure is gone: %v", err)
	}
	if _, err := apply.Apply(ctx, adminConn(t, db), desired(s), apply.Options{Secrets: secrets}); err != nil {
		t.Fatal(err)
	}
	again, _ := secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	if again.ID != first.ID {
		t.Fatal("the next apply wrote a new secret instead of using the one written before")
	}
	db.ConnectAs(t, "reporting", first.Secret.Password).Close(ctx)
}

// TestExtensionsApplyWouldRefuseArePlanProblems: an extension only a
// superuser may create (on a server that is not RDS, as the connected
// non-superuser master), or one meant for a schema that neither exists nor
// is declared, is a problem the plan names; apply would have failed.
func TestExtensionsApplyWouldRefuseArePlanProblems(t *testing.T) {
	db := pgtest.Fresh(t)
	conn := adminConn(t, db)
	ctx := context.Background()
	if !db.Bool(t, "select exists (select 1 from pg_available_extensions where name = 'file_fdw') and exists (select 1 from pg_available_extensions where name = 'hstore')") {
		t.Skip("this PostgreSQL build has no file_fdw or hstore (contrib)")
	}
	cases := []struct{ spec, problem string }{
		{"extensions:\n  file_fdw: {}\n", `extension "file_fdw" is not trusted: only a superuser may create it`},
		{"extensions:\n  hstore: {schema: nowhere}\n", `extension "hstore" is to be created in schema "nowhere", which does not exist`},
	}
	for _, c := range cases {
		p, err := apply.Plan(ctx, conn, desired(mustSpec(t, c.spec)), plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(p.Problems, "\n"), c.problem) {
			t.Errorf("%s: problems %q lack %q", c.spec, p.Problems, c.problem)
		}
	}
	// Declared, the schema is created first and the extension goes in it.
	doApply(t, db, mustSpec(t, "schemas:\n  ext: {}\nextensions:\n  hstore: {schema: ext}\n"))
	if !db.Bool(t, "select exists (select 1 from pg_extension e join pg_namespace n on n.oid = e.extnamespace where extname = 'hstore' and nspname = 'ext')") {
		t.Fatal("hstore is not in schema ext")
	}
}

// TestSuperuserOnlySettingsArePlanProblems: a setting only a superuser may
// set (log_statement), and from PostgreSQL 15 a custom one (myapp.note),
// is a plan problem for the non-superuser master, until (15+) it is
// granted SET on that parameter. A custom setting is a problem on every
// version: before 15 too, only a superuser may ALTER ROLE ... SET a
// placeholder (the server's own answer is checked first).
func TestSuperuserOnlySettingsArePlanProblems(t *testing.T) {
	db := pgtest.Fresh(t)
	conn := adminConn(t, db)
	ctx := context.Background()
	s := mustSpec(t, "roles:\n  app:\n    login: true\n    settings: {log_statement: all, myapp.note: hello}\ndatabase_settings: {Log_Min_Duration_Statement: 1s}\n")
	p, err := apply.Plan(ctx, conn, desired(s), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(p.Problems, "\n")
	for _, want := range []string{`only a superuser may set "log_statement"`, `only a superuser may set "log_min_duration_statement"`} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %q lack %q", p.Problems, want)
		}
	}
	// The premise: the master may not set the placeholder (a rolled-back
	// transaction of its own).
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, "CREATE ROLE probe; ALTER ROLE probe SET myapp.note = 'x'")
	tx.Rollback(ctx)
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("PostgreSQL %d: the master setting a placeholder: %v, want permission denied", pgtest.Server.Major, err)
	}
	if !strings.Contains(got, `may set "myapp.note"`) {
		t.Errorf("PostgreSQL %d: the custom setting is not a problem (%q)", pgtest.Server.Major, p.Problems)
	}
	// Apply reads the restriction too (the inspection leaves it out; the
	// plan names the settings it sets) and refuses, changing nothing.
	if _, err := apply.Apply(ctx, conn, desired(s), apply.Options{Secrets: testSecrets(t)}); err == nil || !strings.Contains(err.Error(), "problem") {
		t.Errorf("apply of a superuser-only setting: %v, want the plan's problems", err)
	}
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'app')") {
		t.Error("the refused apply created app")
	}
	// A plan that sets nothing reads nothing about settings: a setting that
	// already holds is not checked (a superuser set it; the master may not).
	db.Exec(t, "CREATE ROLE app LOGIN")
	db.Exec(t, "ALTER ROLE app IN DATABASE app SET log_statement = 'all'")
	held := mustSpec(t, "roles:\n  app:\n    login: true\n    settings: {log_statement: all}\n")
	p, err = apply.Plan(ctx, conn, desired(held), plan.Options{})
	if err != nil || len(p.Problems) > 0 {
		t.Errorf("a superuser-only setting that holds: problems %q (%v), want none", p.Problems, err)
	}
	for _, c := range p.Changes {
		if c.Object == "role setting" {
			t.Errorf("a setting that holds is planned: %s", c.Summary)
		}
	}
	db.Exec(t, "DROP ROLE app")
	if pgtest.Server.Major < 15 {
		return
	}
	db.Exec(t, "GRANT SET ON PARAMETER log_statement, log_min_duration_statement, myapp.note TO postgres")
	doApply(t, db, s)
	if !db.Bool(t, "select exists (select 1 from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = 'app' and 'log_statement=all' = any(s.setconfig))") {
		t.Fatal("log_statement was not set for app after GRANT SET ON PARAMETER")
	}
}
