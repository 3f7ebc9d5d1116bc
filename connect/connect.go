// Package connect opens the admin connection rolekeeper works through:
// from a DSN or the libpq PG* environment variables, with the password from
// a secret, a parameter or an IAM token, TLS verified against the Amazon
// RDS CAs, and retries long enough for a cluster that is resuming.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// Options say where and how to connect.
type Options struct {
	// DSN is a libpq connection string or URL; empty: the PG* variables.
	DSN string
	// Database overrides the DSN's database (the spec's `database`).
	Database string
	// Admin is where the password comes from; nil: the DSN or PGPASSWORD.
	Admin credentials.AdminSource
	// ConnectTimeout bounds one attempt (default 10s).
	ConnectTimeout time.Duration
	// RetryFor keeps retrying failed attempts (not authentication
	// failures) with backoff for this long; 0 tries once.
	RetryFor time.Duration
	// Log receives one line per failed attempt (nil: none).
	Log *slog.Logger
	// CABundle is PEM certificates trusted besides the system roots and the
	// embedded Amazon RDS CAs (--ca-bundle, ROLEKEEPER_CA_BUNDLE, the
	// Terraform module's ca_bundle_pem), for CAs the embedded bundle lacks.
	CABundle []byte
	// Dial opens the network connection (nil: pgx's own); tests count
	// round trips with it.
	Dial pgconn.DialFunc
}

// Config builds the connection configuration. Passwords are set on the
// configuration, never spliced into a URL, so any character works.
func Config(opts Options) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(opts.DSN)
	if err != nil {
		return nil, fmt.Errorf("read connection settings: %w", redact(err))
	}
	if opts.Database != "" {
		cfg.Database = opts.Database
	}
	if opts.ConnectTimeout == 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	cfg.ConnectTimeout = opts.ConnectTimeout
	// One round trip per query or batch, no server-side prepared statements
	// (safe behind poolers such as RDS Proxy).
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "rolekeeper"
	if opts.Dial != nil {
		cfg.DialFunc = opts.Dial
	}
	pin(cfg)
	if !rootCertGiven(opts.DSN) {
		if err := useRDSRoots(tlsConfigs(cfg.Fallbacks, cfg.TLSConfig), opts.CABundle); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func rootCertGiven(dsn string) bool {
	return os.Getenv("PGSSLROOTCERT") != "" || strings.Contains(dsn, "sslrootcert")
}

func userGiven(dsn string) bool {
	if os.Getenv("PGUSER") != "" {
		return true
	}
	if strings.Contains(dsn, "://") {
		return strings.Contains(dsn, "@") || strings.Contains(dsn, "user=")
	}
	return strings.Contains(dsn, "user=")
}

// Connect opens the admin connection. With a secret or parameter as the
// password source, an authentication failure fetches it once more (RDS
// rotates its managed master secret) before giving up.
func Connect(ctx context.Context, opts Options) (*pgx.Conn, error) {
	cfg, err := Config(opts)
	if err != nil {
		return nil, err
	}
	if opts.Admin != nil && opts.Admin.RequiresTLS() && cfg.TLSConfig == nil {
		return nil, errors.New("IAM authentication needs TLS: set PGSSLMODE=require (or verify-full)")
	}
	if opts.Admin != nil {
		if err := fetchCredential(ctx, cfg, opts); err != nil {
			return nil, err
		}
	}
	// pgx builds its default type map (a few hundred microseconds, once per
	// process) when the connection is up; build it now, on the other core,
	// while the server forks and authenticates.
	go pgtype.NewMap()
	conn, err := connectRetrying(ctx, cfg, opts)
	if err != nil && isAuthFailure(err) && opts.Admin != nil && opts.Admin.Refetchable() {
		if opts.Log != nil {
			opts.Log.Info("authentication failed; fetching the admin credential again (it may have been rotated)")
		}
		if ferr := fetchCredential(ctx, cfg, opts); ferr != nil {
			return nil, ferr
		}
		conn, err = connectRetrying(ctx, cfg, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s as %s (database %s): %w%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.User, cfg.Database, redact(err), hint(err, cfg.Host))
	}
	return conn, nil
}

func fetchCredential(ctx context.Context, cfg *pgx.ConnConfig, opts Options) error {
	c, err := opts.Admin.Fetch(ctx, cfg.Host, cfg.Port, cfg.User)
	if err != nil {
		return err
	}
	if c.User != "" && !userGiven(opts.DSN) {
		cfg.User = c.User
	}
	cfg.Password = c.Password
	return nil
}

// connectRetrying tries until an attempt succeeds, fails for a reason a
// retry cannot fix, or opts.RetryFor has passed.
func connectRetrying(ctx context.Context, cfg *pgx.ConnConfig, opts Options) (*pgx.Conn, error) {
	deadline := time.Now().Add(opts.RetryFor)
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil && unknownPinned(err) {
			withoutUnknownPinned(cfg)
			conn, err = pgx.ConnectConfig(ctx, cfg)
		}
		if err == nil {
			return conn, nil
		}
		if !retryable(err) || time.Now().Add(backoff).After(deadline) || ctx.Err() != nil {
			return nil, err
		}
		if opts.Log != nil {
			opts.Log.Warn("connection attempt failed; retrying", "attempt", attempt, "wait", backoff.String(), "error", redact(err).Error())
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		backoff = min(backoff*2, 8*time.Second)
	}
}

// SQLSTATEs of a server that may take connections soon: starting up,
// shutting down or restarting (Aurora Serverless resuming, a failover),
// out of connection slots, or a connection cut while it was made.
const (
	sqlstateCannotConnectNow     = "57P03"
	sqlstateAdminShutdown        = "57P01"
	sqlstateCrashShutdown        = "57P02"
	sqlstateTooManyConnections   = "53300"
	sqlstateConnectionFailure    = "08006"
	sqlstateUnableToConnect      = "08001"
	sqlstateConnectionRejected   = "08004"
	sqlstateInvalidAuthorization = "28000"
	sqlstateInvalidPassword      = "28P01"
	sqlstateInvalidCatalogName   = "3D000"
	sqlstateUndefinedObject      = "42704" // also: unrecognized configuration parameter
)

// retryable reports failures that may pass by waiting, and only those: a
// server starting up, shutting down or out of connections (the SQLSTATEs
// above); a connection refused, reset or unreachable while the endpoint
// comes up; a timeout (pgconn.Timeout); or a failure pgconn knows was
// before anything was sent (pgconn.SafeToRetry). A certificate that does
// not verify, a name that does not resolve, a refused login or anything
// else fails at once, with the reason.
func retryable(err error) bool {
	if isAuthFailure(err) || certificateError(err) != nil || dnsNotFound(err) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case sqlstateCannotConnectNow, sqlstateAdminShutdown, sqlstateCrashShutdown, sqlstateTooManyConnections,
			sqlstateConnectionFailure, sqlstateUnableToConnect, sqlstateConnectionRejected:
			return true
		}
		return false
	}
	switch {
	case pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ETIMEDOUT):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the server closed the connection during start-up
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

func isAuthFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == sqlstateInvalidPassword || pgErr.Code == sqlstateInvalidAuthorization)
}

// certificateError returns the TLS verification failure in err, if any.
func certificateError(err error) error {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return unknown
	case errors.As(err, &host):
		return host
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &verify):
		return verify
	}
	return nil
}

// dnsNotFound reports a host name that does not exist (not a temporary
// resolver failure, which is retried).
func dnsNotFound(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// hint adds what to do for the common failures.
func hint(err error, host string) string {
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		issuer := "an unknown issuer"
		if unknown.Cert != nil {
			issuer = fmt.Sprintf("%q", unknown.Cert.Issuer.String())
		}
		return fmt.Sprintf(" (the server's certificate is issued by %s, which neither the system roots nor the %d Amazon RDS CAs embedded in rolekeeper trust;"+
			" supply that CA's bundle with --ca-bundle FILE, ROLEKEEPER_CA_BUNDLE (PEM text or a file), PGSSLROOTCERT, or the Terraform module's ca_bundle_pem;"+
			" for RDS, download it from https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem)", issuer, RDSCACount())
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		return fmt.Sprintf(" (the certificate does not name %q: connect to the endpoint RDS gives, not an alias or IP address, or use sslmode=verify-ca)", host)
	}
	if certificateError(err) != nil {
		return " (the server's certificate does not verify; check the CA bundle and the server's clock)"
	}
	if dnsNotFound(err) {
		return fmt.Sprintf(" (the host name %q does not resolve: check PGHOST/DB_HOST, and that the function's VPC resolves it)", host)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case sqlstateInvalidPassword, sqlstateInvalidAuthorization:
			return " (check the user and password: --dsn, PGUSER/PGPASSWORD, or the admin secret)"
		case sqlstateInvalidCatalogName:
			return " (the database does not exist: check `database` in the spec or PGDATABASE)"
		}
		return ""
	}
	return " (is the server reachable from here? check PGHOST/PGPORT or --dsn)"
}

// redact removes a password from connection errors: pgx's parse errors may
// quote the connection string.
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string (not shown, since it may hold a password)")
	}
	return err
}

// Login tries to log in as user with password, with everything else as in
// base (host, port, database, TLS), and closes the connection. check and
// rotate use it to prove a user's credential.
func Login(ctx context.Context, base *pgx.ConnConfig, user, password string) error {
	c, err := pgx.ConnectConfig(ctx, UserConfig(base, user, password, "rolekeeper"))
	if err != nil {
		return err
	}
	return c.Close(ctx)
}
