package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rolekeeper/rolekeeper/catalog"
	sessionpin "github.com/rolekeeper/rolekeeper/connect/pin"
)

// pinned are the settings of the admin session that change what a
// statement means or whether it runs. They are sent in the start-up
// packet, where they take precedence over ALTER DATABASE/ROLE ... SET made
// by anyone else. Settings that only a superuser may set
// (session_replication_role, log_*), or that only tune speed, are left out.
var pinned = map[string]string{
	// Only the system catalog, and the session's own temporary schema
	// last (then never searched for functions or operators): nothing a
	// database user creates can be found by name, so SQL may call
	// pg_catalog's functions and operators unqualified.
	"search_path":                         catalog.SearchPath,
	"role":                                "none", // ALTER ROLE admin SET role = x would act as x
	"default_transaction_read_only":       "off",
	"default_transaction_isolation":       "read committed",
	"default_transaction_deferrable":      "off",
	"statement_timeout":                   "0", // apply sets its own per transaction; the caller's deadline bounds the rest
	"lock_timeout":                        "0",
	"idle_in_transaction_session_timeout": "0",
	"row_security":                        "on",
	"check_function_bodies":               "on",
	"standard_conforming_strings":         "on", // literals are rendered with '' escaping only
	"client_encoding":                     "UTF8",
	"DateStyle":                           "ISO, MDY",
	"IntervalStyle":                       "postgres",
	"TimeZone":                            "UTC",
	"timezone_abbreviations":              "Default",
	"xmloption":                           "content",
	"bytea_output":                        "hex",
	"transform_null_equals":               "off",
	"array_nulls":                         "on",
	"quote_all_identifiers":               "off", // ACLs are read as text
	"exit_on_error":                       "off",
	"client_min_messages":                 "notice",
}

// pinnedIfKnown are pinned in the start-up packet too, but exist only
// from a major version on: a server that does not know one refuses the
// start-up packet, and the connection is opened again without them
// (PostgreSQL 13: one more connection attempt). idle_session_timeout
// cannot wait for the session's first statement: it acts on an idle
// session, before any statement.
var pinnedIfKnown = map[string]string{
	"idle_session_timeout": "0", // 14+
}

// pinnedLater are settings that exist only from a major version on and
// act only inside a transaction or on CREATE ROLE: they are set with the
// session's first statement, in its round trip (package pin), on the
// servers that have them. transaction_timeout comes first, so that a tiny
// one set by someone else cannot end that very statement.
var pinnedLater = []struct {
	major       int
	name, value string
}{
	{17, "transaction_timeout", "0"},
	{16, "createrole_self_grant", "''"}, // else the admin becomes a member of every role it creates
}

// pinLater returns the statements that set pinnedLater on a server of
// the given major version (none when there is nothing to set).
func pinLater(major int) []string {
	var sets []string
	for _, p := range pinnedLater {
		if major >= p.major {
			sets = append(sets, "SET "+p.name+" = "+p.value)
		}
	}
	return sets
}

// pin sets the admin session's environment on a connection configuration.
func pin(cfg *pgx.ConnConfig) {
	for k, v := range pinned {
		cfg.RuntimeParams[k] = v
	}
	for k, v := range pinnedIfKnown {
		cfg.RuntimeParams[k] = v
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgconn.PgConn) error {
		sessionpin.Set(c, pinLater(catalog.ServerMajor(c)))
		return nil
	}
	cfg.Tracer = sessionpin.Tracer{}
}

// unknownPinned reports a start-up packet refused for naming one of
// pinnedIfKnown, which the server does not have.
func unknownPinned(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != sqlstateUndefinedObject {
		return false
	}
	for k := range pinnedIfKnown {
		if strings.Contains(pgErr.Message, `"`+k+`"`) {
			return true
		}
	}
	return false
}

// withoutUnknownPinned leaves pinnedIfKnown out of cfg's start-up packet.
func withoutUnknownPinned(cfg *pgx.ConnConfig) {
	for k := range pinnedIfKnown {
		delete(cfg.RuntimeParams, k)
	}
}

// UserConfig returns base's connection (host, port, database, TLS) for
// another user, without the admin session's pinned settings: a user's
// session is to have the settings the database and the role give it.
func UserConfig(base *pgx.ConnConfig, user, password, application string) *pgx.ConnConfig {
	cfg := base.Copy()
	cfg.User, cfg.Password = user, password
	cfg.AfterConnect = nil
	cfg.Tracer = nil
	cfg.RuntimeParams = map[string]string{"application_name": application}
	return cfg
}

// Database opens a connection to another database of the same server
// with base's parameters (host, port, user, password, TLS, the admin
// session's pinned settings): a spec that declares several databases is
// worked on through one of these per database.
func Database(ctx context.Context, base *pgx.ConnConfig, database string) (*pgx.Conn, error) {
	cfg := base.Copy()
	cfg.Database = database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database %q as %s: %w", database, cfg.User, redact(err))
	}
	return conn, nil
}
