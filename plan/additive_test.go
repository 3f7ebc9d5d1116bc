package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/state"
)

// TestAdditiveIsAFilter checks that additive mode is the authoritative plan
// minus the removals the spec does not ask for explicitly, and that a
// temporary membership needed only by a removed change goes with it.
func TestAdditiveIsAFilter(t *testing.T) {
	want, _ := desired(t, `
schemas: {s: {owner: o}, t: {owner: p}}
roles: {o: {}, p: {}, a: {access: {s: readonly}}, b: {}}
public: {temporary: false}`)
	snap := snapshot(15)
	addRole(snap, "p", false)
	addRole(snap, "b", false)
	snap.Roles["pg_monitor"] = &state.Role{Name: "pg_monitor", MemberOf: map[string]state.Membership{}}
	sc := addDrift(snap)
	sc.Columns = []*state.ColumnGrant{{Table: "t1", Owner: "o", Grantee: "a", Grantor: "o", Privilege: "UPDATE", Columns: []string{"v"}}}
	// Only a revoke acts as "p": revoking USAGE on t, which b may not have.
	tc := state.NewSchema("t", "p")
	tc.Privileges.Add("b", "USAGE")
	snap.DB.Schemas["t"] = tc

	auth := Diff(want, snap, Options{})
	add := Diff(want, snap, Options{Additive: true})
	if len(auth.Problems)+len(add.Problems) > 0 {
		t.Fatalf("problems: %q, %q", auth.Problems, add.Problems)
	}

	var expect, dropped []string
	for _, c := range auth.Changes {
		switch {
		case c.Action == ActionTemporary:
		case c.removal && !c.explicit:
			dropped = append(dropped, strings.Join(c.SQL, "; "))
		default:
			expect = append(expect, strings.Join(c.SQL, "; "))
		}
	}
	var got []string
	for _, c := range add.Changes {
		if c.Action != ActionTemporary {
			got = append(got, strings.Join(c.SQL, "; "))
		}
	}
	if !slices.Equal(got, expect) {
		t.Errorf("additive plan is not the authoritative plan minus its removals:\nadditive:\n%s\nexpected:\n%s", strings.Join(got, "\n"), strings.Join(expect, "\n"))
	}
	for _, s := range []string{`REVOKE CREATE ON SCHEMA "s" FROM "a"`, `REVOKE INSERT ON ALL TABLES IN SCHEMA "s" FROM "a"`,
		`RESET "work_mem"`, `REVOKE "pg_monitor" FROM "a"`, `REVOKE USAGE ON SCHEMA "t" FROM "b"`,
		`REVOKE UPDATE ("v") ON TABLE "s"."t1" FROM "a"`} {
		if !strings.Contains(strings.Join(dropped, "\n"), s) {
			t.Errorf("the filter did not remove %s; removed:\n%s", s, strings.Join(dropped, "\n"))
		}
	}
	// What additive mode leaves is listed as outside the spec instead.
	if len(auth.Outside) != 0 || len(add.Outside) != 1 || !strings.Contains(add.Outside[0], "column privileges") {
		t.Errorf("outside the spec: authoritative %q, additive %q", auth.Outside, add.Outside)
	}
	// PUBLIC's policy is explicit: it survives the filter.
	if !strings.Contains(statements(add), `REVOKE TEMPORARY ON DATABASE "app" FROM PUBLIC`) {
		t.Errorf("additive plan lost PUBLIC's policy:\n%s", statements(add))
	}
	// "o" is needed by grants (default privileges), "p" only by a removed revoke.
	if !strings.Contains(statements(auth), `GRANT "p" TO "postgres"`) {
		t.Fatalf("authoritative plan does not act as p:\n%s", statements(auth))
	}
	for _, s := range []string{`GRANT "p" TO "postgres"`, `REVOKE "p" FROM "postgres"`} {
		if strings.Contains(statements(add), s) {
			t.Errorf("additive plan keeps a temporary membership for a filtered change: %s\n%s", s, statements(add))
		}
	}
	if !strings.Contains(statements(add), `GRANT "o" TO "postgres"`) {
		t.Errorf("additive plan lost the temporary membership its grants need:\n%s", statements(add))
	}
}

// addDrift gives a snapshot what authoritative mode removes for the spec
// "schemas: {s: {owner: o}}, roles: {o, a: {access: {s: readonly}}}": a
// membership, a setting, CREATE on schema s and INSERT on its table.
func addDrift(s *catalog.Snapshot) *state.Schema {
	addRole(s, "o", false)
	a := addRole(s, "a", false)
	a.MemberOf["pg_monitor"] = state.Membership{}
	a.Settings["work_mem"] = []string{"1GB"}
	sc := state.NewSchema("s", "o")
	sc.Privileges.Add("a", "USAGE", "CREATE")
	sc.Objects[state.Tables].Total = 1
	sc.Objects[state.Tables].OwnedBy = map[string]int{"o": 1}
	sc.Objects[state.Tables].Full.Add("a", "SELECT", "INSERT")
	s.DB.Schemas["s"] = sc
	return sc
}

// Additive mode keeps a role's memberships except rds_iam, which a role
// moving to a password leaves: that revoke is its own change, so the
// filter keeps it and drops the other. Authoritative mode revokes both.
func TestAdditiveLeavesIAMOnly(t *testing.T) {
	setup := func(s *catalog.Snapshot) {
		r := addRole(s, "app", true)
		r.MemberOf[state.IAMRole] = state.Membership{}
		r.MemberOf["old"] = state.Membership{}
		addRole(s, "old", false)
	}
	runDiffCases(t, []diffCase{{
		name: "additive", major: 15, setup: setup,
		yaml:   "mode: additive\nroles: {app: {login: true, auth: password, password_secret: s/app}, old: {}}",
		want:   []string{`REVOKE "rds_iam" FROM "app"`},
		absent: []string{`REVOKE "old"`},
	}, {
		name: "authoritative", major: 15, setup: setup,
		yaml: "roles: {app: {login: true, auth: password, password_secret: s/app}, old: {}}",
		want: []string{`REVOKE "old" FROM "app"`, `REVOKE "rds_iam" FROM "app"`},
	}})
}
