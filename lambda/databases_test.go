package lambda_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/lambda"
)

// TestSeveralDatabasesInTheHandler: the same event contract with a spec
// that declares two databases (examples/several-databases.yaml as the
// event's config): plan returns the cluster's changes and a plan per
// database, apply each database's outcome; an apply that stops at the
// second database is a function error saying the first stays committed;
// inspect of both returns a spec with databases.
func TestSeveralDatabasesInTheHandler(t *testing.T) {
	pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.CreateDatabase(ctx, "reporting"); err != nil {
		t.Fatal(err)
	}
	aws := awstest.New(t)
	env := map[string]string{}
	for _, kv := range rdsEnv(t, aws) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if strings.HasPrefix(k, "PG") {
			t.Setenv(k, v) // pgx reads them from the process environment
		}
	}
	var logs strings.Builder
	h := &lambda.Handler{Getenv: func(k string) string { return env[k] }, Out: &logs,
		AWS: func(context.Context) (awssdk.Config, error) { return aws.Config(), nil }}
	cfg := exampleFileJSON(t, "several-databases.yaml")
	invoke := func(event string) (map[string]any, error) {
		t.Helper()
		out, err := h.Invoke(ctx, []byte(event))
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		return m, nil
	}
	type section struct {
		Database, Outcome string
		Changed           bool
	}
	sections := func(m map[string]any) []section {
		var out []section
		b, _ := json.Marshal(m["database_plans"])
		json.Unmarshal(b, &out)
		return out
	}

	out, err := invoke(`{"action": "plan", "config": ` + cfg + `}`)
	if err != nil || out["changed"] != true || len(out["cluster_changes"].([]any)) == 0 {
		t.Fatalf("plan: %v %v", err, out)
	}
	if s := sections(out); len(s) != 2 || s[0].Database != "app" || s[1].Database != "reporting" || !s[1].Changed {
		t.Fatalf("plan sections: %+v", s)
	}
	if _, err := invoke(`{"action": "plan", "save_plan": true, "config": ` + cfg + `}`); err == nil || !strings.Contains(err.Error(), "a saved plan covers one database") {
		t.Fatalf("save_plan: %v", err)
	}

	// The second database refuses CREATE SCHEMA (an event trigger).
	super, err := pgx.Connect(ctx, strings.Replace(pgtest.Server.SuperDSN("app"), "/app", "/reporting", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	if _, err := super.Exec(ctx, `CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'schemas are frozen here'; END $$;
		CREATE EVENT TRIGGER refuse_schemas ON ddl_command_start WHEN TAG IN ('CREATE SCHEMA') EXECUTE FUNCTION refuse()`); err != nil {
		t.Fatal(err)
	}
	_, err = invoke(`{"action": "apply", "config": ` + cfg + `}`)
	if err == nil || !strings.Contains(err.Error(), `apply stopped at database "reporting"`) || !strings.Contains(err.Error(), `"app" committed and stays so; "reporting" failed and was rolled back`) {
		t.Fatalf("apply with the second database failing: %v", err)
	}
	if _, err := super.Exec(ctx, `DROP EVENT TRIGGER refuse_schemas`); err != nil {
		t.Fatal(err)
	}
	out, err = invoke(`{"action": "apply", "config": ` + cfg + `}`)
	if err != nil || out["applied"] != true {
		t.Fatalf("apply: %v %v", err, out)
	}
	if s := sections(out); s[0].Outcome != "no changes" || s[1].Outcome != "applied" {
		t.Fatalf("apply outcomes: %+v", s)
	}
	logs.Reset()
	out, err = invoke(`{"action": "plan", "metrics": true, "config": ` + cfg + `}`)
	if err != nil || out["changed"] != false {
		t.Fatalf("plan after apply: %v %v", err, out)
	}
	// Drift metrics: one record per database (the module's alarms watch each).
	for _, db := range []string{"app", "reporting"} {
		if !strings.Contains(logs.String(), `"Database":"`+db+`"`) || !strings.Contains(logs.String(), `"PendingChanges":0`) {
			t.Fatalf("no drift metrics for %s:\n%s", db, logs.String())
		}
	}
	if out, err = invoke(`{"action": "check", "config": ` + cfg + `}`); err != nil || len(out["databases"].([]any)) != 2 {
		t.Fatalf("check: %v %v", err, out)
	}
	out, err = invoke(`{"action": "inspect", "databases": ["app", "reporting"]}`)
	if err != nil {
		t.Fatal(err)
	}
	spec, _ := out["spec"].(map[string]any)
	dbs, _ := spec["databases"].(map[string]any)
	if dbs["app"] == nil || dbs["reporting"] == nil {
		t.Fatalf("inspect: %v", out)
	}
	inspected, _ := json.Marshal(spec)
	if out, err = invoke(`{"action": "plan", "config": ` + string(inspected) + `}`); err != nil || out["changed"] != false {
		t.Fatalf("plan of the inspected spec: %v %v", err, out)
	}
}

// TestSeveralDatabasesRotationLogsInWhereListed: Secrets Manager rotates
// the secret of a password user that only the second database lists; the
// connection's database (PGDATABASE=app) gives it no CONNECT, so
// testSecret logs in to the database that lists it.
func TestSeveralDatabasesRotationLogsInWhereListed(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.CreateDatabase(ctx, "reporting"); err != nil {
		t.Fatal(err)
	}
	aws := awstest.New(t)
	env := map[string]string{"ROLEKEEPER_SPEC": `
roles:
  analyst: {auth: password, password_secret: app/analyst}
databases:
  app:
    public: {connect: false}
  reporting:
    roles: {analyst: {}}
`}
	for _, kv := range rdsEnv(t, aws) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if strings.HasPrefix(k, "PG") {
			t.Setenv(k, v)
		}
	}
	var logs strings.Builder
	h := &lambda.Handler{Getenv: func(k string) string { return env[k] }, Out: &logs,
		AWS: func(context.Context) (awssdk.Config, error) { return aws.Config(), nil }}
	if _, err := h.Invoke(ctx, []byte(`{"action": "apply"}`)); err != nil {
		t.Fatalf("apply: %v\n%s", err, logs.String())
	}
	if db.Bool(t, `select has_database_privilege('analyst', 'app', 'connect')`) {
		t.Fatal("analyst should have no CONNECT on app")
	}
	token := aws.StartRotation(t, "app/analyst")
	for _, s := range []string{"createSecret", "setSecret", "testSecret", "finishSecret"} {
		if _, err := h.Invoke(ctx, []byte(`{"SecretId": "app/analyst", "ClientRequestToken": "`+token+`", "Step": "`+s+`"}`)); err != nil {
			t.Fatalf("%s: %v\n%s", s, err, logs.String())
		}
	}
}
