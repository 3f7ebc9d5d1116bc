package lambda_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// exampleJSON is examples/app.yaml as the JSON an event carries.
func exampleJSON(t *testing.T) string {
	t.Helper()
	return exampleFileJSON(t, "app.yaml")
}

// exampleFileJSON is examples/name as the JSON an event carries.
func exampleFileJSON(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(v)
	return string(j)
}

func TestPlanApplyCheckInspectUnderTheEmulator(t *testing.T) {
	db := pgtest.Fresh(t)
	mark := pgtest.LogMark(t)
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	cfg := exampleJSON(t)
	var responses strings.Builder
	invoke := func(event string) (map[string]any, string) {
		out, errMsg := fn.invoke(t, event)
		responses.WriteString(mustJSON(out))
		return out, errMsg
	}

	out, errMsg := invoke(`{"action": "plan", "config": ` + cfg + `}`)
	if errMsg != "" || out["changed"] != true || out["spec_source"] != "event" || out["format_version"] != float64(1) {
		t.Fatalf("plan: %v %v", errMsg, out)
	}
	out, errMsg = invoke(`{"action": "apply", "config": ` + cfg + `}`)
	if errMsg != "" || out["applied"] != true {
		t.Fatalf("apply: %v %v\n%s", errMsg, out, fn.logs.String())
	}
	out, _ = invoke(`{"action": "plan", "config": ` + cfg + `}`)
	if out["changed"] != false {
		t.Fatalf("plan after apply: %v", out)
	}
	out, errMsg = invoke(`{"action": "check", "config": ` + cfg + `}`)
	if errMsg != "" || out["failed"] != float64(0) || out["passed"].(float64) < 12 {
		t.Fatalf("check: %v %v\n%s", errMsg, out, fn.logs.String())
	}
	out, errMsg = invoke(`{"action": "inspect"}`)
	if spec, _ := out["spec"].(map[string]any); errMsg != "" || spec["roles"] == nil {
		t.Fatalf("inspect: %v %v", errMsg, out)
	}
	out, errMsg = invoke(`{"action": "rotate", "config": ` + cfg + `}`)
	if errMsg != "" || !strings.Contains(mustJSON(out), `"outcome":"rotated"`) {
		t.Fatalf("rotate: %v %v", errMsg, out)
	}

	// The password user's secret is in Secrets Manager, in the RDS shape,
	// and its password appears in no response and no log line.
	raw, ok := aws.SecretValue("app/reporting", "AWSCURRENT")
	if !ok {
		t.Fatal("the reporting secret was not stored in Secrets Manager")
	}
	var sec struct{ Username, Password, Engine string }
	json.Unmarshal([]byte(raw), &sec)
	if sec.Username != "reporting" || sec.Engine != "postgres" || len(sec.Password) < 32 {
		t.Fatalf("secret shape: %+v", sec.Username)
	}
	previous, _ := aws.SecretValue("app/reporting", "AWSPREVIOUS")
	logs := fn.logs.String()
	serverLog := pgtest.LogSince(t, mark)
	for _, pw := range []string{sec.Password, pgtest.Server.MasterPassword, jsonField(previous, "password")} {
		if pw == "" {
			t.Fatal("a password to look for is missing")
		}
		for where, text := range map[string]string{"function logs": logs, "responses": responses.String(), "server log": serverLog} {
			if strings.Contains(text, pw) {
				t.Fatalf("a password appears in the %s", where)
			}
		}
	}
	// Structured logs: one line per change applied, with the request id.
	applied := 0
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"applied"`) {
			applied++
			if !strings.Contains(line, `"request_id":"`) {
				t.Fatalf("a log line lacks the request id: %s", line)
			}
		}
	}
	if applied < 10 {
		t.Fatalf("expected a log line per change applied, found %d:\n%s", applied, logs)
	}
	if !db.Bool(t, "select has_schema_privilege('app', 'app', 'USAGE')") {
		t.Fatal("the function's apply did not reach the database")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func jsonField(raw, field string) string {
	var m map[string]any
	json.Unmarshal([]byte(raw), &m)
	s, _ := m[field].(string)
	return s
}

func TestSpecFromTheEnvironmentOrThePackage(t *testing.T) {
	pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, append(rdsEnv(t, aws), "ROLEKEEPER_SPEC=roles: {viewer: {auth: iam}}"))
	out, errMsg := fn.invoke(t, `{"action": "plan"}`)
	if errMsg != "" || out["spec_source"] != "env:ROLEKEEPER_SPEC" || out["changed"] != true {
		t.Fatalf("plan from ROLEKEEPER_SPEC: %v %v", errMsg, out)
	}
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "rolekeeper.yaml"), []byte("roles: {packaged: {auth: iam}}\n"), 0o644)
	fn = startFunction(t, append(rdsEnv(t, aws), "LAMBDA_TASK_ROOT="+root))
	out, errMsg = fn.invoke(t, `{"action": "plan"}`)
	if errMsg != "" || out["spec_source"] != "file:"+root+"/rolekeeper.yaml" {
		t.Fatalf("plan from the package: %v %v", errMsg, out)
	}
	if !strings.Contains(mustJSON(out), `CREATE ROLE \"packaged\"`) {
		t.Fatalf("the packaged spec was not used: %v", out)
	}
}

func TestBadEventsAreRefusedAndChangeNothing(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	before := db.Fingerprint(t)
	cases := []struct{ event, want string }{
		{`not json`, "the event is not a JSON object"},
		{`{"action": "destroy"}`, `unknown action "destroy"`},
		{`{}`, "the event has no action"},
		{`{"action": "apply", "surprise": 1}`, `unknown field "surprise"`},
		{`{"action": "apply", "config": {"roles": {"app": {"logn": true}}}}`, `event.config:1: unknown field "logn" in role`},
		{`{"action": "apply", "config": {"roles": {"x": {"member_of": ["rds_superuser"]}}}}`, "allow_admin_roles"},
		{`{"action": "apply", "config": {"roles": {"postgres": {"login": false}}}}`, "the user rolekeeper connects as"},
		{`{"action": "apply"}`, "no spec: give it as the event's config"},
	}
	for _, c := range cases {
		_, errMsg := fn.invoke(t, c.event)
		if !strings.Contains(errMsg, c.want) {
			t.Errorf("event %s: error %q lacks %q", c.event, errMsg, c.want)
		}
		if strings.Contains(errMsg, pgtest.Server.MasterPassword) {
			t.Fatal("an error message holds the admin password")
		}
	}
	if after := db.Fingerprint(t); after != before {
		t.Fatal("a refused event changed the database")
	}
}

func TestFailedCheckIsAFunctionError(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	cfg := exampleJSON(t)
	if _, errMsg := fn.invoke(t, `{"action": "apply", "config": `+cfg+`}`); errMsg != "" {
		t.Fatal(errMsg)
	}
	db.Exec(t, "ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app REVOKE INSERT ON TABLES FROM app")
	_, errMsg := fn.invoke(t, `{"action": "check", "config": `+cfg+`}`)
	if !strings.Contains(errMsg, "1 check(s) failed") || !strings.Contains(errMsg, "INSERT failed but is granted") {
		t.Fatalf("check error: %q", errMsg)
	}
}

// templateInfraEnv is the environment of the template-infra role manager.
func templateInfraEnv(aws *awstest.Server) []string {
	aws.PutParameter("/aws/reference/secretsmanager/rds!db-0123", `{"username":"postgres","password":"`+pgtest.Server.MasterPassword+`"}`)
	return append(aws.Env(),
		"DB_HOST=127.0.0.1", "DB_PORT="+strconv.Itoa(pgtest.Server.Port), "DB_USER=postgres", "DB_NAME=app",
		"DB_SCHEMA=app", "APP_USER=app", "MIGRATOR_USER=migrator",
		"DB_PASSWORD_PARAM_NAME=/aws/reference/secretsmanager/rds!db-0123", "DB_SSLMODE=disable")
}

func TestTemplateInfraContract(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, templateInfraEnv(aws))
	out, errMsg := fn.invoke(t, `{"action": "manage", "config": {"superuser_extensions": {"citext": true}}}`)
	if errMsg != "" {
		t.Fatalf("manage: %s\n%s", errMsg, fn.logs.String())
	}
	roles := mustJSON(out["roles"])
	for _, r := range []string{`"app"`, `"migrator"`} {
		if !strings.Contains(roles, r) {
			t.Errorf("roles lack %s: %s", r, roles)
		}
	}
	groups, _ := out["roles_with_groups"].(map[string]any)
	if groups["app"] != "rds_iam" || groups["migrator"] != "rds_iam" {
		t.Errorf("roles_with_groups: %v", groups)
	}
	privs, _ := out["schema_privileges"].(map[string]any)
	if acl, _ := privs["app"].(string); !strings.Contains(acl, "app=U/migrator") || !strings.HasPrefix(acl, "{migrator=UC/migrator") {
		t.Errorf("schema_privileges[app] = %v", privs["app"])
	}
	checks := []struct{ what, sql string }{
		{"migrator owns the schema", `select nspowner::regrole::text = 'migrator' from pg_namespace where nspname = 'app'`},
		{"both use IAM", `select pg_has_role('app', 'rds_iam', 'MEMBER') and pg_has_role('migrator', 'rds_iam', 'MEMBER')`},
		{"search_path is the schema", `select setconfig @> '{search_path=app}' from pg_db_role_setting where setrole = 0 and setdatabase = (select oid from pg_database where datname = 'app')`},
		{"PUBLIC cannot connect", `select not exists (select 1 from pg_database, aclexplode(datacl) a where datname = 'app' and a.grantee = 0)`},
		{"PUBLIC cannot create in public", `select not has_schema_privilege('public', 'public', 'CREATE')`},
		{"citext is installed in pg_catalog", `select extnamespace::regnamespace::text = 'pg_catalog' from pg_extension where extname = 'citext'`},
	}
	for _, c := range checks {
		if !db.Bool(t, c.sql) {
			t.Errorf("%s: no", c.what)
		}
	}
	out, errMsg = fn.invoke(t, `{"action": "check", "config": {"superuser_extensions": {"citext": true}}}`)
	if errMsg != "" || out["success"] != true {
		t.Fatalf("check: %v %v\n%s", errMsg, out, fn.logs.String())
	}
	// Default privileges: app uses a table migrator creates later.
	mig := db.ConnectAs(t, "migrator", "")
	if _, err := mig.Exec(t.Context(), "create table app.later (id serial)"); err != nil {
		t.Fatal(err)
	}
	app := db.ConnectAs(t, "app", "")
	if _, err := app.Exec(t.Context(), "insert into app.later default values; select * from app.later"); err != nil {
		t.Fatalf("app cannot use migrator's new table: %v", err)
	}
	if _, errMsg := fn.invoke(t, `{"action": "manage", "config": {"superuser_extensions": {"citext": false}}}`); errMsg != "" {
		t.Fatal(errMsg)
	}
	if db.Bool(t, "select exists (select 1 from pg_extension where extname = 'citext')") {
		t.Fatal("citext: false did not drop the extension")
	}
}
