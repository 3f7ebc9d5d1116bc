package connect_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/sandbox"
)

// tlsSandbox starts a sandbox with TLS from its own CA, stopped when the
// test ends, and returns its verify-full DSN (host localhost, as its
// certificate names).
func tlsSandbox(t *testing.T) (*sandbox.Sandbox, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	sb, err := sandbox.Start(context.Background(), sandbox.Options{BinDir: pgtest.Server.BinDir, TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Stop() })
	return sb, strings.Replace(strings.Replace(sb.DSN(""), "sslmode=disable", "sslmode=verify-full", 1), "127.0.0.1", "localhost", 1)
}

// TestCertificateErrorsFailAtOnceNamingTheIssuer: with verify-full and a
// server whose CA is not trusted, Connect does not retry (a certificate
// does not get better by waiting), and its error names the issuer and how
// to supply the bundle; the bundle given as CABundle (ROLEKEEPER_CA_BUNDLE,
// --ca-bundle) is then trusted besides the embedded RDS CAs.
func TestCertificateErrorsFailAtOnceNamingTheIssuer(t *testing.T) {
	ctx := context.Background()
	sb, dsn := tlsSandbox(t)
	var err error

	var logs bytes.Buffer
	start := time.Now()
	_, err = connect.Connect(ctx, connect.Options{DSN: dsn, RetryFor: 20 * time.Second, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err == nil {
		t.Fatal("the sandbox's certificate was trusted without its CA")
	}
	for _, want := range []string{`issued by "CN=rolekeeper sandbox CA"`, "ROLEKEEPER_CA_BUNDLE", "--ca-bundle", "truststore.pki.rds.amazonaws.com"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(logs.String(), "retrying") || time.Since(start) > 5*time.Second {
		t.Fatalf("a certificate error was retried (%s):\n%s", time.Since(start), logs.String())
	}

	pem, err := os.ReadFile(sb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := connect.Connect(ctx, connect.Options{DSN: dsn, CABundle: pem})
	if err != nil {
		t.Fatalf("the CA bundle given was not trusted: %v", err)
	}
	conn.Close(ctx)

}

func TestUnknownHostFailsAtOnce(t *testing.T) {
	var logs bytes.Buffer
	start := time.Now()
	_, err := connect.Connect(context.Background(), connect.Options{DSN: "host=does-not-exist.invalid user=x dbname=x sslmode=disable",
		RetryFor: 20 * time.Second, Log: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err == nil || !strings.Contains(err.Error(), `"does-not-exist.invalid" does not resolve`) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(logs.String(), "retrying") || time.Since(start) > 5*time.Second {
		t.Fatalf("an unknown host was retried (%s):\n%s", time.Since(start), logs.String())
	}
}

func TestLoadCABundle(t *testing.T) {
	pem := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	if b, err := connect.LoadCABundle(pem); err != nil || string(b) != pem {
		t.Fatalf("PEM text: %q %v", b, err)
	}
	f := filepath.Join(t.TempDir(), "bundle.pem")
	os.WriteFile(f, []byte(pem), 0o600)
	if b, err := connect.LoadCABundle(f); err != nil || string(b) != pem {
		t.Fatalf("PEM file: %q %v", b, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	for _, v := range []string{bad, filepath.Join(t.TempDir(), "missing.pem")} {
		if _, err := connect.LoadCABundle(v); err == nil {
			t.Errorf("%s: accepted", v)
		}
	}
	if b, err := connect.LoadCABundle(""); b != nil || err != nil {
		t.Fatal("empty must be nothing")
	}
}

// TestTLSModesAsLibpq: on a real server whose CA nobody trusts,
// sslmode=require encrypts without verifying (libpq's meaning); verify-ca
// with the CA given checks the chain, not the name; verify-full with the
// CA given connects over TLS with the session pinned, also on PostgreSQL
// 13, where the connection is opened again without the settings it lacks
// (the second connection keeps TLS), and a wrong password there is
// refused without the password in the error.
func TestTLSModesAsLibpq(t *testing.T) {
	ctx := context.Background()
	sb, dsn := tlsSandbox(t)
	pem, err := os.ReadFile(sb.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	toSandbox := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", strconv.Itoa(sb.Port)))
	}
	encrypted := func(what string, conn *pgx.Conn) {
		t.Helper()
		defer conn.Close(ctx)
		var ssl bool
		var searchPath string
		if err := conn.QueryRow(ctx, "SELECT ssl, current_setting('search_path') FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &searchPath); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !ssl || searchPath != catalog.SearchPath {
			t.Errorf("%s: TLS %v, search_path %q", what, ssl, searchPath)
		}
	}

	conn, err := connect.Connect(ctx, connect.Options{DSN: strings.Replace(dsn, "sslmode=verify-full", "sslmode=require", 1)})
	if err != nil {
		t.Fatalf("sslmode=require verified the certificate: %v", err)
	}
	encrypted("require", conn)

	otherName := strings.Replace(strings.Replace(dsn, "sslmode=verify-full", "sslmode=verify-ca", 1), "localhost", "[::1]", 1)
	if conn, err = connect.Connect(ctx, connect.Options{DSN: otherName, CABundle: pem, Dial: toSandbox}); err != nil {
		t.Fatalf("verify-ca checked the name: %v", err)
	}
	encrypted("verify-ca", conn)
	if _, err = connect.Connect(ctx, connect.Options{DSN: otherName, Dial: toSandbox}); err == nil {
		t.Fatal("verify-ca accepted a CA nobody trusts")
	}

	if conn, err = connect.Connect(ctx, connect.Options{DSN: dsn, CABundle: pem}); err != nil {
		t.Fatalf("verify-full with the CA given: %v", err)
	}
	encrypted("verify-full", conn)

	wrong := "Wr0ng-pass!word"
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(dsn, url.UserPassword(cfg.User, cfg.Password).String(), url.UserPassword(cfg.User, wrong).String(), 1)
	if bad == dsn {
		t.Fatal("could not replace the password in the DSN")
	}
	_, err = connect.Connect(ctx, connect.Options{DSN: bad, CABundle: pem})
	if err == nil || strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), url.QueryEscape(wrong)) {
		t.Fatalf("a wrong password: %v", err)
	}
}
