package connect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// foreignTimeouts are settings someone else may give the admin role that
// would end its idle session (14+), make it a member of every role it
// creates (16+) or end its transactions after 1 ms (17+).
func foreignTimeouts(t *testing.T, db *pgtest.DB) {
	major := pgtest.Server.Major
	if major >= 14 {
		db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET idle_session_timeout = 100")
	}
	if major >= 16 {
		db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET createrole_self_grant = 'set, inherit'")
	}
	if major >= 17 {
		db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET transaction_timeout = 1")
	}
}

// expectPinned fails unless the session's settings are the pinned ones.
func expectPinned(t *testing.T, ctx context.Context, show func(name string) string) {
	t.Helper()
	major := pgtest.Server.Major
	want := map[string]string{"search_path": catalog.SearchPath}
	if major >= 14 {
		want["idle_session_timeout"] = "0"
	}
	if major >= 16 {
		want["createrole_self_grant"] = ""
	}
	if major >= 17 {
		want["transaction_timeout"] = "0"
	}
	for name, v := range want {
		if got := show(name); got != v {
			t.Errorf("%s is %q, want %q", name, got, v)
		}
	}
}

// TestPinnedSettingsRideOnTheFirstStatement: the settings a start-up
// packet cannot carry on every major run before anything else, in the
// round trip of the inspection when it comes first (one round trip in
// all), in one of their own before any other first statement, and the
// session survives an idle gap longer than the idle_session_timeout
// someone set on the admin role.
func TestPinnedSettingsRideOnTheFirstStatement(t *testing.T) {
	db := pgtest.Fresh(t)
	foreignTimeouts(t, db)
	ctx := context.Background()
	deferred := 0
	if pgtest.Server.Major >= 16 {
		deferred = 1
	}
	for _, first := range []string{"inspection", "query"} {
		t.Run(first, func(t *testing.T) {
			var rt pgtest.RoundTrips
			conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN, Dial: rt.Dial})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			time.Sleep(300 * time.Millisecond) // longer than the idle_session_timeout set above
			rt.Take()
			show := func(name string) string {
				var v string
				if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
					t.Fatalf("show %s: %v", name, err)
				}
				return v
			}
			if first == "inspection" {
				if _, err := catalog.Inspect(ctx, conn, catalog.Scope{}); err != nil {
					t.Fatal(err)
				}
				if n := rt.Take(); n != 1 {
					t.Errorf("the inspection with the pinned settings took %d round trips, want 1", n)
				}
			} else {
				show("search_path")
				if n := rt.Take(); n != 1+deferred {
					t.Errorf("the first query took %d round trips, want %d", n, 1+deferred)
				}
			}
			expectPinned(t, ctx, show)
		})
	}
}

// TestDroppedStartupSettingsRunNothing: behind a pooler that drops the
// start-up settings, the search_path someone else gave the database
// (here a schema whose current_setting shadows pg_catalog's, counting its
// calls on a sequence, which a rollback does not undo) takes effect.
// Inspect must refuse such a session before the server runs any of its
// queries, not after reading their results.
func TestDroppedStartupSettingsRunNothing(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE SCHEMA evil")
	db.Exec(t, "CREATE SEQUENCE evil.ran")
	db.Exec(t, `CREATE FUNCTION evil.current_setting(text) RETURNS text LANGUAGE sql VOLATILE
		AS $$ SELECT pg_catalog.current_setting($1) WHERE pg_catalog.nextval('evil.ran') OPERATOR(pg_catalog.>) 0 $$`)
	db.Exec(t, "GRANT USAGE ON SCHEMA evil TO PUBLIC")
	db.Exec(t, "GRANT USAGE ON SEQUENCE evil.ran TO PUBLIC")
	db.Exec(t, "ALTER DATABASE app SET search_path = evil, pg_catalog")
	ctx := context.Background()
	conn := droppedStartupConn(t, db)
	_, err := catalog.Inspect(ctx, conn, catalog.Scope{})
	if err == nil || !strings.Contains(err.Error(), `search_path is "evil, pg_catalog"`) {
		t.Fatalf("Inspect on a session with search_path evil, pg_catalog: %v, want a refusal naming search_path", err)
	}
	if db.Bool(t, "SELECT is_called FROM evil.ran") {
		t.Fatal("a function in evil ran with the admin's rights before Inspect refused the session")
	}
}

// TestDroppedStartupSettingsActAsNoOtherRole: behind a pooler that drops
// the start-up settings, a database whose settings give the pinned
// search_path but also a role the admin is a member of would have the
// inspection (and all after it) act as that role: Inspect refuses.
func TestDroppedStartupSettingsActAsNoOtherRole(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE ROLE someone_else")
	db.Exec(t, "GRANT someone_else TO postgres")
	db.Exec(t, "ALTER DATABASE app SET search_path = pg_catalog, pg_temp")
	db.Exec(t, "ALTER DATABASE app SET role = someone_else")
	ctx := context.Background()
	conn := droppedStartupConn(t, db)
	snap, err := catalog.Inspect(ctx, conn, catalog.Scope{})
	if err == nil {
		t.Fatalf("Inspect read the catalog as %s", snap.Server.User)
	}
	if !strings.Contains(err.Error(), `role "someone_else"`) {
		t.Fatalf("the refusal does not name the role: %v", err)
	}
}

// droppedStartupConn connects as package connect would, but with the
// start-up settings a pooler that drops them passes on.
func droppedStartupConn(t *testing.T, db *pgtest.DB) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	cfg, err := connect.Config(connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	for k := range cfg.RuntimeParams {
		if k != "application_name" && k != "client_encoding" {
			delete(cfg.RuntimeParams, k)
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// TestFailedInspectionRunsThePinsAgain: an inspection whose batch fails on
// the server after the pinned settings at its head (here a schema name
// that is not UTF-8, refused when bound) takes them with it; they run again
// before the session's next statement.
func TestFailedInspectionRunsThePinsAgain(t *testing.T) {
	if pgtest.Server.Major < 16 {
		t.Skip("before PostgreSQL 16 no setting waits for the session's first statement")
	}
	db := pgtest.Fresh(t)
	foreignTimeouts(t, db)
	ctx := context.Background()
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := catalog.Inspect(ctx, conn, catalog.Scope{Schemas: []string{"\xff"}}); err == nil {
		t.Fatal("the inspection of a schema name that is not UTF-8 succeeded")
	}
	expectPinned(t, ctx, func(name string) string {
		var v string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			t.Fatalf("show %s: %v", name, err)
		}
		return v
	})
}
