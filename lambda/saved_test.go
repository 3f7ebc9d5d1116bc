package lambda_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/lambda"
)

// CI plans in a pull request and applies the reviewed plan after merge:
// the saved plan comes back from plan and goes into apply as "plan".
func TestSavedPlanThroughTheFunction(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	cfg := exampleJSON(t)

	out, errMsg := fn.invoke(t, `{"action": "plan", "save_plan": true, "config": `+cfg+`}`)
	saved := mustJSON(out["saved_plan"])
	if errMsg != "" || out["changed"] != true || !strings.Contains(saved, `"format":"rolekeeper-plan"`) {
		t.Fatalf("plan with save_plan: %v %v", errMsg, out)
	}
	if strings.Contains(saved, "SCRAM-SHA-256$") {
		t.Fatal("the saved plan holds a password verifier")
	}
	// A hand change to what the plan depends on: refused, naming it.
	db.Exec(t, `CREATE SCHEMA app AUTHORIZATION postgres`)
	_, errMsg = fn.invoke(t, `{"action": "apply", "plan": `+saved+`}`)
	if !strings.Contains(errMsg, "the saved plan is stale") || !strings.Contains(errMsg, `schema "app"`) {
		t.Fatalf("expected a stale plan refused naming schema \"app\", got %q", errMsg)
	}
	if db.Bool(t, `select exists (select 1 from pg_roles where rolname = 'app')`) {
		t.Fatal("a refused saved plan created a role")
	}
	// A spec that differs from the plan's: refused.
	_, errMsg = fn.invoke(t, `{"action": "apply", "config": {"roles": {"x": {"auth": "iam"}}}, "plan": `+saved+`}`)
	if !strings.Contains(errMsg, "the spec changed since the plan was made") {
		t.Fatalf("expected a changed spec refused, got %q", errMsg)
	}
	// Plan again and apply that plan, with the same spec in the event.
	out, _ = fn.invoke(t, `{"action": "plan", "save_plan": true, "config": `+cfg+`}`)
	out, errMsg = fn.invoke(t, `{"action": "apply", "config": `+cfg+`, "plan": `+mustJSON(out["saved_plan"])+`}`)
	if errMsg != "" || out["applied"] != true {
		t.Fatalf("apply of a fresh saved plan: %v %v", errMsg, out)
	}
	if out, _ := fn.invoke(t, `{"action": "plan", "config": `+cfg+`}`); out["changed"] != false {
		t.Fatalf("plan after applying the saved plan: %v", out)
	}
}

func TestEventTyposGetSuggestions(t *testing.T) {
	h := &lambda.Handler{Getenv: func(string) string { return "" }, Out: io.Discard}
	cases := []struct{ event, want string }{
		{`{"action": "aply"}`, `unknown action "aply" (did you mean "apply"?)`},
		{`{"acton": "plan"}`, `unknown field "acton" (did you mean "action"?)`},
		{`{"action": "plan", "config": {"roles": {"app": {"acess": {}}}}}`, `unknown field "acess" in role (did you mean "access"?)`},
	}
	for _, c := range cases {
		_, err := h.Handle(context.Background(), json.RawMessage(c.event))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("event %s: error %v lacks %s", c.event, err, c.want)
		}
	}
}
