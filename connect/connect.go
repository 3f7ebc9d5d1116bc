// Package connect opens the admin connection rolekeeper works through,
// from a DSN or the libpq PG* environment variables.
package connect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Options say where to connect.
type Options struct {
	// DSN is a libpq connection string or URL; empty: the PG* variables.
	DSN string
	// Database overrides the DSN's database (the spec's `database`).
	Database string
	// ConnectTimeout bounds one connection attempt (default 10s).
	ConnectTimeout time.Duration
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
	return cfg, nil
}

// Connect opens the admin connection.
func Connect(ctx context.Context, opts Options) (*pgx.Conn, error) {
	cfg, err := Config(opts)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s as %s (database %s): %w%s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), cfg.User, cfg.Database, redact(err), hint(err))
	}
	return conn, nil
}

// hint adds what to do for the common failures.
func hint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return " (check the user and password: --dsn, PGUSER/PGPASSWORD, or the secret)"
		case "3D000":
			return " (the database does not exist: check `database` in the spec or PGDATABASE)"
		}
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
