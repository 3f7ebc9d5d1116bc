package catalog_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/state"
)

// membershipTruth reads memberships and all-database role settings as the
// queries did before they named roles with pg_get_userbyid instead of
// joining the pg_roles view: one line per membership, and per role with
// settings.
func membershipTruth(t *testing.T, db *pgtest.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	rows, _ := db.Super.Query(ctx, `
select r.rolname::text, m.rolname::text, bool_or(am.admin_option),
       array_agg(distinct coalesce(g.rolname::text, '')),
       bool_and(not coalesce((to_jsonb(am) ->> 'inherit_option')::bool, true)
                and not coalesce((to_jsonb(am) ->> 'set_option')::bool, true))
from pg_auth_members am
join pg_roles r on r.oid = am.roleid
join pg_roles m on m.oid = am.member
left join pg_roles g on g.oid = am.grantor
group by 1, 2`)
	var role, member string
	var admin, adminOnly bool
	var grantors []string
	if _, err := pgx.ForEachRow(rows, []any{&role, &member, &admin, &grantors, &adminOnly}, func() error {
		sort.Strings(grantors)
		out = append(out, fmt.Sprintf("%q member of %q: admin %v, grantors %q, admin only %v", member, role, admin, grantors, adminOnly))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, _ = db.Super.Query(ctx, `select r.rolname::text, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where s.setdatabase = 0`)
	var config []string
	if _, err := pgx.ForEachRow(rows, []any{&role, &config}, func() error {
		var read []string
		for _, entry := range config {
			k, v := state.ParseSetting(entry)
			read = append(read, k+"="+strings.Join(v, ", "))
		}
		sort.Strings(read)
		out = append(out, fmt.Sprintf("%q sets %q", role, read))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestMembershipsAndRoleSettingsAgreeWithTheServer: memberships (with
// several grantors from PostgreSQL 16, and a grantor dropped since before
// 16, which reads as unknown) and settings for all databases are read
// with their roles' names, quoted or not, as the joins with pg_roles read
// them.
func TestMembershipsAndRoleSettingsAgreeWithTheServer(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE "r,1"; CREATE ROLE "m""x" LOGIN; CREATE ROLE "G/2" CREATEROLE; CREATE ROLE gone CREATEROLE; CREATE ROLE "sp ace";
GRANT "r,1" TO "G/2", gone WITH ADMIN OPTION; GRANT "r,1" TO "sp ace";
SET ROLE "G/2"; GRANT "r,1" TO "m""x"; RESET ROLE;
ALTER ROLE "m""x" SET work_mem = '1MB'; ALTER ROLE "sp ace" SET search_path = 'a, "b c"'; ALTER ROLE "m""x" IN DATABASE postgres SET work_mem = '2MB'`)
	if pgtest.Server.Major >= 16 {
		// The same membership from a second grantor.
		db.Exec(t, `SET ROLE gone; GRANT "r,1" TO "m""x"; RESET ROLE`)
	} else {
		// A grantor dropped after granting: before 16 the membership
		// keeps its OID.
		db.Exec(t, `SET ROLE gone; GRANT "r,1" TO "sp ace"; RESET ROLE; REVOKE "r,1" FROM "sp ace"; SET ROLE gone; GRANT "r,1" TO "sp ace"; RESET ROLE; DROP ROLE gone`)
	}
	want := membershipTruth(t, db)
	snap := inspect(t, db)
	var got []string
	for name, r := range snap.Roles {
		for role, m := range r.MemberOf {
			got = append(got, fmt.Sprintf("%q member of %q: admin %v, grantors %q, admin only %v", name, role, m.Admin, m.Grantors, m.AdminOnly))
		}
		if len(r.AllDatabaseSettings) > 0 {
			var config []string
			for k, v := range r.AllDatabaseSettings {
				config = append(config, k+"="+strings.Join(v, ", "))
			}
			sort.Strings(config)
			got = append(got, fmt.Sprintf("%q sets %q", name, config))
		}
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("memberships and settings:\n got %q\nwant %q", got, want)
	}
	joined := strings.Join(want, "\n")
	if pgtest.Server.Major < 16 && !strings.Contains(joined, `"sp ace" member of "r,1": admin false, grantors [""]`) {
		t.Errorf("the premise (a membership whose grantor was dropped) does not hold:\n%s", joined)
	}
	if pgtest.Server.Major >= 16 && !strings.Contains(joined, `grantors ["G/2" "gone"]`) {
		t.Errorf("the premise (a membership from two grantors) does not hold:\n%s", joined)
	}
}
