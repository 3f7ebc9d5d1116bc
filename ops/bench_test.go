package ops_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/spec"
)

// The L and XL layouts of the bench (bench/scenario.go) in one process,
// for profiles of the whole run on a real server:
//
//	go test -run '^$' -bench NoOpL -benchtime 5x -memprofile mem.out ./ops
//	go tool pprof -sample_index=alloc_space -top ops.test mem.out
type benchLayout struct{ roles, schemas, tables int }

var (
	layoutL  = benchLayout{1000, 20, 50}
	layoutXL = benchLayout{50, 200, 100}
)

// benchSetUp arranges a layout in the state its spec asks for, one
// schema per transaction (XL's 20,000 tables exceed the lock table in one),
// and checks that applying the spec changes nothing.
func benchSetUp(b *testing.B, l benchLayout) (ops.Session, *spec.Spec, *pgtest.DB) {
	db := pgtest.Fresh(b)
	var yaml strings.Builder
	roles := make([]string, l.roles)
	for r := range roles {
		roles[r] = fmt.Sprintf("u%04d", r+1)
	}
	all := strings.Join(roles, ", ")
	db.Exec(b, "CREATE ROLE owner; CREATE ROLE "+strings.Join(roles, " LOGIN; CREATE ROLE ")+" LOGIN; GRANT CONNECT ON DATABASE app TO "+all)
	yaml.WriteString("schemas:\n")
	access := make([]string, l.schemas)
	for s := 1; s <= l.schemas; s++ {
		var setup strings.Builder
		fmt.Fprintf(&setup, "CREATE SCHEMA s%02d AUTHORIZATION owner; SET ROLE owner;\n", s)
		for t := 1; t <= l.tables; t++ {
			fmt.Fprintf(&setup, "CREATE TABLE s%02d.t%03d (id int);\n", s, t)
		}
		fmt.Fprintf(&setup, "RESET ROLE; GRANT USAGE ON SCHEMA s%02d TO %s; GRANT SELECT ON ALL TABLES IN SCHEMA s%02d TO %s;\n", s, all, s, all)
		fmt.Fprintf(&setup, "ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA s%02d GRANT SELECT ON TABLES TO %s;\n", s, all)
		fmt.Fprintf(&setup, "ALTER DEFAULT PRIVILEGES FOR ROLE owner IN SCHEMA s%02d GRANT SELECT ON SEQUENCES TO %s;\n", s, all)
		db.Exec(b, setup.String())
		fmt.Fprintf(&yaml, "  s%02d: {owner: owner}\n", s)
		access[s-1] = fmt.Sprintf("s%02d: readonly", s)
	}
	yaml.WriteString("roles:\n  owner: {}\n")
	for _, r := range roles {
		fmt.Fprintf(&yaml, "  %s: {login: true, access: {%s}}\n", r, strings.Join(access, ", "))
	}
	sp, err := spec.Parse("bench.yaml", []byte(yaml.String()))
	if err != nil {
		b.Fatal(err)
	}
	sess := session(b, db)
	if res, err := sess.Apply(context.Background(), sp, apply.Options{}); err != nil {
		b.Fatal(err)
	} else if !res.Plan.Empty() {
		b.Fatalf("the arranged state is not the spec's: %d changes, first %s", len(res.Plan.Changes), res.Plan.Changes[0].Summary)
	}
	return sess, sp, db
}

// BenchmarkNoOpL is a no-op apply at L: read the catalog, build the
// desired state, diff.
func BenchmarkNoOpL(b *testing.B) { benchNoOp(b, layoutL) }

// BenchmarkNoOpXL is a no-op apply at XL.
func BenchmarkNoOpXL(b *testing.B) { benchNoOp(b, layoutXL) }

func benchNoOp(b *testing.B, l benchLayout) {
	sess, sp, _ := benchSetUp(b, l)
	timeNoOps(b, sess, sp)
}

// timeNoOps times b.N no-op applies of sp, failing if one plans a change.
func timeNoOps(b *testing.B, sess ops.Session, sp *spec.Spec) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := sess.Apply(context.Background(), sp, apply.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !res.Plan.Empty() {
			b.Fatalf("no-op apply planned %d changes", len(res.Plan.Changes))
		}
	}
}

// driftL revokes SELECT from 1% of the (role, table) pairs of layout L by
// hand, as the bench does.
func driftL(b *testing.B, db *pgtest.DB, rng *rand.Rand) {
	lost := map[string][]string{}
	l := layoutL
	for n := 0; n < l.roles*l.schemas*l.tables/100; n++ {
		t := fmt.Sprintf("s%02d.t%03d", rng.IntN(l.schemas)+1, rng.IntN(l.tables)+1)
		lost[t] = append(lost[t], fmt.Sprintf("u%04d", rng.IntN(l.roles)+1))
	}
	var revoke strings.Builder
	for t, roles := range lost {
		fmt.Fprintf(&revoke, "REVOKE SELECT ON %s FROM %s;\n", t, strings.Join(roles, ", "))
	}
	db.Exec(b, revoke.String())
}

// BenchmarkNoOpAfterRepairL is a no-op apply at L after a drift repair,
// whose per-table grants leave each table's ACL in an order of its own
// (as in a database whose grants were made by hand over time): the server
// sends every table's ACL, rather than one per schema.
func BenchmarkNoOpAfterRepairL(b *testing.B) {
	sess, sp, db := benchSetUp(b, layoutL)
	driftL(b, db, rand.New(rand.NewPCG(42, 42)))
	if res, err := sess.Apply(context.Background(), sp, apply.Options{}); err != nil || res.Plan.Empty() {
		b.Fatalf("the repair: %v", err)
	}
	timeNoOps(b, sess, sp)
}

// BenchmarkDriftRepairL revokes SELECT from 1% of the (role, table) pairs,
// as the bench does, then applies: the repair alone is timed.
func BenchmarkDriftRepairL(b *testing.B) {
	sess, sp, db := benchSetUp(b, layoutL)
	rng := rand.New(rand.NewPCG(42, 42))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		driftL(b, db, rng)
		b.StartTimer()
		res, err := sess.Apply(context.Background(), sp, apply.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Plan.Empty() {
			b.Fatal("the repair planned nothing")
		}
	}
}
