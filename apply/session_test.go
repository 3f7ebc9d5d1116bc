package apply_test

import (
	"context"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/plan"
)

// foreignSettings are what someone else may set on the database or on the
// admin role to stop rolekeeper, or to change what its statements mean.
var foreignSettings = []string{
	"default_transaction_read_only = on",
	"statement_timeout = 1",
	"lock_timeout = 1",
	"idle_in_transaction_session_timeout = 1",
	"search_path = nowhere",
	"transform_null_equals = on",
	"standard_conforming_strings = off",
	"DateStyle = 'SQL, DMY'",
	"TimeZone = 'Pacific/Kiritimati'",
	"default_transaction_isolation = serializable",
}

// TestSettingsOthersMadeDoNotReachTheAdmin: with the database and the
// admin role (in this database) set read-only, with a 1 ms statement
// timeout, a search_path of their own and more, rolekeeper still plans,
// applies, rotates, and reverts the database's settings through the spec.
// On 14+ the admin's idle sessions would be ended after 100 ms, on 16+
// every role it creates would make it a member (and so, through rds_iam,
// lock it out), on 17+ its transactions would end after 1 ms.
func TestSettingsOthersMadeDoNotReachTheAdmin(t *testing.T) {
	db := pgtest.Fresh(t)
	// role: the admin's sessions would act as rds_superuser, not as itself.
	onRole := append([]string{"role = rds_superuser"}, foreignSettings...)
	if pgtest.Server.Major >= 14 {
		onRole = append(onRole, "idle_session_timeout = 100")
	}
	if pgtest.Server.Major >= 16 {
		onRole = append(onRole, "createrole_self_grant = 'set, inherit'")
	}
	if pgtest.Server.Major >= 17 {
		onRole = append(onRole, "transaction_timeout = 1")
	}
	for _, s := range foreignSettings {
		db.Exec(t, "ALTER DATABASE app SET "+s)
	}
	for _, s := range onRole {
		db.Exec(t, "ALTER ROLE postgres IN DATABASE app SET "+s)
	}
	s := mustSpec(t, `database: app
schemas: {app: {owner: migrator}}
roles:
  migrator: {auth: iam}
  app: {auth: iam, access: {app: readwrite}}
  reporting: {auth: password, password_secret: app/reporting, access: {app: readonly}}
database_settings:
  search_path: [app]
  default_transaction_read_only: "off"
  statement_timeout: "0"
  lock_timeout: "0"
  idle_in_transaction_session_timeout: "0"
  transform_null_equals: "off"
  standard_conforming_strings: "on"
  DateStyle: "ISO, MDY"
  TimeZone: UTC
  default_transaction_isolation: read committed
  application_name: "x\\'; CREATE ROLE injected; --"
`)
	ctx := context.Background()
	conn := adminConn(t, db)
	time.Sleep(300 * time.Millisecond) // longer than the idle_session_timeout set above
	p, err := apply.Plan(ctx, conn, desired(s), plan.Options{})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if len(p.Problems) > 0 || p.Empty() {
		t.Fatalf("plan: %v\n%s", p.Problems, planText(t, p))
	}
	time.Sleep(300 * time.Millisecond)
	secrets := testSecrets(t)
	if _, err := apply.Apply(ctx, conn, desired(s), apply.Options{Secrets: secrets}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	login := func(ctx context.Context, user, password string) error {
		return connect.Login(ctx, conn.Config(), user, password)
	}
	if _, err := apply.Rotate(ctx, conn, desired(s), secrets, nil, login, apply.Options{}); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	expectNoChanges(t, db, s)
	got := db.Strings(t, `select unnest(setconfig) from pg_db_role_setting
		where setrole = 0 and setdatabase = (select oid from pg_database where datname = 'app') order by 1`)
	for _, want := range []string{"default_transaction_read_only=off", "statement_timeout=0", "search_path=app", "transform_null_equals=off"} {
		if !contains(got, want) {
			t.Errorf("the database's settings are %q; %q was not reverted", got, want)
		}
	}
	// With standard_conforming_strings off, the backslash would have ended
	// the literal and run the rest.
	if db.Bool(t, "select exists (select 1 from pg_roles where rolname = 'injected')") || !contains(got, `application_name=x\'; CREATE ROLE injected; --`) {
		t.Errorf("a setting value with a backslash was not set as written: %q", got)
	}
	// On 16+ the creator of a role is always an ADMIN-only member of it
	// (no INHERIT, no SET): that is not membership in its rights.
	member := "true"
	if pgtest.Server.Major >= 16 {
		member = "(inherit_option or set_option)"
	}
	if m := db.Strings(t, `select roleid::regrole::text from pg_auth_members where member = 'postgres'::regrole and roleid <> 'rds_superuser'::regrole and `+member); len(m) > 0 {
		t.Fatalf("the admin was left a member of %q", m)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
