package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/secretsmanager"
)

// TestSecretNameSecretsManagerRefusesIsAPlanProblem: a password role
// whose name holds a space and accents gets a default secret name that
// AWS Secrets Manager refuses. The plan says so and names the way out;
// apply changes nothing, in the database or in the store. The same role
// with a password_secret Secrets Manager takes plans without a problem.
func TestSecretNameSecretsManagerRefusesIsAPlanProblem(t *testing.T) {
	db := pgtest.Fresh(t)
	conn := adminConn(t, db)
	srv := awstest.New(t)
	secrets := &apply.Secrets{Store: secretsmanager.New(srv.Config()), Shape: credentials.DBSecret{Engine: "postgres", Host: "127.0.0.1", DBName: "app"}}
	ctx := context.Background()

	s := mustSpec(t, "roles:\n  \"user één\": {auth: password}\n")
	p, err := apply.Plan(ctx, conn, desired(s), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	probs := apply.PasswordProblems(ctx, secrets, desired(s), p)
	if len(probs) != 1 || !strings.Contains(probs[0], `role "user één"`) || !strings.Contains(probs[0], "password_secret") || !strings.Contains(probs[0], "ASCII letters") {
		t.Fatalf("problems for a secret name Secrets Manager refuses: %q", probs)
	}
	_, err = apply.Apply(ctx, conn, desired(s), apply.Options{Secrets: secrets})
	var pe *apply.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("apply: got %v, want the plan's problems", err)
	}
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'user één')") {
		t.Fatal("apply created the role though the plan had problems")
	}
	for _, call := range srv.Calls() {
		if strings.Contains(call, "CreateSecret") || strings.Contains(call, "PutSecretValue") {
			t.Fatalf("the store was written: %q", srv.Calls())
		}
	}

	ok := mustSpec(t, "roles:\n  \"user één\": {auth: password, password_secret: app/user-een}\n")
	p, err = apply.Plan(ctx, conn, desired(ok), plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if probs := apply.PasswordProblems(ctx, secrets, desired(ok), p); len(probs) != 0 {
		t.Fatalf("a name Secrets Manager takes is a problem: %q", probs)
	}
}
