package apply_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

// savedRoundTrip saves a plan of s, writes and reads it back as a file
// would, so the test applies what a reviewer saw.
func savedRoundTrip(t *testing.T, db *pgtest.DB, yaml string) *plan.Saved {
	t.Helper()
	saved, _, err := apply.SavePlan(context.Background(), adminConn(t, db), mustSpec(t, yaml), "test")
	if err != nil {
		t.Fatalf("save plan: %v", err)
	}
	var buf bytes.Buffer
	if err := plan.WriteSaved(&buf, saved); err != nil {
		t.Fatal(err)
	}
	back, err := plan.ReadSaved(&buf, "plan.json")
	if err != nil {
		t.Fatalf("read the saved plan back: %v", err)
	}
	return back
}

// grown is the example with one more reader, so the second plan has work.
const grownExtra = `
  auditor:
    auth: iam
    access:
      app: readonly
`

func grownSpec(t *testing.T) string {
	t.Helper()
	base := exampleSpecText(t)
	i := strings.Index(base, "\npublic:")
	return base[:i] + grownExtra + base[i:]
}

func TestSavedPlanAppliesExactlyAndHoldsNoSecret(t *testing.T) {
	db := pgtest.Fresh(t)
	saved := savedRoundTrip(t, db, exampleSpecText(t))
	var buf bytes.Buffer
	plan.WriteSaved(&buf, saved)
	text := buf.String()
	if !strings.Contains(text, `"secret": "app/reporting"`) {
		t.Fatalf("the password change should name its secret:\n%s", text)
	}
	if strings.Contains(text, "SCRAM-SHA-256$") {
		t.Fatal("the saved plan holds a password verifier")
	}
	secrets := testSecrets(t)
	res, err := apply.ApplySaved(context.Background(), adminConn(t, db), saved, nil, apply.Options{Secrets: secrets})
	if err != nil {
		t.Fatalf("apply the saved plan: %v", err)
	}
	if !res.Committed || len(res.Plan.Changes) != len(saved.Plan.Changes) {
		t.Fatalf("expected the %d saved changes committed, got committed=%v with %d", len(saved.Plan.Changes), res.Committed, len(res.Plan.Changes))
	}
	expectNoChanges(t, db, exampleSpec(t))
	// The password came from the secret store at apply time.
	v, err := secrets.Store.Get(context.Background(), "app/reporting", credentials.StageCurrent)
	if err != nil {
		t.Fatalf("the secret was not created: %v", err)
	}
	db.ConnectAs(t, "reporting", v.Secret.Password).Close(context.Background())
}

func TestSavedPlanIsRefusedAfterAGrantChangedByHand(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, exampleSpec(t))
	db.Exec(t, "CREATE ROLE auditor LOGIN") // so the saved plan has roles to alter, not only to create
	saved := savedRoundTrip(t, db, grownSpec(t))
	if len(saved.Plan.Changes) == 0 {
		t.Fatal("the grown spec should need changes")
	}
	err := refusedAfter(t, db, saved, `GRANT CREATE ON SCHEMA app TO app`)
	if !strings.Contains(err.Error(), `now also: revoke CREATE on schema "app" from "app"`) {
		t.Fatalf("the error should say how the plan would differ:\n%v", err)
	}
}

// refusedAfter runs change, then applies saved: the plan must be refused as
// stale, with only schema "app" moved, and the database left as it was.
func refusedAfter(t *testing.T, db *pgtest.DB, saved *plan.Saved, change string) error {
	t.Helper()
	db.Exec(t, change)
	before := catalogFingerprint(t, db)
	_, err := apply.ApplySaved(context.Background(), adminConn(t, db), saved, nil, apply.Options{Secrets: testSecrets(t)})
	var stale *apply.StaleError
	if !errors.As(err, &stale) {
		t.Fatalf("expected a stale plan refused, got %v", err)
	}
	if len(stale.Moved) != 1 || stale.Moved[0] != `schema "app"` {
		t.Fatalf("expected only schema \"app\" named as moved, got %q", stale.Moved)
	}
	if after := catalogFingerprint(t, db); after != before {
		t.Fatal("a refused saved plan changed the database")
	}
	return err
}

func TestSavedPlanIsNotStaleAfterUnrelatedChanges(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, exampleSpec(t))
	saved := savedRoundTrip(t, db, grownSpec(t))
	// Elsewhere in the cluster: a role the spec does not name, another
	// database, a schema the spec does not manage, a database grant to
	// the unrelated role.
	db.Exec(t, `CREATE ROLE someone_else LOGIN`)
	db.Exec(t, `CREATE DATABASE other`)
	db.Exec(t, `CREATE SCHEMA scratch; CREATE TABLE scratch.t (id int); GRANT SELECT ON scratch.t TO someone_else`)
	db.Exec(t, `GRANT CONNECT ON DATABASE app TO someone_else`)
	res, err := apply.ApplySaved(context.Background(), adminConn(t, db), saved, nil, apply.Options{Secrets: testSecrets(t)})
	if err != nil {
		t.Fatalf("an unrelated change made the saved plan stale: %v", err)
	}
	if !res.Committed {
		t.Fatal("the saved plan was not committed")
	}
	if !db.Bool(t, `select has_schema_privilege('auditor', 'app', 'USAGE')`) {
		t.Fatal("the saved plan's grant is missing")
	}
}

func TestSavedPlanIsRefusedWhenTheSpecChanged(t *testing.T) {
	db := pgtest.Fresh(t)
	saved := savedRoundTrip(t, db, exampleSpecText(t))
	// The same spec as JSON-ish flow YAML in another order is the same spec.
	reordered := mustSpec(t, strings.Replace(exampleSpecText(t), "database: app\n", "", 1)+"\ndatabase: app\n")
	if _, err := apply.SavedSpec(saved, reordered); err != nil {
		t.Fatalf("the same spec in another layout was taken as changed: %v", err)
	}
	_, err := apply.ApplySaved(context.Background(), adminConn(t, db), saved, mustSpec(t, grownSpec(t)), apply.Options{Secrets: testSecrets(t)})
	var stale *apply.StaleError
	if !errors.As(err, &stale) || !stale.SpecChanged {
		t.Fatalf("expected a refusal because the spec changed, got %v", err)
	}
	if db.Bool(t, `select exists (select 1 from pg_roles where rolname = 'app')`) {
		t.Fatal("a refused saved plan created a role")
	}
	// A saved plan whose spec was edited in the file is refused too.
	saved.Spec = strings.Replace(saved.Spec, "readonly", "readwrite", 1)
	if _, err := apply.ApplySaved(context.Background(), adminConn(t, db), saved, nil, apply.Options{}); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Fatalf("expected an edited saved plan refused, got %v", err)
	}
}

func exampleSpecText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../examples/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSavedPlanIsRefusedAfterColumnPrivilegesChangedByHand: column
// privileges, and the schema privileges of a role named "PUBLIC" (read
// apart from PUBLIC's), are part of the state a saved plan rests on: a
// change to them by hand after the plan was saved makes it stale, and
// the refusal changes nothing.
func TestSavedPlanIsRefusedAfterColumnPrivilegesChangedByHand(t *testing.T) {
	for _, change := range []string{
		`GRANT INSERT (id) ON app.t TO reporting`,
		`GRANT USAGE ON SCHEMA app TO "PUBLIC"`,
	} {
		t.Run(change, func(t *testing.T) {
			db := pgtest.Fresh(t)
			doApply(t, db, exampleSpec(t))
			db.Exec(t, `CREATE ROLE auditor LOGIN; CREATE ROLE "PUBLIC"; SET ROLE migrator; CREATE TABLE app.t (id int); RESET ROLE`)
			refusedAfter(t, db, savedRoundTrip(t, db, grownSpec(t)), change)
		})
	}
}
