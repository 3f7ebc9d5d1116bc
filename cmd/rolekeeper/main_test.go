package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

// binary is the rolekeeper binary built for process-level tests.
var binary string

func TestMain(m *testing.M) {
	// Password users' secrets go to a directory, as with --secrets-dir.
	dir, err := os.MkdirTemp("", "rolekeeper-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("ROLEKEEPER_SECRETS_DIR", filepath.Join(dir, "secrets"))
	binary = filepath.Join(dir, "rolekeeper")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build rolekeeper: %v\n%s", err, out)
		os.Exit(1)
	}
	pgtest.Main(m)
}

// rk runs the CLI in-process and returns its exit code and output.
func rk(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeSpec(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const example = "../../examples/app.yaml"

func TestPlanExitCodes(t *testing.T) {
	db := pgtest.Fresh(t)
	code, out, errOut := rk(t, "plan", "-f", example, "--dsn", db.DSN)
	if code != 2 || !strings.Contains(out, `CREATE ROLE "app" WITH LOGIN`) {
		t.Fatalf("plan with changes: exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	code, out, _ = rk(t, "plan", "-f", example, "--dsn", db.DSN)
	if code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan without changes: exit %d:\n%s", code, out)
	}
	if code, _, errOut := rk(t, "plan", "-f", example, "--dsn", "postgres://nobody@127.0.0.1:1/app?connect_timeout=2"); code != 1 || !strings.Contains(errOut, "connect to 127.0.0.1:1") {
		t.Fatalf("unreachable server: exit %d: %s", code, errOut)
	}
}

func TestPlanJSONIsStable(t *testing.T) {
	db := pgtest.Fresh(t)
	_, first, _ := rk(t, "plan", "-f", example, "--dsn", db.DSN, "--format", "json")
	_, second, _ := rk(t, "plan", "-f", example, "--dsn", db.DSN, "--format", "json")
	if first != second {
		t.Fatal("two JSON plans of the same state differ")
	}
	var doc plan.Document
	if err := json.Unmarshal([]byte(first), &doc); err != nil {
		t.Fatalf("plan JSON does not parse: %v", err)
	}
	if doc.FormatVersion != 1 || !doc.Changed || doc.Database != "app" || len(doc.Changes) == 0 || doc.Summary["create"] != 4 {
		t.Fatalf("unexpected document: %+v", doc)
	}
	for _, c := range doc.Changes {
		if c.Action == "" || c.Summary == "" || len(c.SQL) == 0 {
			t.Fatalf("incomplete change: %+v", c)
		}
	}
	_, applied, _ := rk(t, "apply", "-f", example, "--dsn", db.DSN, "--format", "json")
	if err := json.Unmarshal([]byte(applied), &doc); err != nil || doc.Applied == nil || !*doc.Applied {
		t.Fatalf("apply JSON: %v\n%s", err, applied)
	}
}

func TestInvalidFileChangesNothing(t *testing.T) {
	db := pgtest.Fresh(t)
	bad := writeSpec(t, "schemas: {app: {owner: migrator}}\nroles:\n  migrator: {login: true}\n  app:\n    access: {app: readwirte}\n")
	mark := pgtest.LogMark(t)
	code, out, errOut := rk(t, "apply", "-f", bad, "--dsn", db.DSN)
	if code != 1 || out != "" || !strings.Contains(errOut, "spec.yaml:5: roles.app.access.app: unknown profile \"readwirte\"") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if stmts := pgtest.Statements(t, mark, "postgres"); len(stmts) != 0 {
		t.Fatalf("an invalid spec reached the server: %q", stmts)
	}
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname in ('app', 'migrator'))") {
		t.Fatal("roles were created from an invalid file")
	}
}

func TestInspectRoundTrips(t *testing.T) {
	db := pgtest.Fresh(t)
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatal(errOut)
	}
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t (id serial); CREATE TABLE app.u (id int); CREATE TABLE app.v (id int); RESET ROLE")
	// Privileges on only some tables come back as grants on named tables.
	db.Exec(t, "CREATE ROLE auditor; GRANT USAGE ON SCHEMA app TO auditor; GRANT SELECT, REFERENCES ON app.t, app.u TO auditor")
	code, out, errOut := rk(t, "inspect", "--dsn", db.DSN)
	if code != 0 {
		t.Fatalf("inspect: %s", errOut)
	}
	for _, want := range []string{"owner: migrator", "app: readwrite", "app: readonly", "connect: false", "search_path: app",
		"- schema: app\n        tables:\n          - t\n          - u\n        privileges:\n          - SELECT\n          - REFERENCES"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	inspected := writeSpec(t, out)
	if code, out, _ := rk(t, "plan", "-f", inspected, "--dsn", db.DSN); code != 0 {
		t.Fatalf("the inspected spec is not a no-op (exit %d):\n%s", code, out)
	}
}

func TestValidateAndSchema(t *testing.T) {
	if code, out, _ := rk(t, "validate", "-f", example); code != 0 || !strings.Contains(out, "valid (3 roles, 1 schemas)") {
		t.Fatalf("validate: %d %s", code, out)
	}
	code, out, _ := rk(t, "schema")
	var schema map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &schema) != nil || schema["title"] == nil {
		t.Fatalf("schema: exit %d, not a JSON Schema", code)
	}
	if code, _, errOut := rk(t, "frobnicate"); code != 1 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %d %s", code, errOut)
	}
	if code, _, errOut := rk(t, "plan"); code != 1 || !strings.Contains(errOut, "-f FILE") {
		t.Fatalf("plan without -f: %d %s", code, errOut)
	}
}

// TestInspectGroupsAccess: identical access comes back grouped (a profile
// for a repeated privilege set, access_owned_by for every schema of one
// owner, one line per role) and still plans no change.
func TestInspectGroupsAccess(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE owner; CREATE SCHEMA s1 AUTHORIZATION owner; CREATE SCHEMA s2 AUTHORIZATION owner; CREATE SCHEMA s3 AUTHORIZATION owner;
		CREATE TABLE s1.t (id int); CREATE TABLE s2.t (id int); ALTER TABLE s1.t OWNER TO owner; ALTER TABLE s2.t OWNER TO owner;
		CREATE ROLE u1 LOGIN; CREATE ROLE u2 LOGIN; CREATE ROLE u3 LOGIN; CREATE ROLE w LOGIN;
		GRANT CONNECT ON DATABASE `+pgx.Identifier{db.Name}.Sanitize()+` TO u1, u2, u3, w;
		GRANT USAGE ON SCHEMA s1, s2, s3 TO u1, u2, u3, w;
		GRANT SELECT ON ALL TABLES IN SCHEMA s1, s2, s3 TO u1, u2, u3;
		ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA s1, s2, s3 GRANT SELECT ON TABLES TO u1, u2, u3;
		GRANT SELECT ON s1.t TO w; ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA s1 GRANT SELECT ON TABLES TO w`)
	code, out, errOut := rk(t, "inspect", "--dsn", db.DSN)
	if code != 0 {
		t.Fatalf("inspect: %s", errOut)
	}
	for _, want := range []string{"inspected_1: {schema: [USAGE], tables: [SELECT]}", "u1: {login: true, access_owned_by: {owner: inspected_1}}",
		"u3: {login: true, access_owned_by: {owner: inspected_1}}"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "w: {login: true, access_owned_by") {
		t.Errorf("w reads only s1 but got access to every schema of owner:\n%s", out)
	}
	inspected := writeSpec(t, out)
	if code, out, _ := rk(t, "plan", "-f", inspected, "--dsn", db.DSN); code != 0 {
		t.Fatalf("the inspected spec is not a no-op (exit %d):\n%s", code, out)
	}
}
