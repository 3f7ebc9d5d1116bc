package plan

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/state"
)

func member(snap *catalog.Snapshot, member, role string, adminOnly bool) {
	snap.Roles[member].MemberOf[role] = state.Membership{AdminOnly: adminOnly}
}

func TestAdminPowerAndLockout(t *testing.T) {
	cases := []struct {
		name     string
		yaml     string
		setup    func(*catalog.Snapshot)
		problems []string // substrings; none expected when empty
	}{
		{
			name:     "membership in the admin itself is refused",
			yaml:     "roles: {x: {member_of: [postgres]}}",
			problems: []string{`role "x": membership in "postgres" would hand out the power of "postgres", the user rolekeeper connects as; set allow_admin_roles: true on "x"`},
		},
		{
			name: "a role that carries rds_superuser is refused, with the chain",
			yaml: "roles: {x: {member_of: [ops]}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "ops", false)
				member(s, "ops", "rds_superuser", false)
				s.Server.AdminOf["ops"] = true
			},
			problems: []string{`membership in "ops" would hand out the power of "rds_superuser", an administrative role (ops → rds_superuser); set allow_admin_roles: true on "x"`},
		},
		{
			name: "a role that reaches a server-reaching predefined role through the spec is refused",
			yaml: "roles: {group: {member_of: [pg_execute_server_program], allow_admin_roles: true}, x: {member_of: [group]}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "pg_execute_server_program", false)
			},
			problems: []string{`membership in "group" would hand out the power of "pg_execute_server_program", an administrative role (group → pg_execute_server_program)`},
		},
		{
			name: "the opt-in allows it",
			yaml: "roles: {x: {member_of: [ops], allow_admin_roles: true}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "ops", false)
				member(s, "ops", "rds_superuser", false)
				s.Server.AdminOf["ops"] = true
			},
		},
		{
			name: "the admin left a member of rds_iam through a chain is a problem that prints it",
			yaml: "roles: {team: {member_of: [svc]}, svc: {auth: iam}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "team", false)
				member(s, "postgres", "team", false)
				s.Server.AdminOf["team"] = true
			},
			problems: []string{`would make "postgres", the user rolekeeper connects as, a member of rds_iam through postgres → team → svc → rds_iam`},
		},
		{
			name: "ADMIN-only memberships (16+, the creator's) do not make a chain",
			yaml: "roles: {svc: {auth: iam}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "svc", true)
				member(s, "postgres", "svc", true)
				s.Server.AdminOf["svc"] = true
			},
		},
		{
			name: "a chain the plan removes is no problem",
			yaml: "roles: {team: {}, svc: {auth: iam}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "team", false)
				addRole(s, "svc", false)
				member(s, "postgres", "team", false)
				member(s, "svc", "rds_iam", false)
				s.Server.AdminOf["team"], s.Server.AdminOf["svc"] = true, true
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := snapshot(16)
			if c.setup != nil {
				c.setup(snap)
			}
			want, opts := desired(t, c.yaml)
			p := Diff(want, snap, opts)
			got := strings.Join(p.Problems, "\n")
			if len(c.problems) == 0 && (strings.Contains(got, "hand out") || strings.Contains(got, "locks it out")) {
				t.Fatalf("unexpected problems:\n%s", got)
			}
			for _, w := range c.problems {
				if !strings.Contains(got, w) {
					t.Errorf("problems lack %q:\n%s", w, got)
				}
			}
		})
	}
}
