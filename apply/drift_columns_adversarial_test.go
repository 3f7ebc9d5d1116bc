package apply_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestDriftColumnPrivilegesAdversarial: column privileges granted to
// declared roles and PUBLIC by roles in odd positions: along chains of
// undeclared grantors, through a membership, under hostile names, by the
// admin itself, on views and partitioned tables, by a role that has become
// a superuser or is named "PUBLIC". Each case either plans and applies,
// and a second plan has no changes, or has the plan problem it names and
// an apply changes nothing; either way the privileges the undeclared
// roles hold (table and column ACL entries) are as they were.
func TestDriftColumnPrivilegesAdversarial(t *testing.T) {
	adminOn16 := ""
	if pgtest.Server != nil && pgtest.Server.Major >= 16 {
		adminOn16 = `"postgres" has no ADMIN OPTION on it`
	}
	cases := map[string]struct {
		setup      string
		undeclared []string
		problem    string
	}{
		// helper holds the table-level grant option and passed column privileges on to reporting and outsider: revoked as it, nothing lent.
		"tableOptionHeld": {`SET ROLE postgres; CREATE ROLE helper; CREATE ROLE outsider; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO helper; GRANT UPDATE ON app.t1 TO helper WITH GRANT OPTION; SET ROLE helper; GRANT UPDATE (secret) ON app.t1 TO reporting, outsider; RESET ROLE`, []string{"helper", "outsider"}, ""},
		// A chain: owner -> a -> b, each with the grant option on the table, b -> reporting on a column; a takes b's option back.
		"chainAB": {`SET ROLE postgres; CREATE ROLE a; CREATE ROLE b; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO a, b; GRANT UPDATE ON app.t1 TO a WITH GRANT OPTION; SET ROLE a; GRANT UPDATE ON app.t1 TO b WITH GRANT OPTION; SET ROLE b; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE a; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM b; RESET ROLE`, []string{"a", "b"}, ""},
		// b is a member of a, which holds the grant option on the table; b lost its own (so its REVOKE would act as a).
		"viaMembership": {`SET ROLE postgres; CREATE ROLE a; CREATE ROLE b; GRANT a TO b; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO a, b; GRANT UPDATE ON app.t1 TO b WITH GRANT OPTION; SET ROLE b; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM b; GRANT UPDATE ON app.t1 TO a WITH GRANT OPTION; SET ROLE a; GRANT UPDATE (secret) ON app.t1 TO reporting; RESET ROLE`, []string{"a", "b"}, ""},
		// Hostile role, table and column names; PUBLIC as a grantee.
		"hostile": {`SET ROLE postgres; CREATE ROLE "he""l,p=er/ x"; SET ROLE migrator; CREATE TABLE app."t ""x"" =/," ("c"",=/ 1" int, "id" int); GRANT USAGE ON SCHEMA app TO "he""l,p=er/ x"; GRANT UPDATE (id) ON app."t ""x"" =/," TO "he""l,p=er/ x"; GRANT UPDATE, REFERENCES ON app."t ""x"" =/," TO "he""l,p=er/ x" WITH GRANT OPTION; SET ROLE "he""l,p=er/ x"; GRANT UPDATE ("c"",=/ 1", id), REFERENCES ("c"",=/ 1") ON app."t ""x"" =/," TO reporting, PUBLIC; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE, REFERENCES ON app."t ""x"" =/," FROM "he""l,p=er/ x"; RESET ROLE`, []string{`he"l,p=er/ x`}, ""},
		// A role named "PUBLIC" that lost its grant option: a problem.
		"rolePUBLIC": {`SET ROLE postgres; CREATE ROLE "PUBLIC"; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO "PUBLIC"; GRANT UPDATE ON app.t1 TO "PUBLIC" WITH GRANT OPTION; SET ROLE "PUBLIC"; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM "PUBLIC"; RESET ROLE`, []string{"PUBLIC"}, `granted by a role named "PUBLIC", which no longer holds the grant option`},
		// The admin itself lost its grant option.
		"admin": {`SET ROLE migrator; GRANT USAGE ON SCHEMA app TO postgres; GRANT UPDATE ON app.t1 TO postgres WITH GRANT OPTION; SET ROLE postgres; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM postgres; RESET ROLE`, []string{"postgres"}, ""},
		// A view and a partitioned table; PUBLIC and two declared grantees; the same grantor on four relations.
		"multi": {`SET ROLE postgres; CREATE ROLE helper; SET ROLE migrator; CREATE VIEW app.v AS SELECT * FROM app.t1; CREATE TABLE app.p (id int, secret text) PARTITION BY RANGE (id); CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM (0) TO (10);
GRANT USAGE ON SCHEMA app TO helper; GRANT SELECT (id) ON app.t1, app.t2 TO helper; GRANT UPDATE, REFERENCES, SELECT ON app.t1, app.t2, app.v, app.p TO helper WITH GRANT OPTION;
SET ROLE helper; GRANT UPDATE (secret), REFERENCES (id) ON app.t1, app.t2, app.v, app.p TO reporting, app, PUBLIC; GRANT SELECT (id, secret) ON app.t1 TO PUBLIC;
SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE, REFERENCES, SELECT ON app.t1, app.t2, app.v, app.p FROM helper; RESET ROLE`, []string{"helper"}, ""},
		// declared grantor reporting holds REFERENCES (id) from owner and passed it to app.
		"declaredHolds": {`SET ROLE migrator; GRANT REFERENCES (id) ON app.t1 TO reporting; GRANT REFERENCES ON app.t1 TO reporting WITH GRANT OPTION; SET ROLE reporting; GRANT REFERENCES (id) ON app.t1 TO app; SET ROLE migrator; REVOKE GRANT OPTION FOR REFERENCES ON app.t1 FROM reporting; RESET ROLE`, nil, ""},
		// helper holds the column privilege without the grant option from a role other than the owner.
		"fromOther": {`SET ROLE postgres; CREATE ROLE a; CREATE ROLE helper; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO helper, a; GRANT UPDATE ON app.t1 TO a WITH GRANT OPTION; SET ROLE a; GRANT UPDATE (secret) ON app.t1 TO helper; SET ROLE migrator; GRANT UPDATE ON app.t1 TO helper WITH GRANT OPTION; SET ROLE helper; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM helper; RESET ROLE`, []string{"a", "helper"}, ""},
		// helper was created by the superuser: on 16+ the admin may not act as it, a problem.
		"superCreated": {`CREATE ROLE helper; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO helper; GRANT UPDATE ON app.t1 TO helper WITH GRANT OPTION; SET ROLE helper; GRANT UPDATE (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE ON app.t1 FROM helper; RESET ROLE`, []string{"helper"}, adminOn16},
		// The grantor became a superuser after granting: a problem.
		"superGrantor": {`SET ROLE postgres; CREATE ROLE s; SET ROLE migrator; GRANT USAGE ON SCHEMA app TO s; GRANT UPDATE ON app.t1 TO s WITH GRANT OPTION; SET ROLE s; GRANT UPDATE (secret) ON app.t1 TO reporting; RESET ROLE; ALTER ROLE s SUPERUSER`, []string{"s"}, `granted by "s", which has since become a superuser`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db := pgtest.Fresh(t)
			s := exampleSpec(t)
			doApply(t, db, s)
			db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); CREATE TABLE app.t2 (id int, secret text); RESET ROLE")
			db.Exec(t, c.setup)
			before := heldBy(t, db, c.undeclared)
			p := doPlan(t, db, s)
			if c.problem != "" {
				if !strings.Contains(strings.Join(p.Problems, "\n"), c.problem) {
					t.Fatalf("expected a problem with %s:\n%s", c.problem, planText(t, p))
				}
				fp := catalogFingerprint(t, db)
				if _, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{Secrets: testSecrets(t)}); err == nil {
					t.Error("apply succeeded despite the problem")
				}
				if catalogFingerprint(t, db) != fp {
					t.Error("apply changed the catalog despite the problem")
				}
				return
			}
			if len(p.Problems) > 0 || p.Empty() {
				t.Fatalf("the plan should revoke the column privileges, without problems:\n%s", planText(t, p))
			}
			doApply(t, db, s)
			expectNoChanges(t, db, s)
			if after := heldBy(t, db, c.undeclared); after != before {
				t.Errorf("the undeclared roles' privileges changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// heldBy lists the table and column ACL entries in schema app whose
// grantee is one of roles.
func heldBy(t *testing.T, db *pgtest.DB, roles []string) string {
	t.Helper()
	return strings.Join(db.Strings(t, `
select c.relname || ':' || e::text from pg_class c, unnest(c.relacl) e
where c.relnamespace = 'app'::regnamespace and (select pg_get_userbyid(x.grantee) from aclexplode(array[e]) x limit 1) = any($1)
union all
select c.relname || '.' || a.attname || ':' || e::text from pg_class c join pg_attribute a on a.attrelid = c.oid, unnest(a.attacl) e
where c.relnamespace = 'app'::regnamespace and a.attnum > 0 and (select pg_get_userbyid(x.grantee) from aclexplode(array[e]) x limit 1) = any($1)
order by 1`, roles), " ")
}
