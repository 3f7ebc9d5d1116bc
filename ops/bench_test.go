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

// The L layout of the bench (bench/scenario.go) in one process, for
// profiles of the whole run on a real server:
//
//	go test -run '^$' -bench NoOpL -benchtime 5x -memprofile mem.out ./ops
//	go tool pprof -sample_index=alloc_space -top ops.test mem.out
const benchRoles, benchSchemas, benchTables = 1000, 20, 50

// benchL arranges the L layout and applies its spec once.
func benchL(b *testing.B) (ops.Session, *spec.Spec, *pgtest.DB) {
	db := pgtest.Fresh(b)
	var setup, yaml strings.Builder
	setup.WriteString("CREATE ROLE owner;\n")
	yaml.WriteString("schemas:\n")
	access := make([]string, benchSchemas)
	for s := 1; s <= benchSchemas; s++ {
		fmt.Fprintf(&setup, "CREATE SCHEMA s%02d AUTHORIZATION owner;\nSET ROLE owner;\n", s)
		for t := 1; t <= benchTables; t++ {
			fmt.Fprintf(&setup, "CREATE TABLE s%02d.t%03d (id int);\n", s, t)
		}
		setup.WriteString("RESET ROLE;\n")
		fmt.Fprintf(&yaml, "  s%02d: {owner: owner}\n", s)
		access[s-1] = fmt.Sprintf("s%02d: readonly", s)
	}
	yaml.WriteString("roles:\n  owner: {}\n")
	for r := 1; r <= benchRoles; r++ {
		fmt.Fprintf(&yaml, "  u%04d: {login: true, access: {%s}}\n", r, strings.Join(access, ", "))
	}
	db.Exec(b, setup.String())
	sp, err := spec.Parse("l.yaml", []byte(yaml.String()))
	if err != nil {
		b.Fatal(err)
	}
	sess := session(b, db)
	if _, err := sess.Apply(context.Background(), sp, apply.Options{}); err != nil {
		b.Fatal(err)
	}
	return sess, sp, db
}

// BenchmarkNoOpL is a no-op apply at L: read the catalog, build the
// desired state, diff.
func BenchmarkNoOpL(b *testing.B) {
	sess, sp, _ := benchL(b)
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

// BenchmarkDriftRepairL revokes SELECT from 1% of the (role, table) pairs,
// as the bench does, then applies: the repair alone is timed.
func BenchmarkDriftRepairL(b *testing.B) {
	sess, sp, db := benchL(b)
	rng := rand.New(rand.NewPCG(42, 42))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		lost := map[string][]string{}
		for n := 0; n < benchRoles*benchSchemas*benchTables/100; n++ {
			t := fmt.Sprintf("s%02d.t%03d", rng.IntN(benchSchemas)+1, rng.IntN(benchTables)+1)
			lost[t] = append(lost[t], fmt.Sprintf("u%04d", rng.IntN(benchRoles)+1))
		}
		var revoke strings.Builder
		for t, roles := range lost {
			fmt.Fprintf(&revoke, "REVOKE SELECT ON %s FROM %s;\n", t, strings.Join(roles, ", "))
		}
		db.Exec(b, revoke.String())
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
