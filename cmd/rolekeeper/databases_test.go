package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

const severalDatabases = "../../examples/several-databases.yaml"

// TestSeveralDatabasesOnTheCommandLine: plan (exit 2, a section per
// database, in every format), apply, plan again (exit 0), check in each
// database, inspect of both planning to no changes, and a saved plan
// refused, for examples/several-databases.yaml.
func TestSeveralDatabasesOnTheCommandLine(t *testing.T) {
	db := pgtest.Fresh(t)
	if err := pgtest.Server.CreateDatabase(context.Background(), "reporting"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rk(t, "plan", "-f", severalDatabases, "--dsn", db.DSN)
	if code != 2 || !strings.Contains(out, `== Database "reporting" ==`) || strings.Count(out, `CREATE ROLE "analyst"`) != 1 {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = rk(t, "plan", "-f", severalDatabases, "--dsn", db.DSN, "--format", "markdown")
	if code != 2 || !strings.Contains(out, "#### Database `reporting`") {
		t.Fatalf("markdown plan: exit %d\n%s", code, out)
	}
	code, out, _ = rk(t, "plan", "-f", severalDatabases, "--dsn", db.DSN, "--format", "json")
	var doc plan.MultiDocument
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 2 || len(doc.DatabasePlans) != 2 || len(doc.ClusterChanges) == 0 || !doc.Changed {
		t.Fatalf("JSON plan: exit %d, %v\n%s", code, err, out)
	}
	if code, _, errOut := rk(t, "plan", "-f", severalDatabases, "--dsn", db.DSN, "-out", t.TempDir()+"/p.json"); code != 1 || !strings.Contains(errOut, "a saved plan covers one database") {
		t.Fatalf("saved plan: exit %d: %s", code, errOut)
	}
	code, out, errOut = rk(t, "apply", "-f", severalDatabases, "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, `== Database "reporting": applied: committed (`) {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := rk(t, "plan", "-f", severalDatabases, "--dsn", db.DSN); code != 0 || !strings.Contains(out, "No changes: every database matches the spec.") {
		t.Fatalf("second plan: exit %d\n%s", code, out)
	}
	if code, out, errOut := rk(t, "check", "-f", severalDatabases, "--dsn", db.DSN); code != 0 || !strings.Contains(out, `== Database "reporting" ==`) {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = rk(t, "inspect", "--database", "app,reporting", "--dsn", db.DSN)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errOut)
	}
	inspected := writeSpec(t, out)
	if code, plan, _ := rk(t, "plan", "-f", inspected, "--dsn", db.DSN); code != 0 {
		t.Fatalf("plan of the inspected spec: exit %d\n%s\n--- spec:\n%s", code, plan, out)
	}
}

// TestInspectDatabaseListIsCleaned: --database takes a list as a user
// types it: a trailing comma or a name given twice is no other database.
func TestInspectDatabaseListIsCleaned(t *testing.T) {
	db := pgtest.Fresh(t)
	if err := pgtest.Server.CreateDatabase(context.Background(), "reporting"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rk(t, "inspect", "--database", "app,", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, `from database "app" on`) {
		t.Fatalf("inspect --database 'app,': exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = rk(t, "inspect", "--database", "reporting, app,reporting", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, `from databases "reporting", "app" on`) {
		t.Fatalf("inspect with a database named twice: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = rk(t, "inspect", "--database", "app,app", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, `from database "app" on`) {
		t.Fatalf("inspect --database app,app: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestSeveralDatabasesFirstFails: when the first database fails, the
// cluster's changes roll back with it and nothing is committed anywhere;
// the error says so rather than that databases before it stay committed.
func TestSeveralDatabasesFirstFails(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.CreateDatabase(ctx, "reporting"); err != nil {
		t.Fatal(err)
	}
	// Another session holds the name of the first database's new schema.
	tx, err := db.Super.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE SCHEMA app`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rk(t, "apply", "-f", severalDatabases, "--dsn", db.DSN, "--secrets-dir", t.TempDir(), "--lock-timeout", "200ms")
	if code != 1 || !strings.Contains(out, `== Database "app": FAILED, rolled back`) || !strings.Contains(out, `== Database "reporting": not attempted`) {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(errOut, "before it stay committed") || !strings.Contains(errOut, `apply stopped at database "app", the first: nothing was committed in any database`) {
		t.Fatalf("the error of a failure in the first database:\n%s", errOut)
	}
	tx.Rollback(ctx)
	if db.Bool(t, `select exists (select from pg_roles where rolname = 'analyst')`) {
		t.Fatal("the cluster's changes were committed although the first database failed")
	}
}

// TestInspectAllDatabasesLeavesOutThoseTheAdminCannotEnter: a database of
// another team whose owner revoked CONNECT from PUBLIC is no reason for
// --all-databases to fail: it is left out, and the spec says so.
func TestInspectAllDatabasesLeavesOutThoseTheAdminCannotEnter(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.CreateDatabase(ctx, "reporting"); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`CREATE ROLE other_team`, `CREATE DATABASE locked OWNER other_team`, `REVOKE CONNECT ON DATABASE locked FROM PUBLIC`} {
		if _, err := db.Super.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	code, out, errOut := rk(t, "inspect", "--all-databases", "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, `from databases "app", "postgres", "reporting" on`) || !strings.Contains(out, `left out database "locked"`) {
		t.Fatalf("inspect --all-databases: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, plan, _ := rk(t, "plan", "-f", writeSpec(t, out), "--dsn", db.DSN); code != 0 {
		t.Fatalf("plan of the inspected spec: exit %d\n%s\n--- spec:\n%s", code, plan, out)
	}
}
