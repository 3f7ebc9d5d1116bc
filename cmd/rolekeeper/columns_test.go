package main

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// A column privilege granted by hand: plan exits 2 and names it, apply
// revokes it, and the next plan exits 0 (docs/drift.md, "Column privileges").
func TestPlanColumnPrivilegeDrift(t *testing.T) {
	db := pgtest.Fresh(t)
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t (id int, secret text); GRANT UPDATE (secret) ON app.t TO reporting; RESET ROLE")
	code, out, errOut := rk(t, "plan", "-f", example, "--dsn", db.DSN)
	if code != 2 || !strings.Contains(out, `REVOKE UPDATE ("secret") ON TABLE "app"."t" FROM "reporting"`) {
		t.Fatalf("plan after a column grant: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	if code, out, _ := rk(t, "plan", "-f", example, "--dsn", db.DSN); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after apply: exit %d:\n%s", code, out)
	}
}
