package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// rotationSpec has an alternating-users role (web), a single-user one
// (reports), and the schema both read.
const rotationSpec = `
database: app
schemas: {app: {owner: migrator}}
roles:
  migrator: {login: false}
  web: {auth: password, password_secret: app/web, rotation: alternating, access: {app: readwrite}}
  reports: {auth: password, password_secret: app/reports, access: {app: readonly}}
`

// rotationEnv starts the function with rotationSpec and applies it, and
// gives the schema a table the users read.
func rotationEnv(t *testing.T) (*pgtest.DB, *awstest.Server, []string, *function) {
	t.Helper()
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	env := append(rdsEnv(t, aws), "ROLEKEEPER_SPEC="+rotationSpec)
	fn := startFunction(t, env)
	if out, errMsg := fn.invoke(t, `{"action": "apply"}`); errMsg != "" || out["applied"] != true {
		t.Fatalf("apply: %v %v\n%s", errMsg, out, fn.logs.String())
	}
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.items (id int); INSERT INTO app.items VALUES (1); RESET ROLE")
	return db, aws, env, fn
}

// step sends one rotation event as Secrets Manager does.
func step(t *testing.T, fn *function, secret, token, name string) (map[string]any, string) {
	t.Helper()
	return fn.invoke(t, fmt.Sprintf(`{"SecretId": %q, "ClientRequestToken": %q, "Step": %q}`, secret, token, name))
}

// rotate runs a whole rotation of secret, as Secrets Manager would.
func rotate(t *testing.T, fn *function, aws *awstest.Server, secret string) string {
	t.Helper()
	token := aws.StartRotation(t, secret)
	for _, s := range []string{"createSecret", "setSecret", "testSecret", "finishSecret"} {
		if out, errMsg := step(t, fn, secret, token, s); errMsg != "" {
			t.Fatalf("%s: %s %v\n%s", s, errMsg, out, fn.logs.String())
		}
	}
	return token
}

type dbSecret struct{ Username, Password string }

func secretAt(t *testing.T, aws *awstest.Server, name, stage string) dbSecret {
	t.Helper()
	raw, ok := aws.SecretValue(name, stage)
	if !ok {
		t.Fatalf("secret %s has no %s version", name, stage)
	}
	var s dbSecret
	if err := json.Unmarshal([]byte(raw), &s); err != nil || s.Password == "" {
		t.Fatalf("secret %s %s is not a database secret", name, stage)
	}
	return s
}

func login(db *pgtest.DB, s dbSecret) error {
	cfg, err := pgx.ParseConfig(pgtest.Server.DSN(db.Name))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = s.Username, s.Password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var n int
	return conn.QueryRow(ctx, "SELECT count(*) FROM app.items").Scan(&n)
}

// An application pool keeps opening connections with the secret's current
// value while Secrets Manager rotates it three times with alternating
// users: not one login or query fails, the username switches web ->
// web_clone -> web -> web_clone, AWSPREVIOUS keeps working until the next
// rotation, and the server only ever sees SCRAM verifiers.
func TestAlternatingRotationKeepsEveryLoginWorking(t *testing.T) {
	db, aws, _, fn := rotationEnv(t)
	mark := pgtest.LogMark(t)
	if !db.Bool(t, "select pg_has_role('web_clone', 'web', 'USAGE') and exists (select from pg_roles where rolname = 'web_clone' and rolcanlogin)") {
		t.Fatal("apply did not make web_clone, a login member of web")
	}

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5000; i++ { // bounded: the rotations end it far sooner
				select {
				case <-stop:
					return
				default:
				}
				raw, _ := aws.SecretValue("app/web", "AWSCURRENT")
				var s dbSecret
				json.Unmarshal([]byte(raw), &s)
				if err := login(db, s); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%s: %v", s.Username, err))
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	var users []string
	var passwords []string
	prev := secretAt(t, aws, "app/web", "AWSCURRENT")
	for range 3 {
		before := ok.Load()
		rotate(t, fn, aws, "app/web")
		// Let the pool connect with the new value before the next rotation.
		for deadline := time.Now().Add(5 * time.Second); ok.Load() < before+5 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		cur := secretAt(t, aws, "app/web", "AWSCURRENT")
		users = append(users, cur.Username)
		passwords = append(passwords, cur.Password)
		if got := secretAt(t, aws, "app/web", "AWSPREVIOUS"); got != prev {
			t.Fatalf("AWSPREVIOUS is not the version that was current before the rotation")
		}
		if err := login(db, prev); err != nil {
			t.Fatalf("the previous user %s stopped working right after the rotation: %v", prev.Username, err)
		}
		if _, pending := aws.SecretValue("app/web", "AWSPENDING"); pending {
			t.Fatal("AWSPENDING is left on a version after finishSecret")
		}
		prev = cur
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 15 {
		t.Fatalf("pool: %d logins ok, %d failed (first: %v)", ok.Load(), failed.Load(), firstErr.Load())
	}
	if strings.Join(users, ",") != "web_clone,web,web_clone" {
		t.Fatalf("the secret's username went %v, want web_clone,web,web_clone", users)
	}
	t.Logf("pool: %d logins during 3 alternating rotations, 0 failed", ok.Load())

	serverLog := pgtest.LogSince(t, mark)
	for _, pw := range passwords {
		if strings.Contains(serverLog, pw) || strings.Contains(fn.logs.String(), pw) {
			t.Fatal("a rotated password reached the server log or the function's log")
		}
	}
	alters := 0
	for _, s := range pgtest.Statements(t, mark, "postgres") {
		if strings.HasPrefix(strings.TrimPrefix(s, "statement: "), "ALTER ROLE") {
			alters++
			if !strings.Contains(s, "SCRAM-SHA-256$4096:") {
				t.Fatalf("a password reached the server as something other than a SCRAM verifier: %.60s", s)
			}
		}
	}
	if alters != 3 {
		t.Fatalf("want 3 ALTER ROLE ... PASSWORD statements (one per rotation), the server logged %d", alters)
	}
}

// Every step keyed by its token does nothing twice: createSecret retried
// keeps the pending value, setSecret retried after the function crashed
// (its work committed, its answer lost) finds the password already set,
// finishSecret retried after a failure half-way finds the version current.
// Single-user rotation: the old password stops working, the new one works.
func TestRotationStepsRetriedAfterACrashDoNothingTwice(t *testing.T) {
	db, aws, env, fn := rotationEnv(t)
	old := secretAt(t, aws, "app/reports", "AWSCURRENT")
	token := aws.StartRotation(t, "app/reports")

	mustStep := func(fn *function, name, outcome string) {
		t.Helper()
		out, errMsg := step(t, fn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/reports-AbCdEf", token, name)
		if errMsg != "" || out["outcome"] != outcome || out["role"] != "reports" {
			t.Fatalf("%s: want outcome %q, got %v %v\n%s", name, outcome, errMsg, out, fn.logs.String())
		}
	}
	mustStep(fn, "createSecret", "created")
	pending, _ := aws.VersionValue("app/reports", token)
	mustStep(fn, "createSecret", "already done")
	if again, _ := aws.VersionValue("app/reports", token); again != pending || pending == "" {
		t.Fatal("a retried createSecret changed the pending version")
	}

	mustStep(fn, "setSecret", "set")
	// The function crashes before Secrets Manager hears back: a new
	// instance gets the same step again.
	fn.cmd.Process.Kill()
	fn.cmd.Wait()
	fn = startFunction(t, env)
	mustStep(fn, "setSecret", "already done")
	mustStep(fn, "testSecret", "tested")
	if err := login(db, old); err != nil {
		t.Logf("single user: the old password stops working at setSecret (%v)", err)
	} else {
		t.Fatal("single-user rotation: the old password still works after setSecret")
	}

	// finishSecret fails after moving AWSCURRENT (the second call, and the
	// SDK's retries of it, fail).
	var updates atomic.Int64
	aws.Fail = func(op string, in map[string]any) string {
		if op == "UpdateSecretVersionStage" && updates.Add(1) >= 2 { // every retry of the second call fails too
			return "InternalServiceError"
		}
		return ""
	}
	if _, errMsg := step(t, fn, "app/reports", token, "finishSecret"); errMsg == "" {
		t.Fatal("finishSecret did not report the failed call")
	}
	aws.Fail = nil
	mustStep(fn, "finishSecret", "already done")
	stages := aws.Stages("app/reports")
	if !contains(stages[token], "AWSCURRENT") || !contains(stages[old.versionIn(t, aws)], "AWSPREVIOUS") {
		t.Fatalf("stages after finishing: %v", stages)
	}
	if err := login(db, secretAt(t, aws, "app/reports", "AWSCURRENT")); err != nil {
		t.Fatalf("the rotated password does not log in: %v", err)
	}
	// A step of a finished rotation, delivered late, changes nothing.
	mustStep(fn, "setSecret", "already done")
}

// versionIn finds the id of the version that holds this value.
func (s dbSecret) versionIn(t *testing.T, aws *awstest.Server) string {
	t.Helper()
	for id := range aws.Stages("app/reports") {
		raw, _ := aws.VersionValue("app/reports", id)
		var v dbSecret
		json.Unmarshal([]byte(raw), &v)
		if v == s {
			return id
		}
	}
	t.Fatal("no version holds the old value")
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The admin's own secret and a secret of a role the spec does not manage
// are refused, and nothing changes.
func TestRotationRefusesTheAdminsSecretAndUnmanagedSecrets(t *testing.T) {
	db, aws, _, fn := rotationEnv(t)
	aws.PutSecret("other/app", `{"username":"someone","password":"p"}`)
	before := db.Fingerprint(t)
	for secret, want := range map[string]string{
		"rds!db-0123": "admin's own secret",
		"other/app":   "not the password_secret of any auth: password role",
	} {
		token := aws.StartRotation(t, secret)
		current, _ := aws.SecretValue(secret, "AWSCURRENT")
		for _, s := range []string{"createSecret", "setSecret", "finishSecret"} {
			if _, errMsg := step(t, fn, secret, token, s); !strings.Contains(errMsg, want) {
				t.Fatalf("%s of %s: want a refusal naming %q, got %q", s, secret, want, errMsg)
			}
		}
		if now, _ := aws.SecretValue(secret, "AWSCURRENT"); now != current {
			t.Fatalf("refused rotation of %s changed the secret", secret)
		}
		if v, _ := aws.VersionValue(secret, token); v != "" {
			t.Fatalf("refused rotation of %s stored a pending value", secret)
		}
	}
	if db.Fingerprint(t) != before {
		t.Fatal("a refused rotation changed the database")
	}
	if strings.Contains(fn.logs.String(), pgtest.Server.MasterPassword) {
		t.Fatal("the admin password reached the log")
	}
}
