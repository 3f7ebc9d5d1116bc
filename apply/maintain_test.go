package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestMaintainFollowsTheServer: tables: [ALL] means what PostgreSQL's ALL
// means on the server (MAINTAIN included from 17 on) and converges on
// every major; naming MAINTAIN is granted on 17+ and, before 17, is a plan
// problem that changes nothing (never a failing GRANT).
func TestMaintainFollowsTheServer(t *testing.T) {
	db := pgtest.Fresh(t)
	has17 := db.Bool(t, "select current_setting('server_version_num')::int >= 170000")
	const base = `
schemas:
  app: {owner: migrator}
roles:
  migrator: {}
`
	all := mustSpec(t, base+"  app: {login: true, access: {app: {schema: [USAGE], tables: [ALL]}}}\n")
	doApply(t, db, all)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t (id int); RESET ROLE")
	doApply(t, db, all)
	expectNoChanges(t, db, all)
	privs := "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER'"
	if has17 {
		privs = "'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, MAINTAIN'"
	}
	if !db.Bool(t, "select has_table_privilege('app', 'app.t', "+privs+")") {
		t.Fatalf("tables: [ALL] should give app %s on app.t", privs)
	}
	if has17 && !db.Bool(t, "select has_table_privilege('app', 'app.t', 'MAINTAIN')") {
		t.Fatal("ALL on PostgreSQL 17+ should include MAINTAIN")
	}

	named := mustSpec(t, "profiles:\n  keeper: {schema: [USAGE], tables: [SELECT, MAINTAIN]}\n"+base+"  app: {login: true, access: {app: keeper}}\n")
	if !has17 {
		before := catalogFingerprint(t, db)
		_, err := apply.Apply(context.Background(), adminConn(t, db), desired(named), apply.Options{})
		var pe *apply.ProblemsError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `profile "keeper" (used by roles.app.access.app) names the table privilege MAINTAIN, which exists from PostgreSQL 17 on`) {
			t.Fatalf("naming MAINTAIN before PostgreSQL 17 should be a plan problem, got %v", err)
		}
		if catalogFingerprint(t, db) != before {
			t.Fatal("a refused plan changed the catalog")
		}
		return
	}
	doApply(t, db, named)
	expectNoChanges(t, db, named)
	if !db.Bool(t, "select has_table_privilege('app', 'app.t', 'SELECT, MAINTAIN') and not has_table_privilege('app', 'app.t', 'INSERT')") {
		t.Fatal("the keeper profile should leave app SELECT and MAINTAIN only")
	}
	// A table made later gets the same through default privileges.
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.later (id int); RESET ROLE")
	if !db.Bool(t, "select has_table_privilege('app', 'app.later', 'MAINTAIN')") {
		t.Fatal("MAINTAIN did not reach a table the migrator made later")
	}
}
