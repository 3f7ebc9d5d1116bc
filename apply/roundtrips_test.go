package apply_test

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestNoOpApplyIsThreeRoundTripsAndKeepsThePins: a no-op apply on a fresh
// admin session is one round trip for the pinned settings, the
// transaction and the lock, one for the inspection, one for the
// rollback; the rollback takes the pinned settings with it, so they run
// again before the session's next statement.
func TestNoOpApplyIsThreeRoundTripsAndKeepsThePins(t *testing.T) {
	db := pgtest.Fresh(t)
	if pgtest.Server.Major >= 16 {
		db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET createrole_self_grant = 'set, inherit'")
	}
	s := mustSpec(t, `database: app
schemas: {app: {owner: migrator}}
roles:
  migrator: {auth: iam}
  app: {auth: iam, access: {app: readwrite}}
`)
	doApply(t, db, s)
	ctx := context.Background()
	var rt pgtest.RoundTrips
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN, Dial: rt.Dial})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rt.Take()
	res, err := apply.Apply(ctx, conn, desired(s), apply.Options{Secrets: testSecrets(t)})
	if err != nil || res.Committed || res.Statements > 0 {
		t.Fatalf("the second apply was not a no-op: %v", err)
	}
	if n := rt.Take(); n != 3 {
		t.Errorf("the no-op apply took %d round trips, want 3", n)
	}
	if pgtest.Server.Major >= 16 {
		var v string
		if err := conn.QueryRow(ctx, "SHOW createrole_self_grant").Scan(&v); err != nil || v != "" {
			t.Errorf("after the rollback, createrole_self_grant is %q (%v), want ''", v, err)
		}
	}
}
