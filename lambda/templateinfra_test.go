package lambda_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/lambda"
)

// The fixtures in testdata/template-infra mirror navapbc/template-infra's
// files; testdata/template-infra/SOURCES.md names the file each mirrors.
const tiDir = "testdata/template-infra"

func tiFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tiDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// tiEnv is role_manager.env (role_manager.tf's environment) pointed at the
// sandbox: the host, port and master secret are the test's; everything
// else is as template-infra's Terraform sets it.
func tiEnv(t testing.TB, aws *awstest.Server, extra ...string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(tiDir, "role_manager.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := aws.Env()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "DB_HOST":
			v = "127.0.0.1"
		case "DB_PORT":
			v = strconv.Itoa(pgtest.Server.Port)
		case "DB_PASSWORD_PARAM_NAME":
			// db.py reads the master secret through this SSM reference.
			aws.PutParameter(v, `{"username":"postgres","password":"`+pgtest.Server.MasterPassword+`"}`)
		case "DB_PASSWORD_SECRET_ARN":
			// The RDS-managed master secret itself (the in-test endpoint
			// gives a secret NAME the ARN ...:secret:NAME-AbCdEf).
			name := strings.TrimSuffix(v[strings.Index(v, ":secret:")+len(":secret:"):], "-AbCdEf")
			aws.PutSecret(name, `{"username":"postgres","password":"`+pgtest.Server.MasterPassword+`"}`)
		}
		env = append(env, k+"="+v)
	}
	// The sandbox serves no certificate the function would trust.
	return append(append(env, "DB_SSLMODE=disable", "ROLEKEEPER_CONNECT_RETRY=5s"), extra...)
}

// runSQLFixture runs a fixture's statements (one per paragraph, comment
// paragraphs skipped) on conn, one at a time as pg8000 and psql send them.
// Statements in asRDS run on rdsConn instead (see roleManagerProvisions).
func runSQLFixture(t testing.TB, conn *pgx.Conn, name string, asRDS map[string]bool, rdsConn *pgx.Conn) {
	t.Helper()
	for _, stmt := range strings.Split(tiFixture(t, name), "\n\n") {
		if strings.HasPrefix(strings.TrimSpace(stmt), "--") && !strings.Contains(stmt, ";") {
			continue
		}
		c := conn
		if asRDS[stmt] {
			c = rdsConn
		}
		if _, err := c.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s as %s: %s: %v", name, conn.Config().User, stmt, err)
		}
	}
}

// roleManagerProvisions runs what the Python role manager's manage runs:
// manage.master.sql as the master, manage.migrator.sql as the migrator.
func roleManagerProvisions(t testing.TB, db *pgtest.DB) {
	t.Helper()
	master := db.ConnectAs(t, "postgres", pgtest.Server.MasterPassword)
	// Aurora lets its master give a schema to a role it created and then
	// grant on it (the role manager does both on every cluster); stock
	// PostgreSQL, which the sandbox runs, wants the master to be a member
	// of migrator first. The end state is the same (the grant is recorded
	// as the owner's either way), so these two statements run as the
	// sandbox's hidden superuser.
	asRDS := map[string]bool{"ALTER SCHEMA app OWNER TO migrator;": true, "GRANT USAGE ON SCHEMA app TO app;": true}
	runSQLFixture(t, master, "manage.master.sql", asRDS, db.Super)
	runSQLFixture(t, db.ConnectAs(t, "migrator", ""), "manage.migrator.sql", nil, nil)
}

// roleManagerCheck runs check.py's statements as the migrator and the app
// user and fails the test where the role manager's check would fail.
func roleManagerCheck(t testing.TB, db *pgtest.DB) {
	t.Helper()
	mig := db.ConnectAs(t, "migrator", "")
	var sp string
	if err := mig.QueryRow(context.Background(), "SHOW search_path").Scan(&sp); err != nil || sp != "app" {
		t.Fatalf("check_search_path: %q %v", sp, err)
	}
	runSQLFixture(t, mig, "check.migrator.sql", nil, nil)
	runSQLFixture(t, db.ConnectAs(t, "app", ""), "check.app.sql", nil, nil)
	if _, err := mig.Exec(context.Background(), "DROP TABLE IF EXISTS role_manager_test"); err != nil {
		t.Fatal(err)
	}
}

// runMigrations runs the example migrations as db-migrate does: psql as
// the migrator, statement by statement.
func runMigrations(t testing.TB, db *pgtest.DB) {
	t.Helper()
	mig := db.ConnectAs(t, "migrator", "")
	body := tiFixture(t, "migrations.sql")
	if _, err := mig.Exec(context.Background(), body); err != nil {
		t.Fatalf("migrations.sql as migrator: %v", err)
	}
}

// capabilities lists what app and migrator may do, as the server answers
// has_*_privilege and pg_has_role for every object they could reach, plus
// what their future objects will grant (default ACLs).
func capabilities(t testing.TB, db *pgtest.DB) []string {
	t.Helper()
	return db.Strings(t, `
	with r(role) as (values ('app'), ('migrator')),
	tp(p) as (values ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')
		union all select 'MAINTAIN' where current_setting('server_version_num')::int >= 170000),
	sp(p) as (values ('USAGE'), ('SELECT'), ('UPDATE'))
	select format('%s login=%s', rolname, rolcanlogin) from pg_roles where rolname in ('app', 'migrator')
	union all select format('%s member of %s', r.role, g.rolname) from r, pg_roles g where pg_has_role(r.role, g.oid, 'MEMBER') and g.rolname <> r.role
	union all select format('%s database %s', r.role, p) from r, (values ('CONNECT'), ('CREATE'), ('TEMPORARY')) d(p) where has_database_privilege(r.role, 'app', p)
	union all select format('%s schema %s %s', r.role, n.nspname, p) from r, pg_namespace n, (values ('USAGE'), ('CREATE')) s(p)
		where n.nspname in ('app', 'public') and has_schema_privilege(r.role, n.oid, p)
	union all select format('%s table %s %s', r.role, c.oid::regclass, tp.p) from r, tp, pg_class c
		where c.relnamespace = 'app'::regnamespace and c.relkind in ('r', 'v', 'p') and has_table_privilege(r.role, c.oid, tp.p)
	union all select format('%s sequence %s %s', r.role, c.oid::regclass, sp.p) from r, sp, pg_class c
		where c.relnamespace = 'app'::regnamespace and c.relkind = 'S' and has_sequence_privilege(r.role, c.oid, sp.p)
	union all select format('%s function %s EXECUTE', r.role, p.oid::regprocedure) from r, pg_proc p
		where p.pronamespace = 'app'::regnamespace and has_function_privilege(r.role, p.oid, 'EXECUTE')
	union all select format('default for %s in %s on %s: %s', pg_get_userbyid(d.defaclrole), coalesce(n.nspname, '(database)'), d.defaclobjtype, a.grantee::regrole)
		|| ' ' || a.privilege_type
		from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
		where a.grantee in ('app'::regrole, 'migrator'::regrole)
	union all select 'database search_path ' || array_to_string(setconfig, ',') from pg_db_role_setting
		where setrole = 0 and setdatabase = (select oid from pg_database where datname = 'app')
	order by 1`)
}

// lost returns what before has and after lacks.
func lost(before, after []string) []string {
	have := map[string]bool{}
	for _, a := range after {
		have[a] = true
	}
	var out []string
	for _, b := range before {
		if !have[b] {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}

func appliedLines(logs string) int {
	return strings.Count(logs, `"msg":"applied"`)
}

// TestTemplateInfraSwitchInPlace switches a database the Python role
// manager provisioned and the example migrations then used: rolekeeper's
// manage, with template-infra's own event and environment, takes nothing
// away from app or migrator, the role manager's check still passes, and
// manage stays converged across further migrations.
func TestTemplateInfraSwitchInPlace(t *testing.T) {
	db := pgtest.Fresh(t)
	roleManagerProvisions(t, db)
	roleManagerCheck(t, db)
	runMigrations(t, db)
	before := capabilities(t, db)
	if !strings.Contains(strings.Join(before, "\n"), "app table app.migrations TRUNCATE") {
		t.Fatalf("the arrangement is not template-infra's (app should hold ALL on migrations):\n%s", strings.Join(before, "\n"))
	}

	aws := awstest.New(t)
	fn := startFunction(t, tiEnv(t, aws))
	out, errMsg := fn.invoke(t, tiFixture(t, "manage.event.json"))
	if errMsg != "" {
		t.Fatalf("manage: %s\n%s", errMsg, fn.logs.String())
	}
	if g, _ := out["roles_with_groups"].(map[string]any); g["app"] != "rds_iam" || g["migrator"] != "rds_iam" {
		t.Fatalf("manage response: %v", out)
	}
	after := capabilities(t, db)
	if l := lost(before, after); len(l) > 0 {
		t.Fatalf("manage took away what template-infra gave:\n%s\nlogs:\n%s", strings.Join(l, "\n"), fn.logs.String())
	}
	roleManagerCheck(t, db)

	// A second manage changes nothing, and neither does one after the
	// migrations run again (each deploy runs them).
	for _, step := range []string{"second manage", "manage after migrations"} {
		if step == "manage after migrations" {
			runMigrations(t, db)
		}
		fp := db.Fingerprint(t)
		logsBefore := fn.logs.String()
		if _, errMsg := fn.invoke(t, tiFixture(t, "manage.event.json")); errMsg != "" {
			t.Fatalf("%s: %s", step, errMsg)
		}
		if n := appliedLines(fn.logs.String()) - appliedLines(logsBefore); n != 0 || db.Fingerprint(t) != fp {
			t.Fatalf("%s changed %d things:\n%s", step, n, strings.TrimPrefix(fn.logs.String(), logsBefore))
		}
	}
	out, errMsg = fn.invoke(t, tiFixture(t, "check.event.json"))
	if errMsg != "" || out["success"] != true {
		t.Fatalf("check: %v %v\n%s", errMsg, out, fn.logs.String())
	}
	if out["failed"] != float64(0) || out["passed"].(float64) < 5 {
		t.Fatalf("check should report rolekeeper's checks alongside success: %v", out)
	}
	if l := lost(before, capabilities(t, db)); len(l) > 0 {
		t.Fatalf("lost after check and migrations: %v", l)
	}
}

// TestTemplateInfraLeastPrivilegeOptIn: ROLEKEEPER_TEMPLATE_INFRA_ACCESS=readwrite
// on a switched database takes from app exactly TRUNCATE, REFERENCES and
// TRIGGER (and MAINTAIN on PostgreSQL 17+), now and on migrator's future tables in the schema, and nothing
// else; a second manage changes nothing.
func TestTemplateInfraLeastPrivilegeOptIn(t *testing.T) {
	db := pgtest.Fresh(t)
	roleManagerProvisions(t, db)
	runMigrations(t, db)
	// The migration's database-wide default privilege is what a project
	// removes first (docs/template-infra.md); without it, the opt-in
	// converges.
	db.Exec(t, "ALTER DEFAULT PRIVILEGES FOR ROLE migrator REVOKE ALL ON TABLES FROM app")
	before := capabilities(t, db)
	aws := awstest.New(t)
	fn := startFunction(t, tiEnv(t, aws, "ROLEKEEPER_TEMPLATE_INFRA_ACCESS=readwrite"))
	if _, errMsg := fn.invoke(t, tiFixture(t, "manage.event.json")); errMsg != "" {
		t.Fatalf("manage: %s\n%s", errMsg, fn.logs.String())
	}
	// On PostgreSQL 17+ the role manager's ALL includes MAINTAIN, which
	// readwrite leaves out too (docs/template-infra.md).
	removed := []string{" TRUNCATE", " REFERENCES", " TRIGGER"}
	if db.Bool(t, "select current_setting('server_version_num')::int >= 170000") {
		removed = append(removed, " MAINTAIN")
	}
	var want []string
	for _, c := range before {
		for _, p := range removed {
			if strings.HasPrefix(c, "app table ") && strings.HasSuffix(c, p) ||
				strings.HasPrefix(c, "default for migrator in app on r: app") && strings.HasSuffix(c, p) {
				want = append(want, c)
			}
		}
	}
	sort.Strings(want)
	if got := lost(before, capabilities(t, db)); strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) != 2*len(removed) {
		t.Fatalf("readwrite took away:\n%s\nwant exactly:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	roleManagerCheck(t, db)
	logsBefore := fn.logs.String()
	if _, errMsg := fn.invoke(t, tiFixture(t, "manage.event.json")); errMsg != "" {
		t.Fatal(errMsg)
	}
	if n := appliedLines(fn.logs.String()) - appliedLines(logsBefore); n != 0 {
		t.Fatalf("a second manage applied %d changes", n)
	}
	if _, errMsg := fn.invoke(t, tiFixture(t, "check.event.json")); errMsg != "" {
		t.Fatalf("check: %s", errMsg)
	}
}

// objectsAsMigrator creates, as the migrator, a table with a sequence and
// a function in the schema: what its default privileges apply to.
func objectsAsMigrator(t testing.TB, db *pgtest.DB) {
	t.Helper()
	mig := db.ConnectAs(t, "migrator", "")
	if _, err := mig.Exec(context.Background(), "create table app.later (id serial); create function app.f() returns int language sql as 'select 1'"); err != nil {
		t.Fatal(err)
	}
}

// TestTemplateInfraFreshEndStateMatchesRoleManager: on a new database,
// rolekeeper's manage (the real event and environment) leaves app and
// migrator able to do exactly what the role manager's SQL leaves them
// able to do, on objects that exist and on those the migrator creates
// later.
func TestTemplateInfraFreshEndStateMatchesRoleManager(t *testing.T) {
	db := pgtest.Fresh(t)
	roleManagerProvisions(t, db)
	objectsAsMigrator(t, db)
	python := capabilities(t, db)

	db = pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, tiEnv(t, aws))
	if _, errMsg := fn.invoke(t, tiFixture(t, "manage.event.json")); errMsg != "" {
		t.Fatalf("manage: %s\n%s", errMsg, fn.logs.String())
	}
	objectsAsMigrator(t, db)
	rk := capabilities(t, db)
	// On PostgreSQL 17+ both include MAINTAIN (part of ALL there):
	// capabilities asks for it on those servers.
	if l, x := lost(python, rk), lost(rk, python); len(l) > 0 || len(x) > 0 {
		t.Fatalf("end states differ\nonly after the role manager:\n%s\nonly after rolekeeper:\n%s", strings.Join(l, "\n"), strings.Join(x, "\n"))
	}
	if _, errMsg := fn.invoke(t, tiFixture(t, "check.event.json")); errMsg != "" {
		t.Fatalf("check: %s", errMsg)
	}
}

// TestTemplateInfraEventFieldsInProcess runs the real handler in-process
// with template-infra's event: region and cluster_name are accepted and
// logged at debug level (only when asked for), a wrong superuser_extensions
// is refused, and the generic mode still refuses the same fields in a spec.
func TestTemplateInfraEventFieldsInProcess(t *testing.T) {
	pgtest.Fresh(t)
	aws := awstest.New(t)
	env := map[string]string{}
	for _, kv := range tiEnv(t, aws, "ROLEKEEPER_LOG_LEVEL=debug") {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	var logs strings.Builder
	loads := 0
	h := &lambda.Handler{Getenv: func(k string) string { return env[k] }, Out: &logs,
		AWS: func(context.Context) (awssdk.Config, error) { loads++; return aws.Config(), nil }}
	ctx := context.Background()
	for _, ev := range []string{"manage.event.json", "check.event.json"} {
		out, err := h.Invoke(ctx, []byte(tiFixture(t, ev)))
		if err != nil {
			t.Fatalf("%s: %v\n%s", ev, err, logs.String())
		}
		if ev == "check.event.json" && !strings.Contains(string(out), `"success":true`) {
			t.Fatalf("check: %s", out)
		}
	}
	// The admin's parameter, the secret store and the check's tokens of
	// both invocations share one AWS configuration.
	if loads != 1 {
		t.Errorf("the AWS configuration was loaded %d times for two invocations, want once", loads)
	}
	for _, f := range []string{"cluster_name", "region"} {
		if !strings.Contains(logs.String(), `"level":"DEBUG","msg":"template-infra config field not used by rolekeeper","field":"`+f+`"`) {
			t.Errorf("no debug line for %s:\n%s", f, logs.String())
		}
	}
	// At the default level the same event logs no debug line.
	logs.Reset()
	env["ROLEKEEPER_LOG_LEVEL"] = ""
	if _, err := h.Invoke(ctx, []byte(tiFixture(t, "check.event.json"))); err != nil || strings.Contains(logs.String(), "DEBUG") {
		t.Fatalf("default level: %v\n%s", err, logs.String())
	}
	// check.py's check_superuser_extensions is an assert: a mismatch is a
	// function error, reported with rolekeeper's own checks.
	if _, err := h.Invoke(ctx, []byte(`{"action":"check","config":{"region":"us-east-1","superuser_extensions":{"citext":true}}}`)); err == nil ||
		!strings.Contains(err.Error(), `extension "citext" is enabled: it is disabled`) {
		t.Fatalf("an extension check that fails must be a function error: %v", err)
	}
	for ev, want := range map[string]string{
		`{"action":"check","config":{"superuser_extensions":{"vector":"yes"}}}`: "superuser_extensions must map extension names to true or false",
		`{"action":"check","config":["vector"]}`:                                "template-infra config must be a JSON object",
	} {
		if _, err := h.Invoke(ctx, []byte(ev)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ev, err, want)
		}
	}
	// Generic mode (a spec configured): the database_config is not a spec.
	env["ROLEKEEPER_SPEC"] = "roles: {viewer: {auth: iam}}"
	if _, err := h.Invoke(ctx, []byte(tiFixture(t, "check.event.json"))); err == nil || !strings.Contains(err.Error(), `unknown field "cluster_name"`) {
		t.Fatalf("generic mode accepted template-infra's config: %v", err)
	}
}
