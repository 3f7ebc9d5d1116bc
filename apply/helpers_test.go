package apply_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/dirstore"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

func mustSpec(t *testing.T, yaml string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("spec: %v", err)
	}
	return s
}

func exampleSpec(t *testing.T) *spec.Spec {
	t.Helper()
	b, err := os.ReadFile("../examples/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return mustSpec(t, string(b))
}

func adminConn(t *testing.T, db *pgtest.DB) *pgx.Conn {
	t.Helper()
	conn, err := connect.Connect(context.Background(), connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func desired(s *spec.Spec) *state.Database { return s.Desired("app") }

// testSecrets is a directory secret store that lives as long as the test.
func testSecrets(t *testing.T) *apply.Secrets {
	return &apply.Secrets{Store: dirstore.Store{Dir: t.TempDir()}, Shape: credentials.DBSecret{Engine: "postgres", Host: "127.0.0.1", DBName: "app"}}
}

func doApply(t *testing.T, db *pgtest.DB, s *spec.Spec) *apply.Result {
	t.Helper()
	return doApplyWith(t, db, s, testSecrets(t))
}

func doApplyWith(t *testing.T, db *pgtest.DB, s *spec.Spec, secrets *apply.Secrets) *apply.Result {
	t.Helper()
	res, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{Plan: plan.Options{Additive: s.Additive()}, Secrets: secrets})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

func doPlan(t *testing.T, db *pgtest.DB, s *spec.Spec) *plan.Plan {
	t.Helper()
	p, err := apply.Plan(context.Background(), adminConn(t, db), desired(s), plan.Options{Additive: s.Additive()})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

func planText(t *testing.T, p *plan.Plan) string {
	t.Helper()
	var b strings.Builder
	if err := p.WriteText(&b, "Plan"); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// expectNoChanges fails when a plan would change anything.
func expectNoChanges(t *testing.T, db *pgtest.DB, s *spec.Spec) {
	t.Helper()
	if p := doPlan(t, db, s); !p.Empty() || len(p.Problems) > 0 {
		t.Fatalf("expected no changes, got:\n%s", planText(t, p))
	}
}

func catalogFingerprint(t *testing.T, db *pgtest.DB) string { return db.Fingerprint(t) }
