package apply_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

// Column privileges (GRANT SELECT (col) ON t) on tables in a managed
// schema: the spec cannot declare them, so an authoritative apply revokes
// those of declared roles and PUBLIC (a grant option too, where the spec
// gives the privilege on the whole table), additive mode lists them, and
// inspect notes them without writing them into the spec.
func TestDriftColumnPrivileges(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); RESET ROLE")
	expectNoChanges(t, db, s)

	// reporting is read-only: SELECT (id) is covered by SELECT on the
	// table, UPDATE and REFERENCES are not.
	driftCase(t, db, s, "SET ROLE migrator; GRANT UPDATE (secret), REFERENCES (id, secret), SELECT (id) ON app.t1 TO reporting; GRANT SELECT (secret) ON app.t1 TO PUBLIC; RESET ROLE",
		`- revoke column privileges REFERENCES ("id", "secret"), UPDATE ("secret") on "app"."t1" from "reporting", granted by "migrator"`,
		`REVOKE REFERENCES ("id", "secret"), UPDATE ("secret") ON TABLE "app"."t1" FROM "reporting"`,
		`REVOKE SELECT ("secret") ON TABLE "app"."t1" FROM PUBLIC`)
	if got := columnACLs(t, db); got != "id:reporting=r/migrator" {
		t.Errorf("column ACLs of app.t1 after apply: %q, want only reporting's SELECT (id)", got)
	}

	// A chain: app holds REFERENCES (secret) with grant option and passed
	// it on to reporting; and a grant option on SELECT (id), which app
	// has on the whole table.
	driftCase(t, db, s, "SET ROLE migrator; GRANT REFERENCES (secret), SELECT (id) ON app.t1 TO app WITH GRANT OPTION; SET ROLE app; GRANT REFERENCES (secret) ON app.t1 TO reporting; RESET ROLE",
		`SET ROLE "app"`,
		`REVOKE REFERENCES ("secret") ON TABLE "app"."t1" FROM "reporting"`,
		`REVOKE REFERENCES ("secret") ON TABLE "app"."t1" FROM "app" CASCADE`,
		`REVOKE GRANT OPTION FOR SELECT ("id") ON TABLE "app"."t1" FROM "app" CASCADE`)
	if got := columnACLs(t, db); got != "id:app=r/migrator id:reporting=r/migrator" {
		t.Errorf("column ACLs of app.t1 after apply: %q", got)
	}

	// A longer chain inside the spec is revoked from its far end, each
	// link as its grantor.
	longer := mustSpec(t, strings.Replace(exampleYAML(t), "roles:\n", "roles:\n  analyst: {}\n", 1))
	doApply(t, db, longer)
	driftCase(t, db, longer, "SET ROLE migrator; GRANT INSERT (id) ON app.t1 TO app WITH GRANT OPTION; SET ROLE app; GRANT INSERT (id) ON app.t1 TO reporting WITH GRANT OPTION; SET ROLE reporting; GRANT INSERT (id) ON app.t1 TO analyst; RESET ROLE",
		`REVOKE INSERT ("id") ON TABLE "app"."t1" FROM "analyst"`,
		`REVOKE INSERT ("id") ON TABLE "app"."t1" FROM "reporting" CASCADE`,
		`REVOKE GRANT OPTION FOR INSERT ("id") ON TABLE "app"."t1" FROM "app" CASCADE`)
	// app may insert into the whole table: it keeps INSERT (id), without the grant option.
	if got := columnACLs(t, db); got != "id:app=ar/migrator id:reporting=r/migrator" {
		t.Errorf("column ACLs of app.t1 after apply: %q", got)
	}

	// Additive mode lists them outside the spec and changes nothing.
	additive := mustSpec(t, strings.Replace(exampleYAML(t), "database: app", "database: app\nmode: additive", 1))
	db.Exec(t, "SET ROLE migrator; GRANT UPDATE (secret) ON app.t1 TO reporting; RESET ROLE")
	p := doPlan(t, db, additive)
	if text := planText(t, p); !p.Empty() || !strings.Contains(text, `? "reporting" holds column privileges UPDATE ("secret") on "app"."t1", granted by "migrator"`) {
		t.Errorf("additive plan should change nothing and list the column privilege outside the spec:\n%s", text)
	}

	// inspect notes them and does not write them into the spec.
	got, notes := inspectSpec(t, db)
	if !strings.Contains(strings.Join(notes, "\n"), "reporting holds UPDATE (secret) on table app.t1 (column privileges, granted by migrator): the spec cannot declare column privileges") {
		t.Errorf("inspect notes lack the column privilege: %q", notes)
	}
	if r := got.Roles["reporting"]; r == nil || len(r.Grants) > 0 {
		t.Errorf("inspect wrote grants for reporting: %+v", r)
	}
	driftCase(t, db, s, "", `REVOKE UPDATE ("secret") ON TABLE "app"."t1" FROM "reporting"`)
}

// columnACLs lists the column ACL entries of app.t1 as column:entry.
func columnACLs(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	return strings.Join(db.Strings(t, `select a.attname || ':' || e::text from pg_attribute a, unnest(a.attacl) e
		where a.attrelid = 'app.t1'::regclass and a.attnum > 0 order by 1`), " ")
}

// TestDriftColumnPrivilegesPassedOnUnderATableGrantOption: a role holding
// a privilege on a whole table with grant option passes it on for some
// columns. The column grants are revoked as that role while it still
// holds the option, before the option itself goes: a table-level REVOKE
// leaves the column grants its grantee made (PostgreSQL cascades only
// along column ACLs), and once the option is gone the role can revoke
// nothing, so the apply did not converge.
func TestDriftColumnPrivilegesPassedOnUnderATableGrantOption(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	driftCase(t, db, s, "SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); GRANT SELECT, UPDATE, REFERENCES ON app.t1 TO app WITH GRANT OPTION; SET ROLE app; GRANT UPDATE (id), REFERENCES (secret, id) ON app.t1 TO reporting; RESET ROLE",
		`REVOKE REFERENCES ("id", "secret"), UPDATE ("id") ON TABLE "app"."t1" FROM "reporting"`,
		`REVOKE GRANT OPTION FOR SELECT, UPDATE, REFERENCES ON TABLE "app"."t1" FROM "app"`,
		`REVOKE REFERENCES ON ALL TABLES IN SCHEMA "app" FROM "app"`)
	if got := columnACLs(t, db); got != "" {
		t.Errorf("column ACLs of app.t1 after apply: %q, want none", got)
	}
}

// TestDriftOrphanedColumnPrivileges: column privileges a role passed on
// under a table-level grant option that was then revoked without them
// (PostgreSQL does not cascade a table-level REVOKE to column grants):
// the role can no longer revoke them, so it is given the option on those
// columns for the revoke, and loses it again (keeping a column privilege
// it held of its own). Before, the revoke did nothing, every plan
// repeated it, and the grantee kept the privileges. The role is declared
// in the spec (app), or not (helper, whose own privileges were not read
// before): an undeclared one is left exactly as it was, its table-level
// privileges too.
func TestDriftOrphanedColumnPrivileges(t *testing.T) {
	for _, grantor := range []string{"app", "helper"} {
		t.Run(grantor, func(t *testing.T) {
			db := pgtest.Fresh(t)
			s := exampleSpec(t)
			doApply(t, db, s)
			// helper is created by the admin (as on RDS), which may then
			// act as it on 16+.
			db.Exec(t, strings.ReplaceAll("SET ROLE postgres; CREATE ROLE helper; SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); GRANT USAGE ON SCHEMA app TO helper; GRANT UPDATE (id) ON app.t1 TO {g}; GRANT UPDATE, REFERENCES ON app.t1 TO {g} WITH GRANT OPTION; SET ROLE {g}; GRANT UPDATE (id), REFERENCES (secret, id) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE, REFERENCES ON app.t1 FROM {g}; RESET ROLE", "{g}", grantor))
			if got, want := columnACLs(t, db), strings.ReplaceAll("id:{g}=w/migrator id:reporting=wx/{g} secret:reporting=x/{g}", "{g}", grantor); got != want {
				t.Fatalf("the premise (column grants by %s, which holds no grant option) does not hold: %q", grantor, got)
			}
			tableACL := func() string {
				t.Helper()
				return strings.Join(db.Strings(t, `select e::text from pg_class c, unnest(c.relacl) e where c.oid = 'app.t1'::regclass and e::text like $1 order by 1`, grantor+"=%"), " ")
			}
			before := tableACL()
			q := `"` + grantor + `"`
			driftCase(t, db, s, "",
				`GRANT REFERENCES ("id", "secret"), UPDATE ("id") ON TABLE "app"."t1" TO `+q+` WITH GRANT OPTION`,
				`REVOKE REFERENCES ("id", "secret"), UPDATE ("id") ON TABLE "app"."t1" FROM "reporting"`,
				`REVOKE REFERENCES ("id", "secret") ON TABLE "app"."t1" FROM `+q+` CASCADE`,
				`REVOKE GRANT OPTION FOR UPDATE ("id") ON TABLE "app"."t1" FROM `+q+` CASCADE`)
			if got := columnACLs(t, db); got != "id:"+grantor+"=w/migrator" {
				t.Errorf("column ACLs of app.t1 after apply: %q, want %s's own UPDATE (id) only", got, grantor)
			}
			if after := tableACL(); grantor == "helper" && (after != before || before != "helper=wx/migrator") {
				t.Errorf("the undeclared helper's privileges on app.t1 changed: %q before, %q after", before, after)
			}

			// Taking the option back would cascade to a role outside the
			// spec: a problem, and nothing is applied.
			db.Exec(t, strings.ReplaceAll("CREATE ROLE outsider; SET ROLE migrator; GRANT REFERENCES ON app.t1 TO {g} WITH GRANT OPTION; SET ROLE {g}; GRANT REFERENCES (secret) ON app.t1 TO reporting, outsider; SET ROLE migrator; REVOKE REFERENCES ON app.t1 FROM {g}; RESET ROLE", "{g}", grantor))
			if p := doPlan(t, db, s); !strings.Contains(strings.Join(p.Problems, "\n"), q+` also passed them on to "outsider", outside the spec`) {
				t.Errorf("expected a problem about the cascade to outsider:\n%s", planText(t, p))
			}
		})
	}
}

// TestDriftColumnPrivilegesGrantedByANowSuperuser: column privileges,
// and privileges on a whole table, granted by a role that has since
// become a superuser. A superuser's REVOKE acts as the table's owner, so
// SET ROLE to it and REVOKE removed nothing: with a superuser admin every
// plan repeated the revoke (and the non-superuser admin's problem told it
// to change the objects' owner). It is a plan problem, whoever connects,
// and nothing is applied.
func TestDriftColumnPrivilegesGrantedByANowSuperuser(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, `SET ROLE postgres; CREATE ROLE s; SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); GRANT USAGE ON SCHEMA app TO s;
CREATE TABLE app.t2 (id int);
GRANT UPDATE ON app.t1, app.t2 TO s WITH GRANT OPTION; SET ROLE s; GRANT UPDATE (secret) ON app.t1 TO reporting; GRANT UPDATE ON app.t2 TO reporting; RESET ROLE; ALTER ROLE s SUPERUSER`)
	ctx := context.Background()
	super, err := connect.Connect(ctx, connect.Options{DSN: pgtest.Server.SuperDSN("app")})
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	for name, conn := range map[string]*pgx.Conn{"admin": adminConn(t, db), "superuser": super} {
		p, err := apply.Plan(ctx, conn, desired(s), plan.Options{})
		if err != nil {
			t.Fatal(err)
		}
		problems := strings.Join(p.Problems, "\n")
		if !strings.Contains(problems, `"reporting" holds column privileges UPDATE ("secret") on "app"."t1", granted by "s", which has since become a superuser`) ||
			!strings.Contains(problems, `"reporting" holds UPDATE on "app"."t2", granted by "s", which has since become a superuser`) {
			t.Errorf("as the %s: expected a problem about the superuser grantor:\n%s", name, planText(t, p))
		}
		fp := catalogFingerprint(t, db)
		if _, err := apply.Apply(ctx, conn, desired(s), apply.Options{Secrets: testSecrets(t)}); err == nil {
			t.Errorf("as the %s: apply succeeded despite the problem", name)
		}
		if catalogFingerprint(t, db) != fp || columnACLs(t, db) != "secret:reporting=w/s" {
			t.Errorf("as the %s: apply changed the catalog; column ACLs %q", name, columnACLs(t, db))
		}
	}
}

// TestOrphanedColumnLendIsRolledBackWhenTheApplyFails: the owner lends an
// undeclared grantor the grant option, the grantor revokes, and the
// owner's taking it back fails (an event trigger raises on it, the worst
// moment: the option is lent and the grants are gone). The apply reports
// the rollback, and the undeclared grantor, the grantee and the table are
// exactly as before: the lent option does not outlive the transaction.
func TestOrphanedColumnLendIsRolledBackWhenTheApplyFails(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE postgres; CREATE ROLE helper; SET ROLE migrator; CREATE TABLE app.t1 (id int, secret text); GRANT USAGE ON SCHEMA app TO helper; GRANT UPDATE, REFERENCES ON app.t1 TO helper WITH GRANT OPTION; SET ROLE helper; GRANT UPDATE (id), REFERENCES (secret) ON app.t1 TO reporting; SET ROLE migrator; REVOKE GRANT OPTION FOR UPDATE, REFERENCES ON app.t1 FROM helper; RESET ROLE")
	acls := func() string {
		t.Helper()
		return strings.Join(db.Strings(t, `select 'table:' || e::text from pg_class c, unnest(c.relacl) e where c.oid = 'app.t1'::regclass
			union all select a.attname || ':' || e::text from pg_attribute a, unnest(a.attacl) e where a.attrelid = 'app.t1'::regclass and a.attnum > 0
			order by 1`), " ")
	}
	before := acls()
	if !strings.Contains(before, "id:reporting=w/helper") || !strings.Contains(before, "secret:reporting=x/helper") || !strings.Contains(before, "table:helper=wx/migrator") {
		t.Fatalf("the premise (column grants by helper) does not hold: %q", before)
	}
	// Only the take-back is a REVOKE the owner runs in this plan.
	db.Exec(t, `CREATE FUNCTION public.refuse_take_back() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'migrator' AND tg_tag = 'REVOKE' THEN
    RAISE EXCEPTION 'refused by the test at the take-back';
  END IF;
END $$;
CREATE EVENT TRIGGER refuse_take_back ON ddl_command_end WHEN TAG IN ('REVOKE') EXECUTE FUNCTION public.refuse_take_back()`)
	p := doPlan(t, db, s)
	if text := planText(t, p); !strings.Contains(text, `REVOKE REFERENCES ("secret"), UPDATE ("id") ON TABLE "app"."t1" FROM "helper" CASCADE`) {
		t.Fatalf("the plan does not lend helper the option and take it back:\n%s", text)
	}
	_, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{Secrets: testSecrets(t)})
	if err == nil || !strings.Contains(err.Error(), "refused by the test at the take-back") || !strings.Contains(err.Error(), "rolled back") {
		t.Fatalf("expected the take-back to fail and the apply to roll back, got %v", err)
	}
	if after := acls(); after != before {
		t.Errorf("a failed apply left app.t1's privileges changed:\n before %q\n after  %q", before, after)
	}
}
