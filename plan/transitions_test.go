package plan

import (
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/state"
)

// Transitions between specs: the statements a plan needs to converge in
// one apply, in the order that lets each succeed, or the problem that
// stops it first. (apply/transitions_test.go runs them on PostgreSQL.)
func TestTransitionPlans(t *testing.T) {
	runDiffCases(t, []diffCase{
		{
			name: "a reversed membership is revoked before it is granted the other way", major: 16,
			yaml: "roles: {lead: {member_of: [analyst]}, analyst: {}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "lead", false)
				addRole(s, "analyst", false).MemberOf["lead"] = state.Membership{Grantors: []string{"postgres"}}
				s.Server.AdminOf["lead"], s.Server.AdminOf["analyst"] = true, true
			},
			want: []string{`REVOKE "lead" FROM "analyst" GRANTED BY "postgres"`, `GRANT "analyst" TO "lead"`},
		},
		{
			name: "additive mode cannot reverse a membership: a problem says how to unblock", major: 15,
			yaml: "mode: additive\nroles: {lead: {member_of: [analyst]}, analyst: {}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "lead", false)
				addRole(s, "analyst", false).MemberOf["lead"] = state.Membership{}
			},
			problems: []string{`making "lead" a member of "analyst" would close a membership loop, because "analyst" in "lead" remains`, "additive mode never revokes"},
		},
		{
			name: "a membership of an unmanaged role that would close a loop is a problem when the plan keeps the loop", major: 15,
			yaml: "roles: {lead: {member_of: [other], members_managed_elsewhere: true}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "lead", false)
				addRole(s, "other", false).MemberOf["lead"] = state.Membership{}
			},
			problems: []string{`"other" in "lead" remains`},
		},
		{
			// The plan revokes the member the spec does not declare: the
			// loop is broken first (it was reported as a problem while the
			// loop check ran before the plan's revokes of members).
			name: "a membership of an unmanaged role that would close a loop follows the revoke of that role's membership", major: 15,
			yaml: "roles: {lead: {member_of: [other]}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "lead", false)
				addRole(s, "other", false).MemberOf["lead"] = state.Membership{}
			},
			want: []string{`REVOKE "lead" FROM "other"`, `GRANT "other" TO "lead"`},
		},
		{
			name: "a dropped role's privileges on others' objects are revoked as their owner", major: 16,
			yaml: "roles: {app: {state: absent}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "app", true)
				addRole(s, "migrator", true)
				s.Server.AdminOf["app"], s.Server.AdminOf["migrator"] = true, true
				s.Dropping = map[string]*catalog.Dropping{"app": {Grantors: []string{"migrator", "postgres"}}}
			},
			want:   []string{`GRANT "migrator" TO "postgres" WITH INHERIT TRUE, SET TRUE`, `REASSIGN OWNED BY "app" TO "postgres"`, `DROP OWNED BY "app"`, `DROP ROLE "app"`, `REVOKE "migrator" FROM "postgres"`},
			absent: []string{`GRANT "postgres" TO`},
		},
		{
			name: "a dropped role with objects in another database is a problem", major: 15,
			yaml: "roles: {app: {state: absent}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "app", true)
				s.Dropping = map[string]*catalog.Dropping{"app": {OtherDatabases: []string{"reports"}}}
			},
			problems: []string{`role "app" owns objects or holds privileges in database(s) "reports"`, `REASSIGN OWNED BY "app" TO <new owner>; DROP OWNED BY "app"`},
		},
		{
			name: "the receiver of a dropped role's objects holds CREATE on their schema only around REASSIGN OWNED", major: 15,
			yaml: "schemas: {app: {owner: migrator}}\nroles: {migrator: {}, new: {}, old: {state: absent, reassign_owned_to: new}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "migrator", false)
				addRole(s, "new", false)
				addRole(s, "old", false)
				s.DB.Schemas["app"] = state.NewSchema("app", "migrator")
				s.Dropping = map[string]*catalog.Dropping{"old": {ObjectsIn: []catalog.ObjectsIn{{Schema: "app", Owner: "migrator"}}}}
			},
			want: []string{`GRANT "migrator" TO "postgres"`, `GRANT CREATE ON SCHEMA "app" TO "new"`, `REASSIGN OWNED BY "old" TO "new"`, `REVOKE CREATE ON SCHEMA "app" FROM "new"`, `DROP OWNED BY "old"`, `DROP ROLE "old"`, `REVOKE "migrator" FROM "postgres"`},
		},
		{
			name: "a schema a dropped role owns and the spec gives no other owner moves before its objects", major: 15,
			yaml: "schemas: {app: {}}\nroles: {new: {}, old: {state: absent, reassign_owned_to: new}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "new", false)
				addRole(s, "old", false)
				s.DB.Schemas["app"] = state.NewSchema("app", "old")
				s.Dropping = map[string]*catalog.Dropping{"old": {Schemas: []string{"app"}, ObjectsIn: []catalog.ObjectsIn{{Schema: "app", Owner: "old"}}}}
			},
			want:   []string{`ALTER SCHEMA "app" OWNER TO "new"`, `REASSIGN OWNED BY "old" TO "new"`},
			absent: []string{`GRANT CREATE`},
		},
		{
			name: "a retired creator's default privileges are left to DROP OWNED, with no phantom default_privileges_for", major: 15,
			yaml: "schemas: {app: {owner: new}}\nroles: {new: {}, app: {access: {app: readonly}}, old: {state: absent, reassign_owned_to: new}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "new", false)
				addRole(s, "old", false)
				addRole(s, "app", false)
				sc := state.NewSchema("app", "old")
				sc.DefaultGrants("old", state.Tables).Add("app", "SELECT")
				s.DB.Schemas["app"] = sc
			},
			want:   []string{`ALTER SCHEMA "app" OWNER TO "new"`, `ALTER DEFAULT PRIVILEGES FOR ROLE "new" IN SCHEMA "app" GRANT SELECT ON TABLES TO "app"`, `DROP OWNED BY "old"`},
			absent: []string{`FOR ROLE "old"`},
		},
		{
			name: "a schema without an owner in the spec gets default privileges for its actual owner", major: 15,
			yaml: "schemas: {app: {}}\nroles: {app: {access: {app: readonly}}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "owner_x", false)
				addRole(s, "app", false)
				s.DB.Schemas["app"] = state.NewSchema("app", "owner_x")
			},
			want: []string{`ALTER DEFAULT PRIVILEGES FOR ROLE "owner_x" IN SCHEMA "app" GRANT SELECT ON TABLES TO "app"`},
		},
		{
			name: "a schema without an owner whose owner is dropped: default privileges for the receiver", major: 15,
			yaml: "schemas: {app: {}}\nroles: {new: {}, app: {access: {app: readonly}}, old: {state: absent, reassign_owned_to: new}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "new", false)
				addRole(s, "old", false)
				addRole(s, "app", false)
				s.DB.Schemas["app"] = state.NewSchema("app", "old")
			},
			want:   []string{`ALTER DEFAULT PRIVILEGES FOR ROLE "new" IN SCHEMA "app" GRANT SELECT ON TABLES TO "app"`},
			absent: []string{`FOR ROLE "old"`},
		},
		{
			name: "additive mode: a user moving from IAM to a password leaves rds_iam", major: 15,
			yaml: "mode: additive\nroles: {app: {auth: password}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "app", true).MemberOf[state.IAMRole] = state.Membership{}
				s.DB.Privileges.Add("app", "CONNECT")
			},
			want: []string{`ALTER ROLE "app" PASSWORD`, `REVOKE "rds_iam" FROM "app"`},
		},
		{
			name: "a problem about an attribute names that attribute, not the whole role line", major: 16,
			yaml: "roles: {a: {login: true, connection_limit: 5, bypassrls: true}}",
			setup: func(s *catalog.Snapshot) {
				addRole(s, "a", false)
				s.Server.AdminOf["a"] = true
			},
			problems: []string{`role "a": BYPASSRLS needs a superuser`},
		},
		{
			name: "objects of a former schema owner are granted with the schema owner's USAGE", major: 15,
			yaml: "schemas: {app: {owner: new}}\nroles: {new: {}, old: {}, app: {access: {app: readonly}}}",
			setup: func(s *catalog.Snapshot) {
				for _, r := range []string{"new", "old", "app"} {
					addRole(s, r, false)
				}
				sc := state.NewSchema("app", "new")
				sc.Privileges.Add("app", "USAGE")
				sc.DefaultGrants("new", state.Tables).Add("app", "SELECT")
				sc.DefaultGrants("new", state.Sequences).Add("app", "SELECT")
				sc.Objects[state.Tables] = &state.ObjectGrants{Total: 1, OwnedBy: map[string]int{"old": 1}, Full: state.Grants{}}
				s.DB.Schemas["app"] = sc
			},
			want: []string{`GRANT "new" TO "postgres"`, `GRANT "old" TO "postgres"`, `GRANT SELECT ON ALL TABLES IN SCHEMA "app" TO "app"`},
		},
	})
}
