package ops_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// hostileDB is a database name with a quote and a space: every statement
// and connection must quote it.
const hostileDB = `we"ird db`

const twoDatabasesSpec = `roles:
  migrator: {auth: iam}
  app: {auth: iam}
  analyst:
    auth: password
    settings_in_all_databases: {statement_timeout: 30s}
databases:
  app:
    schemas: {app: {owner: migrator}}
    roles:
      app: {access: {app: readwrite}}
      analyst: {access: {app: readonly}}
    public: {connect: false}
  'we"ird db':
    schemas: {marts: {owner: migrator}}
    roles:
      analyst: {access: {marts: readonly}, settings: {work_mem: 64MB}}
    public: {connect: false}
`

// secondDatabase creates another database of the test's server and
// returns a superuser connection to it.
func secondDatabase(t *testing.T, name string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	if err := pgtest.Server.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(pgtest.Server.SuperDSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func text(t *testing.T, m *plan.Multi, verb string) string {
	t.Helper()
	var b strings.Builder
	if err := m.WriteText(&b, verb); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func queryBool(t *testing.T, conn *pgx.Conn, sql string, args ...any) bool {
	t.Helper()
	var b bool
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&b); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return b
}

// TestSeveralDatabasesPlanApplyInspectDrop: one spec, two databases (one
// with a hostile name). The plan shows the cluster's changes once and a
// section per database; apply converges both, one transaction each; a
// second plan is empty; inspect of both databases plans to no changes;
// and a role with privileges in both is dropped without a problem.
func TestSeveralDatabasesPlanApplyInspectDrop(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Fresh(t)
	other := secondDatabase(t, hostileDB)
	sess := session(t, db)
	sp := mustParse(t, twoDatabasesSpec)

	m, err := sess.PlanDatabases(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	cluster, dbs := m.Sections()
	out := text(t, m, "Plan")
	if len(dbs) != 2 || dbs[0].Database != "app" || dbs[1].Database != hostileDB {
		t.Fatalf("sections %+v", dbs)
	}
	creates := 0
	for _, c := range cluster.Changes {
		if c.Object == plan.ObjectRole && c.Action == plan.ActionCreate {
			creates++
		}
	}
	if creates != 3 {
		t.Fatalf("cluster section creates %d roles, want 3 (once, not per database):\n%s", creates, out)
	}
	for _, s := range dbs {
		for _, c := range s.Changes {
			if c.ClusterWide() {
				t.Fatalf("database %s shows a cluster-wide change %q:\n%s", s.Database, c.Summary, out)
			}
		}
	}
	for _, want := range []string{
		`Order: "app", then "we""ird db"; one transaction per database`,
		"== Cluster: roles, memberships, passwords (in the transaction of \"app\") ==",
		`== Database "app" ==`, `== Database "we""ird db" ==`,
		`CREATE SCHEMA "marts" AUTHORIZATION "migrator"`,
		`ALTER ROLE "analyst" IN DATABASE "we""ird db" SET "work_mem" = '64MB'`,
		`ALTER ROLE "analyst" SET "statement_timeout" = '30s'`,
		" in 2 databases: cluster ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if len(m.Problems()) > 0 {
		t.Fatalf("problems: %v", m.Problems())
	}

	res, err := sess.ApplyDatabases(ctx, sp, apply.Options{})
	if err != nil {
		t.Fatalf("apply: %v\n%s", err, text(t, res, "Applied"))
	}
	applied := text(t, res, "Applied")
	for i, want := range []plan.Outcome{plan.OutcomeApplied, plan.OutcomeApplied} {
		if res.Databases[i].Outcome != want {
			t.Fatalf("database %d: %s, want %s:\n%s", i, res.Databases[i].Outcome, want, applied)
		}
	}
	if !strings.Contains(applied, `Applied: every database ("app", "we""ird db") matches the spec`) {
		t.Fatalf("apply output:\n%s", applied)
	}
	if !db.Bool(t, `select has_table_privilege('app', 'pg_class', 'select') and has_schema_privilege('analyst', 'app', 'usage') and not has_database_privilege('public', 'app', 'connect')`) {
		t.Fatal("database app not converged")
	}
	// app is not listed in the second database: no CONNECT there.
	if !queryBool(t, other, `select has_schema_privilege('analyst', 'marts', 'usage') and not has_schema_privilege('app', 'marts', 'usage')
		and has_database_privilege('analyst', current_database(), 'connect') and not has_database_privilege('app', current_database(), 'connect')
		and exists (select from pg_db_role_setting s join pg_database d on d.oid = s.setdatabase where d.datname = current_database() and 'work_mem=64MB' = any(s.setconfig))`) {
		t.Fatal("database we\"ird db not converged")
	}

	again, err := sess.PlanDatabases(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Fatalf("second plan is not empty:\n%s", text(t, again, "Plan"))
	}
	if !strings.HasSuffix(text(t, again, "Plan"), "No changes: every database matches the spec.\n") {
		t.Fatalf("empty plan:\n%s", text(t, again, "Plan"))
	}

	// check logs in to each database as each login role.
	reports, err := sess.CheckDatabases(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if !r.OK() || r.Passed == 0 {
			var b strings.Builder
			r.WriteText(&b)
			t.Fatalf("check in %s:\n%s", r.Database, b.String())
		}
	}

	// inspect both: the multi-database spec parses back and plans nothing.
	in, err := sess.InspectDatabases(ctx, []string{"app", hostileDB})
	if err != nil {
		t.Fatal(err)
	}
	for form, raw := range inspectedForms(t, in) {
		back, err := spec.Parse("inspected."+form, raw)
		if err != nil {
			t.Fatalf("inspect's %s form does not parse: %v\n%s", form, err, raw)
		}
		if !back.MultiDatabase() || len(back.Databases) != 2 {
			t.Fatalf("inspect's %s form is not a two-database spec:\n%s", form, raw)
		}
		p, err := sess.PlanDatabases(ctx, back)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Empty() || len(p.Problems()) > 0 {
			t.Fatalf("inspect's %s form plans changes:\n%s\n--- spec:\n%s", form, text(t, p, "Plan"), raw)
		}
	}

	// analyst holds privileges in both databases: with both in the spec,
	// dropping it is no problem; the first clears it, the last drops it.
	drop := mustParse(t, strings.NewReplacer(
		"  analyst:\n    auth: password\n    settings_in_all_databases: {statement_timeout: 30s}\n", "  analyst: {state: absent}\n",
		"      analyst: {access: {app: readonly}}\n", "",
		"    roles:\n      analyst: {access: {marts: readonly}, settings: {work_mem: 64MB}}\n", "",
	).Replace(twoDatabasesSpec))
	dm, err := sess.PlanDatabases(ctx, drop)
	if err != nil {
		t.Fatal(err)
	}
	dropText := text(t, dm, "Plan")
	if len(dm.Problems()) > 0 {
		t.Fatalf("dropping a role held in both databases of the spec: %v\n%s", dm.Problems(), dropText)
	}
	_, dbs = dm.Sections()
	got := ""
	for _, c := range dbs[0].Changes {
		if c.Action == plan.ActionDrop {
			got += strings.Join(c.SQL, ";")
		}
	}
	if strings.Contains(got, "DROP ROLE") || !strings.Contains(got, `DROP OWNED BY "analyst"`) {
		t.Fatalf("first database should clear, not drop, the role: %s\n%s", got, dropText)
	}
	if !strings.Contains(dropText, `DROP ROLE "analyst";`) {
		t.Fatalf("no DROP ROLE in the last database:\n%s", dropText)
	}
	if _, err := sess.ApplyDatabases(ctx, drop, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	if db.Bool(t, `select exists (select from pg_roles where rolname = 'analyst')`) {
		t.Fatal("analyst not dropped")
	}
	// A one-database spec of app alone still names the other database.
	one := mustParse(t, "database: app\nroles:\n  migrator: {state: absent}\n")
	p, err := sess.Plan(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) == 0 || !strings.Contains(strings.Join(p.Problems, "\n"), `"we""ird db"`) {
		t.Fatalf("a one-database spec dropping a role held elsewhere: %v", p.Problems)
	}
}

// TestSeveralDatabasesSecondFails: the second database's transaction
// fails on a real server condition the plan cannot see (an event trigger
// that refuses CREATE SCHEMA there). The first stays committed, the
// second is rolled back, the report says so, and once the cause is gone
// apply converges.
func TestSeveralDatabasesSecondFails(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Fresh(t)
	other := secondDatabase(t, hostileDB)
	sess := session(t, db)
	sp := mustParse(t, twoDatabasesSpec)
	if _, err := other.Exec(ctx, `CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'schemas are frozen here'; END $$;
		CREATE EVENT TRIGGER refuse_schemas ON ddl_command_start WHEN TAG IN ('CREATE SCHEMA') EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}

	res, err := sess.ApplyDatabases(ctx, sp, apply.Options{})
	var me *ops.MultiApplyError
	if !errors.As(err, &me) || me.Database != hostileDB {
		t.Fatalf("apply: %v, want a failure in %s", err, hostileDB)
	}
	out := text(t, res, "Applied")
	if res.Databases[0].Outcome != plan.OutcomeApplied || res.Databases[1].Outcome != plan.OutcomeFailed {
		t.Fatalf("outcomes %s, %s:\n%s", res.Databases[0].Outcome, res.Databases[1].Outcome, out)
	}
	for _, want := range []string{
		`== Database "app": applied: committed (`,
		`== Database "we""ird db": FAILED, rolled back: nothing was changed in it ==` + "\n! error: apply: create schema \"marts\"",
		"schemas are frozen here",
		`Apply did not finish: "app" committed and stays so; "we""ird db" failed and was rolled back. Fix the cause and run apply again: it converges`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(err.Error(), `"app" committed and stays so`) {
		t.Errorf("error: %v", err)
	}
	var doc plan.MultiDocument
	var b strings.Builder
	if err := res.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Applied == nil || *doc.Applied || doc.DatabasePlans[0].Outcome != plan.OutcomeApplied || doc.DatabasePlans[1].Outcome != plan.OutcomeFailed || doc.DatabasePlans[1].Error == "" {
		t.Fatalf("JSON outcome:\n%s", b.String())
	}
	// The first database and the cluster's roles are committed; the
	// second database is as it was.
	if !db.Bool(t, `select has_schema_privilege('analyst', 'app', 'usage')`) {
		t.Fatal("database app was not committed")
	}
	if queryBool(t, other, `select exists (select from pg_namespace where nspname = 'marts')`) {
		t.Fatal("the failed database kept a change")
	}

	if _, err := other.Exec(ctx, `DROP EVENT TRIGGER refuse_schemas`); err != nil {
		t.Fatal(err)
	}
	res, err = sess.ApplyDatabases(ctx, sp, apply.Options{})
	if err != nil {
		t.Fatalf("second apply: %v\n%s", err, text(t, res, "Applied"))
	}
	if res.Databases[0].Outcome != plan.OutcomeNoChanges || res.Databases[1].Outcome != plan.OutcomeApplied {
		t.Fatalf("second apply outcomes %s, %s:\n%s", res.Databases[0].Outcome, res.Databases[1].Outcome, text(t, res, "Applied"))
	}
	if m, err := sess.PlanDatabases(ctx, sp); err != nil || !m.Empty() {
		t.Fatalf("not converged: %v", err)
	}
}

// TestSeveralDatabasesMissingDatabase: a database the server does not
// have is a plan problem naming it, and apply changes nothing anywhere.
func TestSeveralDatabasesMissingDatabase(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Fresh(t)
	sess := session(t, db)
	sp := mustParse(t, strings.Replace(twoDatabasesSpec, `'we"ird db':`, "nope:", 1))
	before := db.Fingerprint(t)
	m, err := sess.PlanDatabases(ctx, sp)
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(m.Problems(), "\n")
	if !strings.Contains(probs, `database "nope": it does not exist on this server (or does not accept connections): create it first (CREATE DATABASE "nope")`) {
		t.Fatalf("problems: %s", probs)
	}
	refused, err := sess.ApplyDatabases(ctx, sp, apply.Options{})
	var pe *apply.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("apply: %v, want the plan's problems", err)
	}
	out := text(t, refused, "Applied")
	for _, want := range []string{`== Database "app": not attempted: the plan has problems ==`, `== Database "nope": not attempted: the plan has problems ==` + "\nNo changes.\nProblems (nothing is applied until they are fixed):\n  ! it does not exist on this server",
		"Nothing was applied in any database: the plan has problems."} {
		if !strings.Contains(out, want) {
			t.Errorf("refused apply lacks %q:\n%s", want, out)
		}
	}
	if db.Fingerprint(t) != before || db.Bool(t, `select exists (select from pg_roles where rolname = 'migrator')`) {
		t.Fatal("apply changed something although a database is missing")
	}
}

// TestSeveralDatabasesPasswordUserHomeDatabase: a password user that the
// first database does not list gets, in its new secret, the name of a
// database it may connect to (the first that lists it), not the first
// database's, where PUBLIC has no CONNECT: an application that connects
// with the secret's dbname must get in. rotate proves a pending password
// by logging in there too.
func TestSeveralDatabasesPasswordUserHomeDatabase(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Fresh(t)
	secondDatabase(t, "zreporting")
	sess := session(t, db)
	sp := mustParse(t, `roles:
  owner: {auth: iam}
  pw: {auth: password}
databases:
  app:
    roles: {owner: {}}
    public: {connect: false, temporary: false}
  zreporting:
    roles: {pw: {}}
    public: {connect: false, temporary: false}
`)
	if res, err := sess.ApplyDatabases(ctx, sp, apply.Options{}); err != nil {
		t.Fatalf("apply: %v\n%s", err, text(t, res, "Applied"))
	}
	v, err := sess.Store.Get(ctx, "rolekeeper/app/pw", credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if v.Secret.DBName != "zreporting" {
		t.Fatalf("the secret of pw names database %q, want zreporting: the only one that lets pw connect", v.Secret.DBName)
	}
	cfg := sess.Conn.Config().Copy()
	cfg.Database, cfg.User, cfg.Password = v.Secret.DBName, v.Secret.Username, v.Secret.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("log in with the secret: %v", err)
	}
	conn.Close(ctx)

	// An interrupted rotate (the server took the pending password, the
	// secret was not promoted) is finished by logging in with the
	// pending password: in a database pw may connect to.
	pending, err := sess.Store.PutPending(ctx, "rolekeeper/app/pw", credentials.DBSecret{Username: "pw", Password: "Pending0123456789abcdefghijklmnop", DBName: "zreporting"})
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(t, `ALTER ROLE pw PASSWORD 'Pending0123456789abcdefghijklmnop'`)
	done, err := sess.Rotate(ctx, sp, nil)
	if err != nil || len(done) != 1 || done[0].Outcome != "finished" {
		t.Fatalf("rotate after an interrupted one: %+v %v, want it finished by a login in zreporting", done, err)
	}
	if cur, err := sess.Store.Get(ctx, "rolekeeper/app/pw", credentials.StageCurrent); err != nil || cur.ID != pending.ID {
		t.Fatalf("current secret %v %v, want the pending version promoted", cur.ID, err)
	}
}
