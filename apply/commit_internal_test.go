package apply

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestFailedCommitRunsThePinsAgain: a COMMIT that fails (here a deferred
// unique constraint) rolls back the transaction that carried the session's
// pinned settings; they run again before the next statement (rotate goes
// on to its next user on the same session), so the createrole_self_grant
// someone gave the admin role does not come back.
func TestFailedCommitRunsThePinsAgain(t *testing.T) {
	if pgtest.Server.Major < 16 {
		t.Skip("before PostgreSQL 16 no setting waits for the session's first statement")
	}
	db := pgtest.Fresh(t)
	db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET createrole_self_grant = 'set, inherit'")
	ctx := context.Background()
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var opts Options
	opts.defaults()
	if err := begin(ctx, conn, opts); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.PgConn().Exec(ctx, "CREATE TEMP TABLE t (id int UNIQUE DEFERRABLE INITIALLY DEFERRED); INSERT INTO t VALUES (1), (1)").ReadAll(); err != nil {
		t.Fatal(err)
	}
	if err := commit(ctx, conn); err == nil {
		t.Fatal("the commit of a duplicate key under a deferred unique constraint succeeded")
	}
	var v string
	if err := conn.QueryRow(ctx, "SHOW createrole_self_grant").Scan(&v); err != nil || v != "" {
		t.Fatalf("after a failed commit, createrole_self_grant is %q (%v), want ''", v, err)
	}
}
