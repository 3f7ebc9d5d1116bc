package connect

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestOnlyWhatWaitingCanFixIsRetried classifies real failures: a refused
// connection (a closed port on loopback, as while an endpoint comes up)
// and the SQLSTATEs a server sends while it starts or is full are
// retried; a refused login, a permission error, a bad certificate and a
// name that does not resolve are not.
func TestOnlyWhatWaitingCanFixIsRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=x dbname=x sslmode=disable connect_timeout=2", port))
	if err != nil {
		t.Fatal(err)
	}
	_, refused := pgx.ConnectConfig(context.Background(), cfg)
	if refused == nil {
		t.Fatal("connected to a closed port")
	}
	pg := func(code string) error { return &pgconn.PgError{Code: code, Message: "from the server"} }
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused (real)", refused, true},
		{"the database system is starting up", pg(sqlstateCannotConnectNow), true},
		{"too many connections", pg(sqlstateTooManyConnections), true},
		{"terminating connection due to administrator command", pg(sqlstateAdminShutdown), true},
		{"password authentication failed", pg(sqlstateInvalidPassword), false},
		{"no pg_hba.conf entry", pg(sqlstateInvalidAuthorization), false},
		{"database does not exist", pg(sqlstateInvalidCatalogName), false},
		{"permission denied", pg("42501"), false},
		{"certificate signed by unknown authority", fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), false},
		{"no such host", &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}, false},
		{"temporary DNS failure", &net.DNSError{Err: "server misbehaving", Name: "db", IsTemporary: true}, true},
		{"something else", errors.New("unexpected"), false},
	}
	for _, c := range cases {
		if got := retryable(c.err); got != c.want {
			t.Errorf("%s: retryable = %v, want %v (%v)", c.name, got, c.want, c.err)
		}
	}
}
