package plan

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

// MAINTAIN (PostgreSQL 17+): ALL means what the server's ALL means, and a
// spec that names MAINTAIN on an older server is a plan problem, never a
// failing GRANT. The same cases run against real servers in
// apply/maintain_test.go.
func TestDiffMaintain(t *testing.T) {
	const base = "schemas:\n  app: {owner: migrator}\nroles:\n  migrator: {}\n"
	all := base + "  app: {access: {app: {schema: [USAGE], tables: [ALL]}}}\n"
	named := "profiles:\n  keeper: {schema: [USAGE], tables: [SELECT, maintain]}\n" + base + "  app: {access: {app: keeper}}\n"
	cases := []struct {
		name    string
		major   int
		yaml    string
		arrange func(db *state.Database)
		want    []string // statements, or one problem prefixed "!"
	}{
		{"ALL on 17 includes MAINTAIN", 17, all, nil, []string{
			`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN ON ALL TABLES IN SCHEMA "app" TO "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN ON TABLES TO "app"`,
		}},
		{"ALL on 16 leaves MAINTAIN out", 16, all, nil, []string{
			`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA "app" TO "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES TO "app"`,
		}},
		{"MAINTAIN named on 17 is granted", 17, named, nil, []string{
			`GRANT SELECT, MAINTAIN ON ALL TABLES IN SCHEMA "app" TO "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" GRANT SELECT, MAINTAIN ON TABLES TO "app"`,
		}},
		{"MAINTAIN named on 16 is a problem", 16, named, nil, []string{
			`!profile "keeper" (used by roles.app.access.app) names the table privilege MAINTAIN, which exists from PostgreSQL 17 on and this server is PostgreSQL 16`,
		}},
		{"MAINTAIN the spec lacks is revoked on 17", 17, strings.Replace(all, "tables: [ALL]", "tables: [SELECT]", 1), func(db *state.Database) {
			db.Schemas["app"].Objects[state.Tables].Full.Add("app", "SELECT", "MAINTAIN")
			db.Schemas["app"].DefaultGrants("migrator", state.Tables).Add("app", "SELECT", "MAINTAIN")
			db.GlobalDefaultGrants("migrator", state.Tables).Add("app", "TRUNCATE", "MAINTAIN")
		}, []string{
			`REVOKE MAINTAIN ON ALL TABLES IN SCHEMA "app" FROM "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" IN SCHEMA "app" REVOKE MAINTAIN ON TABLES FROM "app"`,
			`ALTER DEFAULT PRIVILEGES FOR ROLE "migrator" REVOKE TRUNCATE, MAINTAIN ON TABLES FROM "app"`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := snapshot(c.major)
			for _, r := range []string{"app", "migrator"} {
				addRole(snap, r, false)
				snap.Server.AdminOf[r], snap.Server.Uses[r], snap.Server.CanSet[r] = true, true, true
			}
			sc := state.NewSchema("app", "migrator")
			sc.Privileges.Add("app", "USAGE")
			og := sc.Objects[state.Tables]
			og.Total, og.OwnedBy = 1, map[string]int{"migrator": 1}
			og.Names, og.NameOwners = []string{"t1"}, map[string]string{"t1": "migrator"}
			snap.DB.Schemas["app"] = sc
			if c.arrange != nil {
				c.arrange(snap.DB)
			}
			want, opts := desired(t, c.yaml)
			p := Diff(want, snap, opts)
			if strings.HasPrefix(c.want[0], "!") {
				if !strings.Contains(strings.Join(p.Problems, "\n"), c.want[0][1:]) {
					t.Fatalf("problems lack %q: %q", c.want[0][1:], p.Problems)
				}
				return
			}
			if len(p.Problems) > 0 {
				t.Fatalf("problems: %q", p.Problems)
			}
			got := statements(p)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("statements lack\n%s\ngot:\n%s", w, got)
				}
			}
			if c.major < 17 && strings.Contains(got, "MAINTAIN") {
				t.Errorf("MAINTAIN on PostgreSQL %d:\n%s", c.major, got)
			}
		})
	}
}
