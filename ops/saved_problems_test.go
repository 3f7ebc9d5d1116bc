package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestSavedPlanShowsWhatApplyWouldRefuse: `plan -out` reports the same
// password problems as `plan` (here: a password to set with no secret
// store), in the plan and in the saved file, and refuses the admin's own
// secret before reading anything, as plan does.
func TestSavedPlanShowsWhatApplyWouldRefuse(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	s := mustParse(t, "roles:\n  reporting: {auth: password, password_secret: app/reporting}\n")

	sess := session(t, db)
	sess.Store = nil
	p, err := sess.Plan(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	saved, sp, err := sess.SavePlan(ctx, s, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := "no secret store is configured"
	if !strings.Contains(strings.Join(p.Problems, "\n"), want) {
		t.Fatalf("plan problems %q lack %q", p.Problems, want)
	}
	if strings.Join(sp.Problems, "\n") != strings.Join(p.Problems, "\n") {
		t.Errorf("saved plan problems %q differ from plan's %q", sp.Problems, p.Problems)
	}
	if !strings.Contains(strings.Join(saved.Plan.Problems, "\n"), want) {
		t.Errorf("the saved file's problems %q lack %q", saved.Plan.Problems, want)
	}

	admin := session(t, db)
	admin.AdminSecrets = []string{"app/reporting"}
	if _, _, err := admin.SavePlan(ctx, s, "test"); err == nil {
		t.Fatal("a saved plan used the admin's own secret as a user's")
	}
}
