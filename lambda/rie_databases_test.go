package lambda_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestSeveralDatabasesUnderTheEmulator: the deployed shape (bootstrap
// under the Runtime Interface Emulator, the admin's password from the
// in-test Secrets Manager) takes a spec with two databases
// (examples/several-databases.yaml as the event's config): plan returns a
// section per database, apply each database's outcome, the next plan no
// changes, check both databases, and inspect of both a spec that plans no
// changes. No password appears in a response or the function's log.
func TestSeveralDatabasesUnderTheEmulator(t *testing.T) {
	pgtest.Fresh(t)
	if err := pgtest.Server.CreateDatabase(context.Background(), "reporting"); err != nil {
		t.Fatal(err)
	}
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	cfg := exampleFileJSON(t, "several-databases.yaml")
	var responses strings.Builder
	invoke := func(event string) map[string]any {
		t.Helper()
		out, errMsg := fn.invoke(t, event)
		responses.WriteString(mustJSON(out))
		if errMsg != "" {
			t.Fatalf("%s: function error %q\n%s", event[:min(len(event), 40)], errMsg, fn.logs.String())
		}
		return out
	}
	outcomes := func(out map[string]any) map[string]string {
		var sections []struct{ Database, Outcome string }
		b, _ := json.Marshal(out["database_plans"])
		json.Unmarshal(b, &sections)
		m := map[string]string{}
		for _, s := range sections {
			m[s.Database] = s.Outcome
		}
		return m
	}

	out := invoke(`{"action": "plan", "config": ` + cfg + `}`)
	if out["changed"] != true || len(outcomes(out)) != 2 {
		t.Fatalf("plan: %v", out)
	}
	out = invoke(`{"action": "apply", "config": ` + cfg + `}`)
	if got := outcomes(out); out["applied"] != true || got["app"] != "applied" || got["reporting"] != "applied" {
		t.Fatalf("apply: %v", out)
	}
	if out = invoke(`{"action": "plan", "config": ` + cfg + `}`); out["changed"] != false {
		t.Fatalf("plan after apply: %v", out)
	}
	// check: each database's report, and the totals under the names the
	// one-database response uses.
	out = invoke(`{"action": "check", "config": ` + cfg + `}`)
	var reports []struct{ Passed, Failed, Skipped float64 }
	b, _ := json.Marshal(out["databases"])
	json.Unmarshal(b, &reports)
	var passed, skipped float64
	for _, r := range reports {
		passed, skipped = passed+r.Passed, skipped+r.Skipped
	}
	if len(reports) != 2 || out["failed"] != float64(0) || passed < 15 || out["passed"] != passed || out["skipped"] != skipped {
		t.Fatalf("check: %v", out)
	}
	out = invoke(`{"action": "inspect", "databases": ["app", "reporting"]}`)
	spec, _ := out["spec"].(map[string]any)
	if dbs, _ := spec["databases"].(map[string]any); dbs["app"] == nil || dbs["reporting"] == nil {
		t.Fatalf("inspect: %v", out)
	}
	inspected, _ := json.Marshal(spec)
	if out = invoke(`{"action": "plan", "config": ` + string(inspected) + `}`); out["changed"] != false {
		t.Fatalf("plan of the inspected spec: %v", out)
	}

	raw, ok := aws.SecretValue("app/analyst", "AWSCURRENT")
	if !ok {
		t.Fatalf("the analyst's secret was not stored; calls: %q", aws.Calls())
	}
	for _, pw := range []string{jsonField(raw, "password"), pgtest.Server.MasterPassword} {
		if pw == "" {
			t.Fatal("a password to look for is missing")
		}
		if strings.Contains(responses.String(), pw) || strings.Contains(fn.logs.String(), pw) {
			t.Fatal("a password appears in a response or the function's log")
		}
	}
}
