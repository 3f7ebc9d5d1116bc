package ops_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
)

// TestSeveralDatabasesConcurrentApplies: two runs of one multi-database
// spec at the same time (two deployments, or a retried invocation beside
// the first), sharing one secret store. Each database's transaction takes
// that database's lock and plans again under it, so both runs succeed,
// each database is applied by exactly one of them (the other finds
// nothing to do), the password user logs in with the password its secret
// holds, and the next plan is empty.
func TestSeveralDatabasesConcurrentApplies(t *testing.T) {
	ctx := context.Background()
	db := pgtest.Fresh(t)
	secondDatabase(t, hostileDB)
	sp := mustParse(t, twoDatabasesSpec)
	runs := []ops.Session{session(t, db), session(t, db)}
	runs[1].Store = runs[0].Store

	var wg sync.WaitGroup
	results := make([]*plan.Multi, len(runs))
	errs := make([]error, len(runs))
	for i, s := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.ApplyDatabases(ctx, sp, apply.Options{})
		}()
	}
	wg.Wait()
	applied := map[string]int{}
	for i := range runs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		for _, d := range results[i].Databases {
			if d.Outcome == plan.OutcomeApplied {
				applied[d.Database]++
			}
		}
	}
	if applied["app"] != 1 || applied[hostileDB] != 1 {
		t.Fatalf("each database must be applied by exactly one run: %v", applied)
	}
	if m, err := runs[0].PlanDatabases(ctx, sp); err != nil || !m.Empty() {
		t.Fatalf("not converged: %v", err)
	}

	v, err := runs[0].Store.Get(ctx, "rolekeeper/app/analyst", credentials.StageCurrent)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(db.DSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password = "analyst", v.Secret.Password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("the analyst cannot log in with its secret's password: %v", err)
	}
	conn.Close(ctx)
}
