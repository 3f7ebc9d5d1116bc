package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

func TestPlanOutThenApplyThePlanFile(t *testing.T) {
	db := pgtest.Fresh(t)
	out := filepath.Join(t.TempDir(), "plan.json")
	code, stdout, errOut := rk(t, "plan", "-f", example, "--dsn", db.DSN, "-out", out)
	if code != 2 || !strings.Contains(stdout, "rolekeeper apply "+out) {
		t.Fatalf("plan -out: exit %d\n%s\n%s", code, stdout, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), `"format_version": 1`) {
		t.Fatalf("the plan file: %v\n%s", err, b)
	}
	// The file is the plan: the flags may come after it, and no -f is needed.
	code, stdout, errOut = rk(t, "apply", out, "--dsn", db.DSN)
	if code != 0 || !strings.Contains(stdout, "Applied in one transaction") {
		t.Fatalf("apply FILE: exit %d\n%s\n%s", code, stdout, errOut)
	}
	// Applied once, the plan is stale: the database moved.
	code, _, errOut = rk(t, "apply", "--dsn", db.DSN, out)
	if code != 1 || !strings.Contains(errOut, "the saved plan is stale") || !strings.Contains(errOut, `role "app"`) {
		t.Fatalf("second apply of the same plan: exit %d\n%s", code, errOut)
	}
	// With -f, the spec given must be the plan's.
	other := writeSpec(t, "database: app\nroles:\n  viewer:\n    auth: iam\n")
	rk(t, "plan", "-f", other, "--dsn", db.DSN, "-out", out)
	if code, _, errOut = rk(t, "apply", "-f", example, "--dsn", db.DSN, out); code != 1 || !strings.Contains(errOut, "the spec changed") {
		t.Fatalf("apply with another spec: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = rk(t, "apply", "--dsn", db.DSN, "no-such-plan.json"); code != 1 || !strings.Contains(errOut, "read saved plan") {
		t.Fatalf("apply of a missing file: exit %d\n%s", code, errOut)
	}
	if code, _, errOut = rk(t, "apply", "--dsn", db.DSN, example); code != 1 || !strings.Contains(errOut, "not a rolekeeper plan file") {
		t.Fatalf("apply of a spec given as the plan: exit %d\n%s", code, errOut)
	}
}

func TestInvokeSavesAPlanAndAppliesThePlanFile(t *testing.T) {
	srv := awstest.New(t)
	for _, e := range srv.Env() {
		k, v, _ := strings.Cut(e, "=")
		t.Setenv(k, v)
	}
	saved := `{"format":"rolekeeper-plan","format_version":1,"spec_sha256":"abc","spec":"roles: {}\n","fingerprint":{"sha256":"def","areas":{}},"plan":{"format_version":1,"database":"app","changed":true,"changes":[]}}`
	var events []map[string]any
	srv.Lambda = func(fn string, payload []byte, logType string) (int, string, string, []byte) {
		var ev map[string]any
		json.Unmarshal(payload, &ev)
		events = append(events, ev)
		if ev["action"] == "plan" {
			return 200, "", "", []byte(`{"format_version":1,"changed":true,"changes":[],"saved_plan":` + saved + `}`)
		}
		return 200, "", "", []byte(`{"format_version":1,"changed":true,"applied":true}`)
	}
	file := filepath.Join(t.TempDir(), "plan.json")
	code, _, errOut := rk(t, "invoke", "--function", "fn", "--action", "plan", "-out", file)
	if code != 2 || events[0]["save_plan"] != true || !strings.Contains(errOut, "Saved the plan to "+file) {
		t.Fatalf("invoke plan -out: exit %d, event %v\n%s", code, events[0], errOut)
	}
	code, _, errOut = rk(t, "invoke", "--function", "fn", "--action", "apply", file)
	p, _ := events[1]["plan"].(map[string]any)
	if code != 0 || p["spec_sha256"] != "abc" {
		t.Fatalf("invoke apply FILE: exit %d, event %v\n%s", code, events[1], errOut)
	}
	if code, _, errOut = rk(t, "invoke", "--function", "fn", "--action", "check", file); code != 1 || !strings.Contains(errOut, "use it with --action apply") {
		t.Fatalf("a plan file with check: exit %d %s", code, errOut)
	}
}
