package ops_test

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// The rotate command (CLI and the Lambda's rotate action) follows a role's
// rotation: alternating: each rotate gives the user the secret does not
// name the new password and switches the secret to it, so the previous
// password keeps working; the clone is never rotated on its own; plan and
// check accept the shared secret whichever user it names.
func TestRotateCommandAlternatesUsers(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	sess := session(t, db)
	s := mustParse(t, "roles:\n  web: {auth: password, rotation: alternating}\n")
	if _, err := sess.Apply(ctx, s, apply.Options{}); err != nil {
		t.Fatal(err)
	}
	var users []string
	prev, err := sess.Store.Get(ctx, "rolekeeper/app/web", credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		done, err := sess.Rotate(ctx, s, nil)
		if err != nil || len(done) != 1 || done[0].Role != "web" {
			t.Fatalf("rotate: %v %+v", err, done)
		}
		cur, _ := sess.Store.Get(ctx, "rolekeeper/app/web", credentials.StageCurrent)
		users = append(users, cur.Secret.Username)
		db.ConnectAs(t, cur.Secret.Username, cur.Secret.Password)
		db.ConnectAs(t, prev.Secret.Username, prev.Secret.Password) // the previous user still logs in
		prev = cur
	}
	if users[0] != "web_clone" || users[1] != "web" {
		t.Fatalf("the secret went to %v, want web_clone then web", users)
	}
	p, err := sess.Plan(ctx, s)
	if err != nil || len(p.Problems) != 0 || !p.Empty() {
		t.Fatalf("plan after rotations: %v %v %v", err, p.Problems, p.Changes)
	}
	report, err := sess.Check(ctx, s)
	if err != nil || report.Failed != 0 {
		t.Fatalf("check after rotations: %v %+v", err, report)
	}
}
