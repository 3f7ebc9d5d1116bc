package connect_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/sandbox"
	"github.com/rolekeeper/rolekeeper/secretsmanager"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestEmbeddedRDSBundleHasTheRDSCAs(t *testing.T) {
	if n := connect.RDSCACount(); n < 100 {
		t.Fatalf("the embedded bundle holds %d certificates; expected the ~120 Amazon RDS CAs", n)
	}
	if _, err := connect.RDSCertPool(); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyFullTrustsOnlyTheRightCA(t *testing.T) {
	ctx := context.Background()
	sb, base := tlsSandbox(t)

	conn, err := connect.Connect(ctx, connect.Options{DSN: base + "&sslrootcert=" + sb.CAFile})
	if err != nil {
		t.Fatalf("verify-full with the sandbox's CA: %v", err)
	}
	var ssl bool
	if err := conn.QueryRow(ctx, "select ssl from pg_stat_ssl where pid = pg_backend_pid()").Scan(&ssl); err != nil || !ssl {
		t.Fatalf("the connection is not encrypted: %v", err)
	}
	conn.Close(ctx)

	other, err := sandbox.NewCA("some other CA")
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "wrong.pem")
	os.WriteFile(wrong, other.CertPEM, 0o600)
	if _, err := connect.Connect(ctx, connect.Options{DSN: base + "&sslrootcert=" + wrong}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verify-full with a wrong CA must fail on the certificate, got %v", err)
	}
	// No root certificate given: the embedded RDS CAs (and system roots)
	// are trusted, and they did not sign the sandbox.
	if _, err := connect.Connect(ctx, connect.Options{DSN: base}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("verify-full against the RDS bundle must reject the sandbox's certificate, got %v", err)
	}
	// PGSSLROOTCERT is honoured.
	t.Setenv("PGSSLROOTCERT", sb.CAFile)
	conn, err = connect.Connect(ctx, connect.Options{DSN: base})
	if err != nil {
		t.Fatalf("PGSSLROOTCERT: %v", err)
	}
	conn.Close(ctx)
}

func TestAdminSecretIsFetchedAgainAfterARotation(t *testing.T) {
	db := pgtest.Fresh(t)
	srv := awstest.New(t)
	// The secret first holds a stale password; RDS rotated it since.
	srv.PutSecret("rds!db-1", `{"username":"postgres","password":"stale-password"}`)
	gets := 0
	srv.BeforeGetSecret = func(s *awstest.Server, name string) {
		gets++
		if gets == 2 {
			s.PutSecret("rds!db-1", `{"username":"postgres","password":"`+pgtest.Server.MasterPassword+`"}`)
		}
	}
	dsn := strings.Replace(db.DSN, "postgres:"+pgtest.Server.MasterPassword+"@", "", 1)
	cfg := srv.Config()
	conn, err := connect.Connect(context.Background(), connect.Options{DSN: dsn,
		Admin: secretsmanager.AdminSecret{ID: "rds!db-1", AWS: func(context.Context) (aws.Config, error) { return cfg, nil }}})
	if err != nil {
		t.Fatalf("connect after a rotation: %v", err)
	}
	conn.Close(context.Background())
	if gets != 2 {
		t.Fatalf("the secret was read %d times, want 2 (once, and once more after the failure)", gets)
	}
}

func TestPasswordsWithURLCharactersWork(t *testing.T) {
	db := pgtest.Fresh(t)
	const pw = `p@ss/w?rd:%'#& "x"`
	v, _ := credentials.ScramVerifier(pw, nil)
	db.Exec(t, "CREATE ROLE odd LOGIN PASSWORD '"+v+"'")
	db.Exec(t, "GRANT CONNECT ON DATABASE app TO odd")
	srv := awstest.New(t)
	srv.PutSecret("odd", `{"username":"odd","password":"p@ss/w?rd:%'#& \"x\""}`)
	cfg := srv.Config()
	host := "host=127.0.0.1 port=" + strings.Split(strings.Split(db.DSN, "@127.0.0.1:")[1], "/")[0] + " dbname=app sslmode=disable"
	conn, err := connect.Connect(context.Background(), connect.Options{DSN: host,
		Admin: secretsmanager.AdminSecret{ID: "odd", AWS: func(context.Context) (aws.Config, error) { return cfg, nil }}})
	if err != nil {
		t.Fatalf("secret with URL characters: %v", err)
	}
	conn.Close(context.Background())
	t.Setenv("PGPASSWORD", pw)
	t.Setenv("PGUSER", "odd")
	conn, err = connect.Connect(context.Background(), connect.Options{DSN: host})
	if err != nil {
		t.Fatalf("PGPASSWORD with URL characters: %v", err)
	}
	conn.Close(context.Background())
}

func TestWrongPasswordErrorHasAHintAndNoSecret(t *testing.T) {
	db := pgtest.Fresh(t)
	dsn := strings.Replace(db.DSN, pgtest.Server.MasterPassword, "Wrong-Pa55word-XYZ", 1)
	_, err := connect.Connect(context.Background(), connect.Options{DSN: dsn})
	if err == nil || !strings.Contains(err.Error(), "check the user and password") || strings.Contains(err.Error(), "Wrong-Pa55word") {
		t.Fatalf("got %v", err)
	}
	_, err = connect.Connect(context.Background(), connect.Options{DSN: "postgres://u:Sekrit-Value@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), "Sekrit") {
		t.Fatalf("a malformed DSN's error must not show it: %v", err)
	}
}

func TestRetriesUntilTheServerIsBack(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.StopServer(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := make(chan error, 1)
	go func() {
		time.Sleep(1500 * time.Millisecond)
		restarted <- pgtest.Server.StartServer(ctx)
	}()
	var logs bytes.Buffer
	start := time.Now()
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN, RetryFor: 30 * time.Second, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if rerr := <-restarted; rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("no connection after the server came back: %v", err)
	}
	conn.Close(ctx)
	attempts := strings.Count(logs.String(), "connection attempt failed")
	if attempts < 1 || time.Since(start) < time.Second {
		t.Fatalf("expected logged retries while the server was down, got %d:\n%s", attempts, logs.String())
	}
	if strings.Contains(logs.String(), pgtest.Server.MasterPassword) {
		t.Fatal("a retry log line shows the password")
	}
}

func TestRetryBudgetRunsOutWithAClearMessage(t *testing.T) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	if err := pgtest.Server.StopServer(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := pgtest.Server.StartServer(ctx); err != nil {
			t.Fatal(err)
		}
	}()
	start := time.Now()
	_, err := connect.Connect(ctx, connect.Options{DSN: db.DSN, RetryFor: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "is the server reachable from here?") {
		t.Fatalf("got %v", err)
	}
	if waited := time.Since(start); waited < time.Second || waited > 10*time.Second {
		t.Fatalf("gave up after %s with a 2s budget", waited)
	}
}
