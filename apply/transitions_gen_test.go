package apply_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// transitionRuns reads which seeds to run and how many specs each applies:
// ROLEKEEPER_TRANSITIONS_SEEDS ("1,2" or "1-200") and
// ROLEKEEPER_TRANSITIONS_STEPS; the defaults are the short run of make test.
func transitionRuns(t *testing.T) (seeds []uint64, steps int) {
	t.Helper()
	steps = 12
	if v := os.Getenv("ROLEKEEPER_TRANSITIONS_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("ROLEKEEPER_TRANSITIONS_STEPS=%q: want a positive number", v)
		}
		steps = n
	}
	list := os.Getenv("ROLEKEEPER_TRANSITIONS_SEEDS")
	if list == "" {
		list = "1-8"
	}
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(strings.TrimSpace(hi), 10, 64)
		}
		if err1 != nil || err2 != nil || b < a {
			t.Fatalf("ROLEKEEPER_TRANSITIONS_SEEDS=%q: want seeds like 1,2 or 1-200", list)
		}
		for s := a; s <= b; s++ {
			seeds = append(seeds, s)
		}
	}
	return seeds, steps
}

// TestGeneratedTransitions applies generated specs one after another to
// one database. After each: one apply converges (a plan changes nothing),
// a migration by each schema's owner needs nothing (a plan still changes
// nothing), and the catalog holds what the README promises the spec means.
// A failure prints the seed, the step and the specs.
func TestGeneratedTransitions(t *testing.T) {
	seeds, steps := transitionRuns(t)
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runGenerated(t, seed, steps, false) })
	}
}

// TestGeneratedTransitionsByDependencies runs a few seeds with the plan's
// tie-break reversed (plan.Options.TiesReversed): every change then runs
// as late or early as its dependencies allow, the other way round from the
// usual order, and every transition must still converge. It fails when the
// order rests on the kind rank rather than on what the changes declare
// they need.
func TestGeneratedTransitionsByDependencies(t *testing.T) {
	_, steps := transitionRuns(t)
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runGenerated(t, seed, steps, true) })
	}
}

func runGenerated(t *testing.T, seed uint64, steps int, tiesReversed bool) {
	db := pgtest.Fresh(t)
	ctx := context.Background()
	secrets := testSecrets(t)
	g := newGenerator(seed)
	conn := adminConn(t, db)
	prev := "(none)"
	for step := 1; step <= steps; step++ {
		saved := g.save()
		s := g.next()
		text := s.JSON()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("seed %d, step %d (rerun: ROLEKEEPER_TRANSITIONS_SEEDS=%d ROLEKEEPER_TRANSITIONS_STEPS=%d go test -run 'TestGeneratedTransitions' ./apply): %s\nspec:\n%s\nprevious spec:\n%s",
				seed, step, seed, step, fmt.Sprintf(format, args...), text, prev)
		}
		sp, err := spec.Parse("generated.json", []byte(text))
		if err != nil {
			fail("the generator wrote an invalid spec: %v", err)
		}
		want := sp.Desired("app")
		opts := plan.Options{Additive: sp.Additive(), TiesReversed: tiesReversed}
		// Where PostgreSQL makes a spec impossible for this database (a
		// membership loop with memberships the spec keeps), the plan must
		// say so and apply must change nothing; the next spec goes on.
		if p, err := apply.Plan(ctx, conn, want, opts); err == nil && len(p.Problems) > 0 && expectedProblems(p.Problems) {
			before := db.Fingerprint(t)
			if _, err := apply.Apply(ctx, conn, want, apply.Options{Plan: opts, Secrets: secrets}); err == nil {
				fail("apply ran a plan with problems:\n%s", planText(t, p))
			}
			if db.Fingerprint(t) != before {
				fail("apply refused a plan with problems and still changed the database")
			}
			t.Logf("seed %d, step %d: refused as expected: %s", seed, step, strings.Join(p.Problems, "; "))
			g.restore(saved)
			prev = text
			continue
		}
		if res, err := apply.Apply(ctx, conn, want, apply.Options{Plan: opts, Secrets: secrets}); err != nil {
			shown := ""
			if res != nil && res.Plan != nil {
				shown = "\nthe plan was:\n" + planText(t, res.Plan)
			}
			fail("apply: %v%s", err, shown)
		}
		p, err := apply.Plan(ctx, conn, want, opts)
		if err != nil {
			fail("plan: %v", err)
		}
		if !p.Empty() || len(p.Problems) > 0 {
			fail("one apply did not converge; the next plan is:\n%s", planText(t, p))
		}
		for _, name := range state.SortedKeys(s.schemas) {
			owner := db.Strings(t, "select pg_get_userbyid(nspowner)::text from pg_namespace where nspname = $1", name)[0]
			stmts := append([]string{"SET ROLE " + quoteIdent(owner)}, g.migration(name)...)
			if _, err := db.Super.Exec(ctx, strings.Join(append(stmts, "RESET ROLE"), "; ")); err != nil {
				db.Super.Exec(ctx, "RESET ROLE")
				fail("a migration by %q, the owner of schema %q: %v", owner, name, err)
			}
		}
		if p, err = apply.Plan(ctx, conn, want, opts); err != nil {
			fail("plan after the migration: %v", err)
		}
		if !p.Empty() || len(p.Problems) > 0 {
			fail("after a migration by the schema owners the plan is not empty:\n%s", planText(t, p))
		}
		if diffs := checkPromises(t, db, s); len(diffs) > 0 {
			fail("the catalog does not hold what the spec says:\n  %s", strings.Join(diffs, "\n  "))
		}
		prev = text
	}
}

// expectedProblems reports whether every problem is one a generated spec
// may rightly meet: a membership loop with a membership the spec keeps
// (additive mode, or a role the spec no longer manages).
func expectedProblems(problems []string) bool {
	for _, p := range problems {
		if !strings.Contains(p, "would close a membership loop") {
			return false
		}
	}
	return true
}
