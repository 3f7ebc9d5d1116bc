package ops_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/dirstore"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/spec"
)

func mustParse(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAdminSecretIsNeverAUsers: a password_secret naming the admin's own
// secret, by name, ARN or SSM reference, is refused by plan, apply, check
// and rotate before any secret is read or written or the server is asked
// anything.
func TestAdminSecretIsNeverAUsers(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	for _, admin := range []string{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0a1b-AbCdEf",
		"/aws/reference/secretsmanager/rds!db-0a1b",
		"rds!db-0a1b",
	} {
		sess := session(t, db)
		sess.AdminSecrets = []string{admin}
		dir := sess.Store.(dirstore.Store).Dir
		s := mustParse(t, "roles:\n  reporting: {auth: password, password_secret: \"rds!db-0a1b\"}\n")
		mark := pgtest.LogMark(t)
		_, planErr := sess.Plan(ctx, s)
		_, applyErr := sess.Apply(ctx, s, apply.Options{})
		_, checkErr := sess.Check(ctx, s)
		_, rotateErr := sess.Rotate(ctx, s, nil)
		for what, err := range map[string]error{"plan": planErr, "apply": applyErr, "check": checkErr, "rotate": rotateErr} {
			var ae *apply.AdminSecretError
			if !errors.As(err, &ae) || !strings.Contains(err.Error(), `role "reporting": password_secret "rds!db-0a1b" is the admin's own secret (`+admin+`)`) {
				t.Errorf("%s with the admin secret %s: %v", what, admin, err)
			}
		}
		if stmts := pgtest.Statements(t, mark, "postgres"); len(stmts) != 0 {
			t.Errorf("the server was asked %q", stmts)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("secrets were written: %v", entries)
		}
	}
}

// TestAnotherUsersSecretIsNeverOverwritten: an existing secret whose
// username is another user is a plan problem naming both; apply refuses
// it and rotate leaves it as it was.
func TestAnotherUsersSecretIsNeverOverwritten(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	sess := session(t, db)
	theirs, err := sess.Store.Create(ctx, "app/shared", credentials.DBSecret{Engine: "postgres", Username: "billing", Password: "billing's password"})
	if err != nil {
		t.Fatal(err)
	}
	s := mustParse(t, "roles:\n  reporting: {auth: password, password_secret: app/shared}\n")
	want := `role "reporting": secret "app/shared" holds the credential of user "billing", not "reporting"; rolekeeper never overwrites another user's secret`
	p, err := sess.Plan(ctx, s)
	if err != nil || !strings.Contains(strings.Join(p.Problems, "\n"), want) {
		t.Fatalf("plan: %v %q", err, p.Problems)
	}
	before := db.Fingerprint(t)
	if _, err := sess.Apply(ctx, s, apply.Options{}); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("apply: %v", err)
	}
	if db.Fingerprint(t) != before {
		t.Fatal("the refused apply changed the catalog")
	}
	// The role exists (made by someone else); rotate must still not touch the secret.
	db.Exec(t, "CREATE ROLE reporting LOGIN")
	if _, err := sess.Rotate(ctx, s, nil); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("rotate: %v", err)
	}
	for _, stage := range []string{credentials.StageCurrent, credentials.StagePending} {
		v, err := sess.Store.Get(ctx, "app/shared", stage)
		if stage == credentials.StagePending {
			if err == nil && v.ID != theirs.ID {
				t.Fatalf("rotate staged a new value in another user's secret")
			}
			continue
		}
		if err != nil || v.ID != theirs.ID || v.Secret.Username != "billing" || v.Secret.Password != "billing's password" {
			t.Fatalf("the secret changed: %v %v", v.Secret, err)
		}
	}
}
