package plan

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

// The drift cases of docs/drift.md, on hand-built snapshots (the same
// cases run against PostgreSQL 13-18 in apply/drift_test.go).
func TestDiffDrift(t *testing.T) {
	const spec = "schemas:\n  app: {owner: migrator}\nroles:\n  app: {login: true}\n  migrator: {}\n"
	cases := []struct {
		name    string
		yaml    string
		arrange func(s *state.Database)
		want    []string // statements, in order, or problems prefixed "!"
	}{
		{"global defaults of any creator are revoked", spec, func(db *state.Database) {
			db.GlobalDefaultGrants("migrator", state.Tables).Add("app", "SELECT", "TRUNCATE")
			db.GlobalDefaultGrants("legacy", state.Types).Add("app", "USAGE")
			db.GlobalDefaultGrants("migrator", state.Tables).Add("outsider", "SELECT")
		}, []string{
			`ALTER DEFAULT PRIVILEGES FOR ROLE "legacy" REVOKE USAGE ON TYPES FROM "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" REVOKE SELECT, TRUNCATE ON TABLES FROM "app"`,
		}},
		{"declared global defaults are granted", spec + "default_privileges:\n  migrator:\n    app: readonly\n", func(db *state.Database) {}, []string{
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" GRANT SELECT ON TABLES TO "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" GRANT SELECT ON SEQUENCES TO "app"`,
		}},
		{"additive keeps global defaults", "mode: additive\n" + spec, func(db *state.Database) {
			db.GlobalDefaultGrants("migrator", state.Tables).Add("app", "SELECT")
		}, nil},
		{"all-database settings are reset", spec, func(db *state.Database) {
			db.Roles["app"].AllDatabaseSettings = map[string][]string{"work_mem": {"8MB"}}
		}, []string{`ALTER ROLE "app" RESET "work_mem"`}},
		{"outside members are revoked, by grantor on 16+", spec, func(db *state.Database) {
			db.Roles["outsider"].MemberOf["app"] = state.Membership{Grantors: []string{"postgres"}}
		}, []string{`REVOKE "app" FROM "outsider" GRANTED BY "postgres"`}},
		{"named members are kept", strings.Replace(spec, "app: {login: true}", "app: {login: true, members: [outsider]}", 1), func(db *state.Database) {
			db.Roles["outsider"].MemberOf["app"] = state.Membership{Grantors: []string{"postgres"}}
		}, nil},
		{"the admin is never named a member", strings.Replace(spec, "app: {login: true}", "app: {login: true, members: [postgres]}", 1), func(db *state.Database) {}, []string{
			`!role "app" lists member "postgres", a superuser, system role or the connected user`,
		}},
		{"PUBLIC on some tables is revoked", spec, func(db *state.Database) {
			og := db.Schemas["app"].Objects[state.Tables]
			og.Partial = map[string]state.PartialSet{state.Public: {"SELECT": &state.Partial{HasListed: true, Objects: []string{"t1"}}}}
		}, []string{`REVOKE SELECT ON TABLE "app"."t1" FROM PUBLIC`}},
		{"PUBLIC's built-in EXECUTE is left alone", spec, func(db *state.Database) {
			db.Schemas["app"].Objects[state.Functions].Full.Add(state.Public, "EXECUTE")
		}, nil},
		{"a grant option is revoked, cascading inside the spec", spec + "  reporting: {}\n", func(db *state.Database) {
			og := db.Schemas["app"].Objects[state.Tables]
			db.Schemas["app"].Privileges.Add("app", "USAGE")
			og.Chains = []*state.Chain{
				{Grantee: "app", Grantor: "migrator", ByOwner: true, Privileges: []string{"SELECT"}, GrantOptions: []string{"SELECT"}, Objects: []string{"t1"}},
				{Grantee: "reporting", Grantor: "app", Privileges: []string{"SELECT"}, Objects: []string{"t1"}},
			}
		}, []string{
			`SET ROLE "migrator"`, `REVOKE GRANT OPTION FOR SELECT ON TABLE "app"."t1" FROM "app" CASCADE`, `RESET ROLE`,
			`SET ROLE "app"`, `REVOKE SELECT ON TABLE "app"."t1" FROM "reporting"`, `RESET ROLE`,
			`REVOKE USAGE ON SCHEMA "app" FROM "app"`, // after the revoke made as app, which needs it
		}},
		{"a chain leaving the spec is a problem", spec, func(db *state.Database) {
			og := db.Schemas["app"].Objects[state.Tables]
			og.Chains = []*state.Chain{
				{Grantee: "app", Grantor: "migrator", ByOwner: true, Privileges: []string{"SELECT"}, GrantOptions: []string{"SELECT"}, Objects: []string{"t1"}},
				{Grantee: "outsider", Grantor: "app", Privileges: []string{"SELECT"}, Objects: []string{"t1"}},
			}
		}, []string{`!passed it on to "outsider", outside the spec`}},
		{"column privileges are revoked as their grantor", spec + "  reporting: {}\n", func(db *state.Database) {
			db.Schemas["app"].Columns = []*state.ColumnGrant{
				{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Columns: []string{"id", "v"}},
				{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "UPDATE", Columns: []string{"v"}},
				{Table: "t2", Owner: "migrator", Grantee: state.Public, Grantor: "migrator", Privilege: "INSERT", Columns: []string{"id"}},
				{Table: "t2", Owner: "migrator", Grantee: "outsider", Grantor: "migrator", Privilege: "SELECT", Columns: []string{"id"}},
				{Table: "t2", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Grantable: true, Columns: []string{"id"}},
				{Table: "t2", Owner: "migrator", Grantee: "reporting", Grantor: "app", Privilege: "SELECT", Columns: []string{"id"}},
			}
			db.Schemas["app"].Privileges.Add(state.Public, "USAGE")
		}, []string{
			// What app passed on goes first, while app can still revoke it.
			`SET ROLE "app"`, `REVOKE SELECT ("id") ON TABLE "app"."t2" FROM "reporting"`, `RESET ROLE`,
			`SET ROLE "migrator"`, `REVOKE SELECT ("id", "v"), UPDATE ("v") ON TABLE "app"."t1" FROM "app"`, `RESET ROLE`,
			`SET ROLE "migrator"`, `REVOKE INSERT ("id") ON TABLE "app"."t2" FROM PUBLIC`, `RESET ROLE`,
			`SET ROLE "migrator"`, `REVOKE SELECT ("id") ON TABLE "app"."t2" FROM "app" CASCADE`, `RESET ROLE`,
		}},
		{"a longer column chain is revoked from its far end", spec + "  reporting: {}\n  analyst: {}\n", func(db *state.Database) {
			db.Schemas["app"].Columns = []*state.ColumnGrant{
				{Table: "t1", Owner: "migrator", Grantee: "reporting", Grantor: "app", Privilege: "SELECT", Grantable: true, Columns: []string{"id"}},
				{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Grantable: true, Columns: []string{"id"}},
				{Table: "t1", Owner: "migrator", Grantee: "analyst", Grantor: "reporting", Privilege: "SELECT", Columns: []string{"id"}},
			}
			db.Schemas["app"].Privileges.Add(state.Public, "USAGE")
		}, []string{
			`SET ROLE "reporting"`, `REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "analyst"`, `RESET ROLE`,
			`SET ROLE "app"`, `REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "reporting" CASCADE`, `RESET ROLE`,
			`SET ROLE "migrator"`, `REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "app" CASCADE`, `RESET ROLE`,
		}},
		{"column privileges passed on outside the spec are a problem", spec, func(db *state.Database) {
			db.Schemas["app"].Columns = []*state.ColumnGrant{
				{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Grantable: true, Columns: []string{"id"}},
				{Table: "t1", Owner: "migrator", Grantee: "outsider", Grantor: "app", Privilege: "SELECT", Columns: []string{"id"}},
			}
		}, []string{`!holds column privileges SELECT ("id") on "app"."t1" with grant option and passed them on to "outsider"`}},
		{"additive mode leaves column privileges", "mode: additive\n" + spec, func(db *state.Database) {
			db.Schemas["app"].Columns = []*state.ColumnGrant{{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Columns: []string{"id"}}}
		}, nil},
	}
	// What must hold whatever the tie-break: the dependencies alone.
	byDeps := map[string][]string{
		"a grant option is revoked, cascading inside the spec": {
			`REVOKE SELECT ON TABLE "app"."t1" FROM "reporting"`, `REVOKE USAGE ON SCHEMA "app" FROM "app"`},
		"column privileges are revoked as their grantor": {
			`REVOKE SELECT ("id") ON TABLE "app"."t2" FROM "reporting"`, `REVOKE SELECT ("id") ON TABLE "app"."t2" FROM "app" CASCADE`},
		"a longer column chain is revoked from its far end": {
			`REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "analyst"`,
			`REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "reporting" CASCADE`,
			`REVOKE SELECT ("id") ON TABLE "app"."t1" FROM "app" CASCADE`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := snapshot(16)
			for _, r := range []string{"app", "migrator", "reporting", "outsider", "legacy", "analyst"} {
				addRole(snap, r, r == "app")
				snap.Server.AdminOf[r], snap.Server.Uses[r], snap.Server.CanSet[r] = true, true, true
			}
			sc := state.NewSchema("app", "migrator")
			for _, k := range state.ObjectKinds {
				sc.Objects[k].Total = 2
				sc.Objects[k].OwnedBy = map[string]int{"migrator": 2}
				sc.Objects[k].Names = []string{"t1", "t2"}
				sc.Objects[k].NameOwners = map[string]string{"t1": "migrator", "t2": "migrator"}
			}
			snap.DB.Schemas["app"] = sc
			snap.DB.Privileges.Add("app", "CONNECT")
			want, opts := desired(t, c.yaml)
			// What the spec grants is already there: only the drift differs.
			for _, k := range state.ObjectKinds {
				for g, ps := range want.Schemas["app"].Objects[k].Full {
					sc.Objects[k].Full.AddSet(g, ps)
				}
			}
			c.arrange(snap.DB)
			p := Diff(want, snap, opts)
			got := statements(p)
			var wantSQL []string
			for _, w := range c.want {
				if strings.HasPrefix(w, "!") {
					if !strings.Contains(strings.Join(p.Problems, "\n"), w[1:]) {
						t.Errorf("problems lack %q: %q", w[1:], p.Problems)
					}
					continue
				}
				wantSQL = append(wantSQL, w)
			}
			if len(p.Problems) == 0 || len(wantSQL) > 0 {
				if strings.Join(wantSQL, "\n") != got {
					t.Errorf("statements:\n%s\nwant:\n%s\nproblems: %q", got, strings.Join(wantSQL, "\n"), p.Problems)
				}
			}
			checkShuffled(t, p)
			if deps, ok := byDeps[c.name]; ok {
				checkByDependencies(t, p, deps)
			}
		})
	}
}

// Column privileges the spec covers with the same privilege on the whole
// table are left alone; additive mode lists the others outside the spec.
func TestDiffColumnPrivilegesCoveredOrAdditive(t *testing.T) {
	const yaml = "schemas:\n  app: {owner: migrator}\nroles:\n  app: {login: true, access: {app: readonly}}\n  migrator: {}\n"
	for _, additive := range []bool{false, true} {
		snap := snapshot(16)
		for _, r := range []string{"app", "migrator"} {
			addRole(snap, r, r == "app")
			snap.Server.AdminOf[r], snap.Server.Uses[r], snap.Server.CanSet[r] = true, true, true
		}
		sc := state.NewSchema("app", "migrator")
		sc.Objects[state.Tables].Total = 1
		sc.Objects[state.Tables].OwnedBy = map[string]int{"migrator": 1}
		snap.DB.Schemas["app"] = sc
		y := yaml
		if additive {
			y = "mode: additive\n" + yaml
		}
		want, opts := desired(t, y)
		before := statements(Diff(want, snap, opts))
		sc.Columns = []*state.ColumnGrant{
			{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "SELECT", Columns: []string{"id"}},
			{Table: "t1", Owner: "migrator", Grantee: "app", Grantor: "migrator", Privilege: "UPDATE", Columns: []string{"id"}},
		}
		p := Diff(want, snap, opts)
		got := statements(p)
		if !additive {
			if wantSQL := before + "\n" + `SET ROLE "migrator"` + "\n" + `REVOKE UPDATE ("id") ON TABLE "app"."t1" FROM "app"` + "\n" + `RESET ROLE`; !strings.Contains(got, `REVOKE UPDATE ("id") ON TABLE "app"."t1" FROM "app"`) || strings.Contains(got, `SELECT ("id")`) || len(got) != len(wantSQL) {
				t.Errorf("authoritative: only UPDATE (id) should be revoked:\n%s\nbefore:\n%s", got, before)
			}
			continue
		}
		if got != before {
			t.Errorf("additive mode changed statements:\n%s\nbefore:\n%s", got, before)
		}
		if o := strings.Join(p.Outside, "\n"); !strings.Contains(o, `"app" holds column privileges UPDATE ("id") on "app"."t1", granted by "migrator"`) || strings.Contains(o, `SELECT ("id")`) {
			t.Errorf("additive mode should list UPDATE (id) only outside the spec: %q", p.Outside)
		}
	}
}
