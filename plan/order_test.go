package plan

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/state"
)

// shuffled returns the plan's changes in a random order (seeded: a
// failure reproduces).
func shuffled(p *Plan, seed uint64) []Change {
	cs := slices.Clone(p.Changes)
	r := rand.New(rand.NewPCG(seed, 17))
	r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
	return cs
}

func joined(cs []Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.SQL...)
	}
	return strings.Join(out, "\n")
}

// checkShuffled fails unless sorting the plan's changes again, from any
// order they were built in, gives the same plan: the order comes from the
// changes' dependencies and keys, never from the order the diff met them.
func checkShuffled(t *testing.T, p *Plan) {
	t.Helper()
	want := joined(p.Changes)
	for seed := range uint64(5) {
		cs := shuffled(p, seed)
		if loop := sortChanges(cs, byRankAndKey); loop != nil {
			t.Fatalf("shuffle %d: loop %q", seed, loop)
		}
		if got := joined(cs); got != want {
			t.Fatalf("shuffle %d sorts differently:\n%s\n--- plan:\n%s", seed, got, want)
		}
	}
}

// checkByDependencies sorts the plan's changes, shuffled, with the ties
// broken backwards, and fails unless want holds in order (the statements
// as in checkPlan).
func checkByDependencies(t *testing.T, p *Plan, want []string) {
	t.Helper()
	if len(p.Problems) > 0 {
		t.Fatalf("problems: %q", p.Problems)
	}
	for seed := range uint64(5) {
		cs := shuffled(p, seed)
		if loop := sortChanges(cs, reversedTies); loop != nil {
			t.Fatalf("loop: %q", loop)
		}
		checkPlan(t, &Plan{Changes: cs}, want, nil, nil)
	}
}

func TestOrderFromDependencies(t *testing.T) {
	for _, c := range []struct {
		diffCase
		// byDeps must hold in order whatever the tie-break.
		byDeps []string
	}{
		{
			diffCase: diffCase{
				name: "a reversed membership: the revoke breaks the loop the grant would close", major: 15,
				yaml: "roles: {lead: {member_of: [analyst]}, analyst: {}, x: {member_of: [y]}, y: {}}",
				setup: func(s *catalog.Snapshot) {
					addRole(s, "lead", false)
					addRole(s, "analyst", false).MemberOf["lead"] = state.Membership{}
					addRole(s, "x", false)
					addRole(s, "y", false).MemberOf["x"] = state.Membership{}
				},
				// by rank, every membership revoke runs before every grant
				want: []string{`REVOKE "lead" FROM "analyst"`, `REVOKE "x" FROM "y"`, `GRANT "analyst" TO "lead"`, `GRANT "y" TO "x"`},
			},
			byDeps: []string{`REVOKE "lead" FROM "analyst"`, `GRANT "analyst" TO "lead"`},
		},
		{
			diffCase: diffCase{
				name: "a three-role chain reversed: each grant waits for the revoke on its way back", major: 16,
				yaml: "roles: {a: {}, b: {member_of: [a]}, c: {member_of: [b]}}",
				setup: func(s *catalog.Snapshot) {
					addRole(s, "a", false).MemberOf["b"] = state.Membership{Grantors: []string{"postgres"}}
					addRole(s, "b", false).MemberOf["c"] = state.Membership{Grantors: []string{"postgres"}}
					addRole(s, "c", false)
					s.Server.AdminOf["a"], s.Server.AdminOf["b"], s.Server.AdminOf["c"] = true, true, true
				},
				want: []string{`REVOKE "b" FROM "a" GRANTED BY "postgres"`, `REVOKE "c" FROM "b" GRANTED BY "postgres"`, `GRANT "a" TO "b"`, `GRANT "b" TO "c"`},
			},
			// "b" in "a" closes a loop through "a" in "b"; "c" in "b"
			// through "b" in "c", and also through "a" in "b" once "b"
			// is in "a" (a → b → c … c in b): both revokes first.
			byDeps: []string{`REVOKE "b" FROM "a" GRANTED BY "postgres"`, `GRANT "a" TO "b"`},
		},
		{
			diffCase: diffCase{
				name: "a membership closing a loop through a role the plan drops waits for the drop", major: 15,
				yaml: "roles: {b: {member_of: [a]}, r: {state: absent}}",
				setup: func(s *catalog.Snapshot) {
					addRole(s, "a", false).MemberOf["r"] = state.Membership{} // a is not managed
					addRole(s, "r", false).MemberOf["b"] = state.Membership{}
					addRole(s, "b", false)
				},
				// a is in r, r is in b: GRANT a TO b fails until r is
				// gone (ordered by kinds alone, the grant ran first and
				// apply failed every time)
				want: []string{`DROP ROLE "r"`, `GRANT "a" TO "b"`},
			},
			byDeps: []string{`DROP ROLE "r"`, `GRANT "a" TO "b"`},
		},
		{
			diffCase: diffCase{
				name: "a dropped role with privileges granted by two owners: both owners' rights held around DROP OWNED", major: 16,
				yaml: "roles: {app: {state: absent}, o1: {}, o2: {}}",
				setup: func(s *catalog.Snapshot) {
					addRole(s, "app", true)
					addRole(s, "o1", false)
					addRole(s, "o2", false)
					s.Server.AdminOf["app"], s.Server.AdminOf["o1"], s.Server.AdminOf["o2"] = true, true, true
					s.Dropping = map[string]*catalog.Dropping{"app": {Grantors: []string{"o1", "o2"}}}
				},
				want: []string{`GRANT "app" TO "postgres"`, `GRANT "o1" TO "postgres"`, `GRANT "o2" TO "postgres"`,
					`DROP OWNED BY "app"`, `DROP ROLE "app"`, `REVOKE "o1" FROM "postgres"`, `REVOKE "o2" FROM "postgres"`},
			},
			byDeps: []string{`GRANT "o2" TO "postgres"`, `DROP OWNED BY "app"`, `DROP ROLE "app"`, `REVOKE "o1" FROM "postgres"`},
		},
		{
			diffCase: diffCase{
				name: "a schema moves to its new owner before its old owner is dropped", major: 15,
				yaml: "schemas: {s: {owner: new}}\nroles: {new: {}, reader: {access: {s: readonly}}, old: {state: absent}}",
				setup: func(s *catalog.Snapshot) {
					addRole(s, "new", false)
					addRole(s, "reader", false)
					addRole(s, "old", false)
					s.DB.Schemas["s"] = state.NewSchema("s", "old")
					s.Dropping = map[string]*catalog.Dropping{"old": {Schemas: []string{"s"}}}
				},
				want: []string{`ALTER SCHEMA "s" OWNER TO "new"`, `GRANT USAGE ON SCHEMA "s" TO "reader"`,
					`REASSIGN OWNED BY "old" TO "postgres"`, `DROP ROLE "old"`, `REVOKE "new" FROM "postgres"`},
				absent: []string{`ALTER SCHEMA "s" OWNER TO "postgres"`},
			},
			// as the new owner, once it owns the schema; the move acts as
			// the old owner, which must still exist
			byDeps: []string{`GRANT "old" TO "postgres"`, `ALTER SCHEMA "s" OWNER TO "new"`, `GRANT USAGE ON SCHEMA "s" TO "reader"`, `REVOKE "new" FROM "postgres"`},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			runDiffCases(t, []diffCase{c.diffCase})
			snap := snapshot(c.major)
			c.setup(snap)
			want, opts := desired(t, c.yaml)
			p := Diff(want, snap, opts)
			checkByDependencies(t, p, c.byDeps)
		})
	}
}

func TestOrderKeyComparesPartByPart(t *testing.T) {
	keys := []orderKey{
		nameKey("a"),
		key(names("a"), num(0)),
		key(names("a"), num(1), names("m")),
		key(names("a"), num(2)),
		nameKey("a", "b"),
		nameKey("a b"),
		nameKey("ab"),
		key(num(1)),
	}
	for i := range keys {
		for j := range keys {
			if got, want := keys[i].compare(keys[j]), cmp.Compare(i, j); got != want {
				t.Errorf("%v vs %v: %d, want %d", keys[i], keys[j], got, want)
			}
		}
	}
}

func TestDependencyLoopIsAProblemNotAPanic(t *testing.T) {
	cs := []Change{
		{Summary: "first", SQL: []string{"1"}, rank: rankCreateRole, order: nameKey("a"),
			deps: deps{needs: []resource{roleExists("b")}, provides: []resource{roleExists("a")}}},
		{Summary: "second", SQL: []string{"2"}, rank: rankCreateRole, order: nameKey("b"),
			deps: deps{needs: []resource{roleExists("a")}, provides: []resource{roleExists("b")}}},
		{Summary: "free", SQL: []string{"3"}, rank: rankDropRole, order: nameKey("c")},
	}
	loop := sortChanges(cs, byRankAndKey)
	if len(loop) != 2 || !strings.Contains(loop[0], `"first" before "second"`) && !strings.Contains(loop[0], `"second" before "first"`) {
		t.Fatalf("loop %q", loop)
	}
	if got := joined(cs); got != "3\n1\n2" {
		t.Fatalf("the free change first, then the loop by rank and key; got %q", got)
	}
	// Diff reports it as a problem, before anything runs.
	d := &differ{changes: cs}
	d.sortChanges()
	if len(d.problems) != 1 || !strings.Contains(d.problems[0], "depend on each other in a loop") {
		t.Fatalf("problems %q", d.problems)
	}
}
