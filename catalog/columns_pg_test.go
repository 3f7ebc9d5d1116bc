package catalog_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// columnTruth is the server's own reading of the column privileges of the
// schemas (aclexplode, grouped on the server): what the column_acls query
// returned before it sent each column's ACL as text for the caller to
// parse and group, with the same choice of entries: those of the
// grantees (all when nil) and PUBLIC, what the grantees passed on, and on
// each table what the grantors (other than the owner) of those entries
// hold and passed on. Each grant is rendered as one line. The grants of a
// role named "PUBLIC" are left out, as rolekeeper leaves them out (they
// would read as PUBLIC's: catalog/acl.go, rolePUBLIC).
func columnTruth(t *testing.T, db *pgtest.DB, schemas, grantees []string) []string {
	t.Helper()
	rows, _ := db.Super.Query(context.Background(), `
with e as (
  select s.nspname::text as schema, c.oid as rel, c.relname::text as relname, c.relowner as owner, a.attnum, a.attname::text as attname,
         x.grantee, x.grantor, x.privilege_type, x.is_grantable,
         x.grantee = 0 or $2::text[] is null or pg_get_userbyid(x.grantee) = any($2::text[]) as kept
  from pg_attribute a
  join pg_class c on c.oid = a.attrelid
  join pg_namespace s on s.oid = c.relnamespace
  cross join lateral aclexplode(a.attacl) x
  where a.attacl is not null and a.attnum > 0 and not a.attisdropped
    and c.relkind in ('r', 'p', 'v', 'm', 'f') and s.nspname = any($1::text[])
    and not (x.grantee <> 0 and pg_get_userbyid(x.grantee) = 'PUBLIC')
), grantors as (
  select distinct rel, grantor as role from e where kept and grantor <> owner
)
select e.schema, e.relname, pg_get_userbyid(e.owner)::text,
       case when e.grantee = 0 then 'PUBLIC' else pg_get_userbyid(e.grantee)::text end,
       pg_get_userbyid(e.grantor)::text, e.privilege_type, e.is_grantable,
       array_agg(e.attname order by e.attnum)
from e
where e.kept
   or exists (select from grantors g where g.rel = e.rel and g.role = e.grantee)
   or (e.grantor <> e.owner and (pg_get_userbyid(e.grantor) = any($2::text[])
                                 or exists (select from grantors g where g.rel = e.rel and g.role = e.grantor)))
group by 1, 2, 3, 4, 5, 6, 7`, schemas, grantees)
	var out []string
	var schema, table, owner, grantee, grantor, priv string
	var grantable bool
	var cols []string
	if _, err := pgx.ForEachRow(rows, []any{&schema, &table, &owner, &grantee, &grantor, &priv, &grantable, &cols}, func() error {
		out = append(out, columnLine(schema, table, owner, grantee, grantor, priv, grantable, cols))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func columnLine(schema, table, owner, grantee, grantor, priv string, grantable bool, cols []string) string {
	return fmt.Sprintf("%q.%q owner %q: %q holds %s (%q) from %q, grantable %v", schema, table, owner, grantee, priv, cols, grantor, grantable)
}

// columnsInspected reads the same through catalog.Inspect with the scope.
func columnsInspected(t *testing.T, db *pgtest.DB, scope catalog.Scope) []string {
	t.Helper()
	snap := inspectScope(t, db, scope)
	var out []string
	for _, name := range scope.Schemas {
		sc := snap.DB.Schemas[name]
		if sc == nil {
			t.Fatalf("schema %q not read", name)
		}
		for _, c := range sc.Columns {
			out = append(out, columnLine(name, c.Table, c.Owner, c.Grantee, c.Grantor, c.Privilege, c.Grantable, c.Columns))
		}
		// Each schema's grants come in byte order of table, grantee
		// (PUBLIC first), grantor, privilege and grant option.
		if !sort.SliceIsSorted(sc.Columns, func(i, j int) bool {
			a, b := sc.Columns[i], sc.Columns[j]
			ka := []string{a.Table, sortName(a.Grantee), a.Grantor, a.Privilege, fmt.Sprint(a.Grantable)}
			kb := []string{b.Table, sortName(b.Grantee), b.Grantor, b.Privilege, fmt.Sprint(b.Grantable)}
			return strings.Join(ka, "\x00") < strings.Join(kb, "\x00")
		}) {
			t.Errorf("schema %q: column grants not in order: %v", name, out)
		}
	}
	sort.Strings(out)
	return out
}

// sortName is the name a grantee sorts by: PUBLIC's is empty (a role
// named "PUBLICx" sorts by its whole name).
func sortName(grantee string) string {
	if grantee == "PUBLIC" {
		return ""
	}
	return grantee
}

// TestColumnACLsAgreeWithTheServer: column privileges parsed and grouped
// by the caller are exactly the server's aclexplode of the same ACLs, with
// owners, grantees and grantors whose names the ACL text quotes (slashes,
// equals signs, quotes, commas, spaces, a role named "PUBLIC"), grant
// options passed on, PUBLIC, every column privilege, columns granted out
// of their order, a dropped column, a view and a partitioned table; for
// every grantee and for a scope of some grantees (which keeps PUBLIC's,
// what those grantees passed on, and what their grantors hold and passed
// on).
func TestColumnACLsAgreeWithTheServer(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE "o/=w""n"; CREATE ROLE a; CREATE ROLE "b,=/c"; CREATE ROLE "PUBLIC"; CREATE ROLE "sp ace"; CREATE ROLE "Ünï"; CREATE ROLE "PUBLICx";
CREATE SCHEMA s AUTHORIZATION "o/=w""n"; CREATE SCHEMA "s,2" AUTHORIZATION "o/=w""n"; CREATE SCHEMA other AUTHORIZATION "o/=w""n";
SET ROLE "o/=w""n";
GRANT USAGE ON SCHEMA s, "s,2", other TO a, "b,=/c", "PUBLIC", "sp ace", "Ünï", "PUBLICx";
CREATE TABLE s.t (z int, "y,""col" int, x int, dropped int, w int);
ALTER TABLE s.t DROP COLUMN dropped;
GRANT SELECT (x, z), UPDATE ("y,""col") ON s.t TO a WITH GRANT OPTION;
GRANT INSERT (w, z), REFERENCES (x) ON s.t TO "b,=/c";
GRANT SELECT (w) ON s.t TO PUBLIC, "PUBLIC";
GRANT SELECT (z) ON s.t TO "Ünï" WITH GRANT OPTION;
GRANT SELECT (x) ON s.t TO "PUBLICx";
CREATE VIEW s.v AS SELECT 1 AS one, 2 AS two;
GRANT SELECT (two, one) ON s.v TO "sp ace";
CREATE TABLE "s,2"."p t" (k int, v text) PARTITION BY LIST (k);
GRANT UPDATE (v) ON "s,2"."p t" TO "sp ace", a;
CREATE TABLE other.t (c int);
GRANT SELECT (c) ON other.t TO a;
SET ROLE a;
GRANT SELECT (x) ON s.t TO "b,=/c" WITH GRANT OPTION;
GRANT SELECT (z) ON s.t TO "sp ace";
GRANT UPDATE ("y,""col") ON s.t TO "Ünï";
SET ROLE "b,=/c";
GRANT SELECT (x) ON s.t TO "sp ace";
RESET ROLE`)
	schemas := []string{"s", "s,2"}
	for _, grantees := range [][]string{nil, {"a"}, {"b,=/c", "sp ace"}, {"nobody"}} {
		t.Run(fmt.Sprintf("grantees %q", grantees), func(t *testing.T) {
			want := columnTruth(t, db, schemas, grantees)
			if grantees == nil && len(want) < 12 {
				t.Fatalf("the premise (a dozen column grants) does not hold: %q", want)
			}
			got := columnsInspected(t, db, catalog.Scope{Schemas: schemas, Grantees: grantees})
			if !reflect.DeepEqual(got, want) {
				t.Errorf("column grants:\n got %q\nwant %q", got, want)
			}
		})
	}
}
