package plan

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// snapshot builds an actual state by hand: an RDS-like master "postgres"
// (CREATEROLE, not superuser) owning database "app", on the given major.
func snapshot(major int) *catalog.Snapshot {
	db := state.NewDatabase("app")
	db.Owner = "postgres"
	db.Privileges.Add(state.Public, "CONNECT", "TEMPORARY")
	pub := state.NewSchema("public", "postgres")
	pub.Privileges.Add(state.Public, "USAGE")
	db.Schemas["public"] = pub
	snap := &catalog.Snapshot{
		Server: catalog.Server{
			User: "postgres", Database: "app", VersionNum: major * 10000, Version: "x",
			CreateRole: true, CreateDB: true, CreateInDB: true, DatabaseOwner: "postgres", ActsAsDBOwner: true,
			Uses: map[string]bool{"postgres": true}, AdminOf: map[string]bool{},
			CanSet: map[string]bool{"postgres": true}, Installable: map[string]bool{},
		},
		DB:    db,
		Roles: map[string]*state.Role{},
	}
	for _, r := range []string{"postgres", "rds_iam", "rds_superuser"} {
		snap.Roles[r] = &state.Role{Name: r, Inherit: true, ConnectionLimit: -1, MemberOf: map[string]state.Membership{}, Settings: map[string][]string{}}
	}
	snap.Server.AdminOf["rds_iam"] = true
	return snap
}

// addRole adds an existing role to a snapshot.
func addRole(snap *catalog.Snapshot, name string, login bool) *state.Role {
	r := &state.Role{Name: name, Login: login, Inherit: true, ConnectionLimit: -1, MemberOf: map[string]state.Membership{}, Settings: map[string][]string{}}
	snap.Roles[name] = r
	snap.DB.Roles[name] = r
	return r
}

func desired(t *testing.T, yaml string) (*state.Database, Options) {
	t.Helper()
	s, err := spec.Parse("t.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s.Desired("app"), Options{Additive: s.Additive()}
}

func statements(p *Plan) string { return strings.Join(p.Statements(), "\n") }

func TestDiff(t *testing.T) {
	cases := []diffCase{
		{
			name: "new roles are created with only non-default attributes", major: 15,
			yaml: "roles: {a: {login: true, connection_limit: 3}, b: {}}",
			want: []string{`CREATE ROLE "a" WITH LOGIN CONNECTION LIMIT 3`, `CREATE ROLE "b"`, `GRANT CONNECT ON DATABASE "app" TO "a"`},
		},
		{
			name: "only differing attributes are altered", major: 16,
			yaml: "roles: {a: {login: true, createdb: true}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "a", true)
				s.Server.AdminOf["a"] = true
				s.DB.Privileges.Add("a", "CONNECT")
			},
			want:   []string{`ALTER ROLE "a" WITH CREATEDB`},
			absent: []string{"NOSUPERUSER", "NOREPLICATION", "LOGIN "},
		},
		{
			name: "PG16 refuses to alter a role created by someone else", major: 16,
			yaml:     "roles: {a: {login: true, createdb: true}}",
			setup:    func(s *catalog.Snapshot) { addRole(s, "a", true) },
			problems: []string{`cannot change role "a": on PostgreSQL 16+ "postgres" needs ADMIN OPTION`},
		},
		{
			name: "PG15 lets CREATEROLE alter any non-superuser", major: 15,
			yaml:  "roles: {a: {login: true, createdb: true}}",
			setup: func(s *catalog.Snapshot) { addRole(s, "a", true) },
			want:  []string{`ALTER ROLE "a" WITH CREATEDB`},
		},
		{
			name: "superuser-only attributes are a problem for the RDS master", major: 15,
			yaml:     "roles: {a: {replication: true}}",
			problems: []string{`REPLICATION needs a superuser`},
		},
		{
			name: "grantees with the same needs share one statement", major: 15,
			yaml: `
schemas: {s: {owner: o}}
roles: {o: {}, a: {access: {s: readonly}}, b: {access: {s: readonly}}, c: {access: {s: readonly}}}`,
			setup: func(s *catalog.Snapshot) {
				for _, r := range []string{"o", "a", "b", "c"} {
					addRole(s, r, false)
				}
				sc := state.NewSchema("s", "o")
				sc.Objects[state.Tables].Total = 500
				sc.Objects[state.Tables].OwnedBy = map[string]int{"o": 500}
				s.DB.Schemas["s"] = sc
			},
			want: []string{
				`GRANT "o" TO "postgres"`,
				`GRANT USAGE ON SCHEMA "s" TO "a", "b", "c"`,
				`GRANT SELECT ON ALL TABLES IN SCHEMA "s" TO "a", "b", "c"`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE "o" IN SCHEMA "s" GRANT SELECT ON TABLES TO "a", "b", "c"`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE "o" IN SCHEMA "s" GRANT SELECT ON SEQUENCES TO "a", "b", "c"`,
				`REVOKE "o" FROM "postgres"`,
			},
			absent: []string{"ALL SEQUENCES"}, // no sequences exist
		},
		{
			name: "PG16 temporary membership asks for INHERIT and SET", major: 16,
			yaml: "schemas: {s: {owner: o}}\nroles: {o: {}}",
			want: []string{`CREATE ROLE "o"`, `GRANT "o" TO "postgres" WITH INHERIT TRUE, SET TRUE`, `CREATE SCHEMA "s" AUTHORIZATION "o"`, `REVOKE "o" FROM "postgres"`},
		},
		{
			name: "no temporary membership when the user already has the role", major: 15,
			yaml: "schemas: {s: {owner: o}}\nroles: {o: {}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "o", false)
				s.Server.Uses["o"], s.Server.CanSet["o"] = true, true
			},
			want:   []string{`CREATE SCHEMA "s" AUTHORIZATION "o"`},
			absent: []string{`GRANT "o" TO "postgres"`, `REVOKE "o"`},
		},
		{
			name: "PG16 acts as a role it holds ADMIN OPTION on", major: 16,
			yaml:     "schemas: {s: {owner: o}}\nroles: {o: {}}",
			setup:    func(s *catalog.Snapshot) { addRole(s, "o", false); s.Server.AdminOf["o"] = true },
			want:     []string{`CREATE SCHEMA "s" AUTHORIZATION "o"`},
			problems: nil,
		},
		{
			name: "PG16 without ADMIN OPTION on the owner is a problem", major: 16,
			yaml:     "schemas: {s: {owner: o}}\nroles: {o: {}}",
			setup:    func(s *catalog.Snapshot) { addRole(s, "o", false) },
			problems: []string{`must act as "o", but "postgres" has no ADMIN OPTION on it`},
		},
		{
			name: "additive mode never revokes", major: 15,
			yaml:   "mode: additive\nschemas: {s: {owner: o}}\nroles: {o: {}, a: {access: {s: readonly}}}",
			setup:  func(s *catalog.Snapshot) { addDrift(s) },
			absent: []string{"REVOKE INSERT", "REVOKE CREATE", "RESET", `REVOKE "pg_monitor"`},
		},
		{
			name: "PUBLIC is locked down", major: 15,
			yaml: "public: {connect: false, temporary: false, create_in_public_schema: false}",
			setup: func(s *catalog.Snapshot) {
				s.DB.Schemas["public"].Privileges.Add(state.Public, "CREATE")
			},
			want: []string{`REVOKE CREATE ON SCHEMA "public" FROM PUBLIC`, `REVOKE CONNECT, TEMPORARY ON DATABASE "app" FROM PUBLIC`},
		},
		{
			name: "a superuser-owned public schema is a problem, not a silent no-op", major: 13,
			yaml: "public: {create_in_public_schema: false}",
			setup: func(s *catalog.Snapshot) {
				s.Roles["rdsadmin"] = &state.Role{Name: "rdsadmin", Superuser: true}
				s.DB.Schemas["public"].Owner = "rdsadmin"
				s.DB.Schemas["public"].Privileges.Add(state.Public, "CREATE")
			},
			problems: []string{`schema public is owned by the superuser "rdsadmin"`},
		},
		{
			name: "IAM on a server without rds_iam is a problem", major: 15,
			yaml:     "roles: {a: {auth: iam}}",
			setup:    func(s *catalog.Snapshot) { delete(s.Roles, "rds_iam") },
			problems: []string{"this server has no rds_iam role"},
		},
		{
			name: "an unavailable extension is a problem", major: 15,
			yaml:     "extensions: [vector]",
			problems: []string{`extension "vector" is not available on this server`},
		},
		{
			name: "the connected user cannot be managed", major: 15,
			yaml:     "roles: {postgres: {login: true}}",
			problems: []string{"the user rolekeeper connects as"},
		},
		{
			name: "list settings render one literal per element", major: 15,
			yaml: `database_settings: {search_path: ["$user", "My Schema", public]}`,
			want: []string{`ALTER DATABASE "app" SET "search_path" = '$user', 'My Schema', 'public'`},
		},
		{
			name: "matching list settings are left alone", major: 15,
			yaml: `database_settings: {search_path: ["$user", "My Schema", public]}`,
			setup: func(s *catalog.Snapshot) {
				_, v := state.ParseSetting(`search_path="$user", "My Schema", public`)
				s.DB.Settings["search_path"] = v
			},
			absent: []string{"search_path"},
		},
		{
			name: "absent role: reassign, drop owned, drop", major: 15,
			yaml:  "roles: {old: {state: absent, reassign_owned_to: heir}, heir: {}}",
			setup: func(s *catalog.Snapshot) { addRole(s, "old", true) },
			want: []string{`CREATE ROLE "heir"`, `GRANT "heir" TO "postgres"`, `GRANT "old" TO "postgres"`,
				`REASSIGN OWNED BY "old" TO "heir"`, `DROP OWNED BY "old"`, `DROP ROLE "old"`, `REVOKE "heir" FROM "postgres"`},
			absent: []string{`REVOKE "old" FROM`},
		},
	}
	runDiffCases(t, cases)
}

func TestGroupObjectPrivsChoosesFewerStatements(t *testing.T) {
	// Two grantees missing the same three tables: by object is 3
	// statements, by grantee 2.
	var items []objectPriv
	for _, g := range []string{"a", "b"} {
		for _, o := range []string{"t1", "t2", "t3"} {
			items = append(items, objectPriv{g, o, "SELECT"})
		}
	}
	got := groupObjectPrivs(items)
	if len(got) != 2 || strings.Join(got[0].objects, ",") != "t1,t2,t3" {
		t.Fatalf("by grantee expected, got %+v", got)
	}
	// Three grantees missing one table: one statement.
	got = groupObjectPrivs([]objectPriv{{"a", "t", "SELECT"}, {"b", "t", "SELECT"}, {"c", "t", "SELECT"}})
	if len(got) != 1 || strings.Join(got[0].grantees, ",") != "a,b,c" {
		t.Fatalf("by object expected, got %+v", got)
	}
}

func TestEmptyPlanRendersNoChanges(t *testing.T) {
	want, opts := desired(t, "roles: {}")
	p := Diff(want, snapshot(15), opts)
	var b strings.Builder
	p.WriteText(&b, "Plan")
	if !strings.Contains(b.String(), "No changes") || !p.Empty() {
		t.Fatalf("got %s", b.String())
	}
}

// checkPlan fails unless the plan's statements hold want in order and none
// of absent, and its problems hold each of problems (and none when none
// are expected).
func checkPlan(t *testing.T, p *Plan, want, absent, problems []string) {
	t.Helper()
	got := statements(p)
	pos := 0
	for _, w := range want {
		i := strings.Index(got[pos:], w)
		if i < 0 {
			t.Fatalf("missing or out of order: %s\nplan:\n%s\nproblems: %q", w, got, p.Problems)
		}
		pos += i + len(w)
	}
	for _, a := range absent {
		if strings.Contains(got, a) {
			t.Errorf("plan contains %q:\n%s", a, got)
		}
	}
	probs := strings.Join(p.Problems, "\n")
	for _, w := range problems {
		if !strings.Contains(probs, w) {
			t.Errorf("problems lack %q: %q", w, p.Problems)
		}
	}
	if len(problems) == 0 && len(p.Problems) > 0 {
		t.Errorf("unexpected problems: %q", p.Problems)
	}
}

// diffCase is one table case of a diff: a spec over a hand-built snapshot.
type diffCase struct {
	name  string
	major int
	yaml  string
	setup func(*catalog.Snapshot)
	// want lists statements that must appear, in this order; absent
	// lists substrings that must not; problems, substrings of problems.
	want, absent, problems []string
}

// runDiffCases diffs each case, checks its plan, and checks that the same
// inputs give a byte-identical plan.
func runDiffCases(t *testing.T, cases []diffCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := snapshot(c.major)
			if c.setup != nil {
				c.setup(snap)
			}
			want, opts := desired(t, c.yaml)
			p := Diff(want, snap, opts)
			checkPlan(t, p, c.want, c.absent, c.problems)
			got := statements(p)
			if again := statements(Diff(want, snap, opts)); again != got {
				t.Errorf("second diff differs:\n%s\n---\n%s", got, again)
			}
			checkShuffled(t, p)
		})
	}
}
