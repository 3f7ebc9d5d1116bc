package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/rolekeeper/rolekeeper/verify"
)

type env struct {
	db      *pgtest.DB
	conn    *pgx.Conn
	want    *state.Database
	secrets *apply.Secrets
}

func setup(t *testing.T, specFile string) *env {
	t.Helper()
	db := pgtest.Fresh(t)
	b, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse(specFile, b)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := connect.Connect(context.Background(), connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &env{db: db, conn: conn, want: s.Desired("app"),
		secrets: &apply.Secrets{Store: dirstore.Store{Dir: t.TempDir()}, Shape: credentials.DBSecret{Engine: "postgres", Host: "127.0.0.1", DBName: "app"}}}
}

func (e *env) apply(t *testing.T) *apply.Result {
	t.Helper()
	res, err := apply.Apply(context.Background(), e.conn, e.want, apply.Options{Secrets: e.secrets})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) credential() verify.Credential {
	return func(ctx context.Context, r *state.Role) (string, bool, error) {
		switch r.Auth {
		case state.AuthPassword:
			v, err := e.secrets.Store.Get(ctx, r.PasswordSecret, credentials.StageCurrent)
			return v.Secret.Password, err == nil, err
		case state.AuthIAM:
			return "", true, nil // the sandbox trusts rds_iam members
		}
		return "", false, nil
	}
}

func (e *env) check(t *testing.T) *verify.Report {
	t.Helper()
	r, err := verify.Check(context.Background(), verify.Options{Admin: e.conn, Want: e.want, Credential: e.credential()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reportText(t *testing.T, r *verify.Report) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

func TestCheckPassesAfterApply(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	e.apply(t)
	r := e.check(t)
	text := reportText(t, r)
	if !r.OK() || r.Passed < 13 || r.Skipped != 0 {
		t.Fatalf("check after apply:\n%s", text)
	}
	for _, want := range []string{
		`PASS  "reporting" logs in (auth password)`,
		`PASS  "migrator" creates a table and a sequence in "app"`,
		`PASS  "app" on a new table in its schema: allowed SELECT, INSERT, UPDATE, DELETE; refused nothing`,
		`PASS  "reporting" on a new table in its schema: allowed SELECT; refused INSERT, UPDATE, DELETE`,
		`PASS  "app" cannot create objects in "app"`,
		`PASS  a role outside the spec cannot connect`,
		`PASS  "reporting" has statement_timeout = 30s`,
		`PASS  "app" has search_path = app`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// It cleaned up: no test table and no throwaway role remain.
	if e.db.Bool(t, "select exists (select 1 from pg_class where relname like 'rolekeeper_check_%') or exists (select 1 from pg_roles where rolname like 'rolekeeper_check_%')") {
		t.Fatal("check left objects behind")
	}
}

func TestCheckFailsNamingTheCause(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	e.apply(t)
	// By hand, as a superuser: reporting loses SELECT on migrator's future tables.
	e.db.Exec(t, "ALTER DEFAULT PRIVILEGES FOR ROLE migrator IN SCHEMA app REVOKE SELECT ON TABLES FROM reporting")
	e.db.Exec(t, "REVOKE CONNECT ON DATABASE app FROM app")
	r := e.check(t)
	text := reportText(t, r)
	if r.OK() || r.Failed != 2 {
		t.Fatalf("expected two failures:\n%s", text)
	}
	for _, want := range []string{
		`FAIL  "reporting" on a new table in its schema: privileges as granted: SELECT failed but is granted (permission denied for table rolekeeper_check_`,
		`FAIL  "app" logs in (auth iam): `,
		`permission denied for database "app"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	var doc map[string]any
	b, _ := json.Marshal(r)
	if json.Unmarshal(b, &doc) != nil || doc["failed"].(float64) != 2 {
		t.Fatalf("JSON report: %s", b)
	}
}

func TestGeneratedPasswordLogsInWithSCRAMAndNeverLeaks(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	e.db.Exec(t, "CREATE EXTENSION pg_stat_statements")
	e.db.Exec(t, "SELECT pg_stat_statements_reset()")
	mark := pgtest.LogMark(t)
	ctx := context.Background()

	// Plan and apply, rendered both ways, as a user would see them.
	p, err := apply.Plan(ctx, e.conn, e.want, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p.WriteText(&out, "Plan")
	p.WriteJSON(&out)
	res := e.apply(t)
	res.Plan.WriteJSON(&out)
	first, err := e.secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Secret.Password) < 32 {
		t.Fatal("generated password too short")
	}
	// It logs in over SCRAM-SHA-256, and the server stores only a verifier.
	e.db.ConnectAs(t, "reporting", first.Secret.Password)
	if !e.db.Bool(t, "select rolpassword like 'SCRAM-SHA-256$4096:%' from pg_authid where rolname = 'reporting'") {
		t.Fatal("the server does not hold a SCRAM verifier")
	}
	// Rotate, then check with the new password.
	login := func(ctx context.Context, user, password string) error {
		return connect.Login(ctx, e.conn.Config(), user, password)
	}
	rot, err := apply.Rotate(ctx, e.conn, e.want, e.secrets, nil, login, apply.Options{})
	if err != nil || len(rot) != 1 || rot[0].Outcome != "rotated" {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	second, _ := e.secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	if second.Secret.Password == first.Secret.Password {
		t.Fatal("rotate kept the password")
	}
	if login(ctx, "reporting", first.Secret.Password) == nil {
		t.Fatal("the old password still works after rotate")
	}
	r := e.check(t)
	if !r.OK() {
		t.Fatalf("check after rotate:\n%s", reportText(t, r))
	}
	b, _ := json.Marshal(r)
	out.Write(b)
	out.WriteString(reportText(t, r))
	// A failing apply's error message.
	e.db.Exec(t, "DROP OWNED BY reporting; DROP ROLE reporting")
	_, err = apply.Apply(ctx, e.conn, e.want, apply.Options{Secrets: &apply.Secrets{Store: failingStore{e.secrets.Store}}})
	if err == nil {
		t.Fatal("apply with a broken store should fail")
	}
	out.WriteString(err.Error())

	serverLog := pgtest.LogSince(t, mark)
	stmts := strings.Join(e.db.Strings(t, "select query from pg_stat_statements"), "\n")
	if !strings.Contains(serverLog, "PASSWORD 'SCRAM-SHA-256$") {
		t.Fatal("the server log does not show the password statements: the leak check cannot work")
	}
	for _, pw := range []string{first.Secret.Password, second.Secret.Password} {
		for where, text := range map[string]string{"server log": serverLog, "pg_stat_statements": stmts, "our output": out.String()} {
			if strings.Contains(text, pw) {
				t.Errorf("a plaintext password appears in the %s", where)
			}
		}
	}
}

// failingStore reads but cannot write: apply must fail without leaking.
type failingStore struct{ credentials.Store }

func (f failingStore) Create(ctx context.Context, name string, s credentials.DBSecret) (credentials.Version, error) {
	return credentials.Version{}, os.ErrPermission
}

func (f failingStore) Get(ctx context.Context, name, stage string) (credentials.Version, error) {
	return credentials.Version{}, credentials.ErrNotFound
}

func TestRotateFinishesAnInterruptedRotation(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	e.apply(t)
	ctx := context.Background()
	// A rotation that crashed after the server took the new password but
	// before the secret promoted it.
	cur, _ := e.secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	next := cur.Secret
	next.Password = "PendingPassword0123456789abcdefXYZ"
	pending, err := e.secrets.Store.PutPending(ctx, "app/reporting", next)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := credentials.ScramVerifier(next.Password, nil)
	e.db.Exec(t, "ALTER ROLE reporting PASSWORD '"+v+"'")
	login := func(ctx context.Context, user, password string) error {
		return connect.Login(ctx, e.conn.Config(), user, password)
	}
	rot, err := apply.Rotate(ctx, e.conn, e.want, e.secrets, []string{"reporting"}, login, apply.Options{})
	if err != nil || len(rot) != 1 || rot[0].Outcome != "finished" {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	now, _ := e.secrets.Store.Get(ctx, "app/reporting", credentials.StageCurrent)
	if now.ID != pending.ID || login(ctx, "reporting", now.Secret.Password) != nil {
		t.Fatal("the secret and the server disagree after recovery")
	}
	if _, err := apply.Rotate(ctx, e.conn, e.want, e.secrets, []string{"app"}, login, apply.Options{}); err == nil {
		t.Fatal("rotating an IAM role should be refused")
	}
}

func TestCheckSkipsWhatAFailedLoginCannotProve(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	e.apply(t)
	e.db.Exec(t, "REVOKE CONNECT ON DATABASE app FROM reporting")
	text := reportText(t, e.check(t))
	for _, want := range []string{
		`FAIL  "reporting" logs in (auth password): permission denied for database "app"`,
		`SKIP  "reporting" has its settings: it could not log in`,
		`SKIP  "reporting" uses schema "app" as granted: it could not log in`,
		"check: 8 passed, 1 failed, 2 skipped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}

func TestCheckReadsNamedTables(t *testing.T) {
	e := setup(t, "../examples/app.yaml")
	b, _ := os.ReadFile("../examples/app.yaml")
	withAuditor := strings.Replace(string(b), "\npublic:", `
  auditor:
    auth: iam
    grants:
      - {schema: app, tables: [orders, missing_yet], privileges: [SELECT]}

public:`, 1)
	s, err := spec.Parse("t.yaml", []byte(withAuditor))
	if err != nil {
		t.Fatal(err)
	}
	e.want = s.Desired("app")
	e.apply(t)
	e.db.Exec(t, "SET ROLE migrator; CREATE TABLE app.orders (id int); RESET ROLE")
	e.apply(t)
	text := reportText(t, e.check(t))
	if !strings.Contains(text, `PASS  "auditor" reads its named tables in "app": orders`) {
		t.Fatalf("report:\n%s", text)
	}
	e.db.Exec(t, "REVOKE SELECT ON app.orders FROM auditor")
	text = reportText(t, e.check(t))
	if !strings.Contains(text, `FAIL  "auditor" reads its named tables in "app": orders: permission denied`) {
		t.Fatalf("report:\n%s", text)
	}
}
