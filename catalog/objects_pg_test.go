package catalog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/state"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// holding is one privilege a grantee holds on one object of a kind.
type holding struct{ kind, object, grantee, privilege string }

// truth reads, as the superuser, every privilege held on the tables, views
// and sequences of schema s, one row per privilege (aclexplode: exact, no
// grouping), the owners' own left out.
func truth(t *testing.T, db *pgtest.DB) []holding {
	t.Helper()
	rows, _ := db.Super.Query(context.Background(), `
select case c.relkind when 'S' then 'sequences' else 'tables' end, c.relname::text,
       case when e.grantee = 0 then 'PUBLIC' else pg_get_userbyid(e.grantee)::text end, e.privilege_type
from pg_class c, aclexplode(coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner))) e
where c.relnamespace = 's'::regnamespace and c.relkind in ('r', 'S', 'v') and e.grantee <> c.relowner`)
	var out []holding
	var h holding
	if _, err := pgx.ForEachRow(rows, []any{&h.kind, &h.object, &h.grantee, &h.privilege}, func() error {
		out = append(out, h)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return sortedHoldings(out)
}

// inspect reads the whole catalog as rolekeeper's admin session does.
func inspect(t *testing.T, db *pgtest.DB) *catalog.Snapshot {
	return inspectScope(t, db, catalog.Scope{})
}

// inspectScope reads what scope names, as rolekeeper's admin session does.
func inspectScope(t *testing.T, db *pgtest.DB, scope catalog.Scope) *catalog.Snapshot {
	t.Helper()
	ctx := context.Background()
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	snap, err := catalog.Inspect(ctx, conn, scope)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// inspected reads the same through catalog.Inspect: each object's
// privileges from the full grants, the partial ones and the object names.
func inspected(t *testing.T, db *pgtest.DB) ([]holding, map[state.ObjectKind][]string) {
	t.Helper()
	snap := inspect(t, db)
	sc := snap.DB.Schemas["s"]
	if sc == nil {
		t.Fatal("schema s not inspected")
	}
	var out []holding
	names := map[state.ObjectKind][]string{}
	for _, kind := range []state.ObjectKind{state.Tables, state.Sequences} {
		og := sc.Objects[kind]
		names[kind] = og.Names
		if len(og.Chains) > 0 {
			t.Fatalf("%s: unexpected chains %+v", kind, og.Chains)
		}
		holders := func(grantee string, listed []string, has bool) []string {
			in := map[string]bool{}
			for _, n := range listed {
				in[n] = true
			}
			var got []string
			for _, n := range og.Names {
				if in[n] == has && og.NameOwners[n] != grantee {
					got = append(got, n)
				}
			}
			return got
		}
		for grantee, privs := range og.Full {
			for _, p := range privs.Names() {
				for _, n := range holders(grantee, nil, false) {
					out = append(out, holding{string(kind), n, grantee, p})
				}
			}
		}
		for grantee, set := range og.Partial {
			for p, part := range set {
				for _, n := range holders(grantee, part.Objects, part.HasListed) {
					out = append(out, holding{string(kind), n, grantee, p})
				}
			}
		}
	}
	return sortedHoldings(out), names
}

func sortedHoldings(h []holding) []holding {
	sort.Slice(h, func(i, j int) bool {
		a, b := h[i], h[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.object != b.object {
			return a.object < b.object
		}
		if a.grantee != b.grantee {
			return a.grantee < b.grantee
		}
		return a.privilege < b.privilege
	})
	return h
}

func checkAgainstTruth(t *testing.T, db *pgtest.DB) {
	t.Helper()
	want := truth(t, db)
	got, _ := inspected(t, db)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inspection differs from the catalog's ACLs:\n got %d privileges %v\nwant %d privileges %v", len(got), got, len(want), want)
	}
}

// TestObjectACLsGroupExactly: objects are grouped by ACL on the server and
// merged in Go, so a grouping that is not exact shows here as privileges
// moved from one table to another. Two ACLs whose items PostgreSQL hashes
// alike (hash_aclitem adds privileges, grantee and grantor: a=r and b=a
// with b's oid one above a's) must stay apart; ACLs listing the same items
// in another order (a repair appends its grantees) hold the same
// privileges.
func TestObjectACLsGroupExactly(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE ROLE o; CREATE ROLE a; CREATE ROLE b; CREATE SCHEMA s AUTHORIZATION o")
	var oa, ob uint32
	if err := db.Super.QueryRow(context.Background(), "select 'a'::regrole::oid, 'b'::regrole::oid").Scan(&oa, &ob); err != nil {
		t.Fatal(err)
	}
	d := int(ob) - int(oa)
	if d < 1 || d > 126 {
		t.Skipf("roles a and b have oids %d and %d: no table privileges make their ACL items hash alike", oa, ob)
	}
	// INSERT is bit 0 of an ACL item's privileges, SELECT bit 1, UPDATE
	// bit 2, and so on in this order: privileges worth d+1 for a, INSERT
	// (1) for b, make a's item and b's add up to the same hash.
	order := []string{"INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
	var forA []string
	for i, p := range order {
		if (d+1)&(1<<i) != 0 {
			forA = append(forA, p)
		}
	}
	db.Exec(t, fmt.Sprintf(`SET ROLE o;
CREATE TABLE s.t1 (id int); CREATE TABLE s.t2 (id int); CREATE TABLE s.t3 (id int); CREATE TABLE s.t4 (id int);
CREATE SEQUENCE s.q1; CREATE SEQUENCE s.q2;
GRANT %s ON s.t1 TO a; GRANT INSERT ON s.t2 TO b;
GRANT SELECT ON s.t3 TO a; GRANT SELECT ON s.t3 TO b;
GRANT SELECT ON s.t4 TO b; GRANT SELECT ON s.t4 TO a;
GRANT USAGE ON s.q1 TO a; GRANT SELECT ON s.q2 TO b;
RESET ROLE`, strings.Join(forA, ", ")))
	// The premise: t1's and t2's ACLs hash alike, t3's and t4's are the
	// same items in another order.
	if !db.Bool(t, `select hash_array(a.relacl) = hash_array(b.relacl) and a.relacl <> b.relacl
from pg_class a, pg_class b where a.oid = 's.t1'::regclass and b.oid = 's.t2'::regclass`) {
		t.Fatal("t1's and t2's ACLs do not hash alike: the test proves nothing")
	}
	if !db.Bool(t, `select a.relacl <> b.relacl and a.relacl @> b.relacl and b.relacl @> a.relacl
from pg_class a, pg_class b where a.oid = 's.t3'::regclass and b.oid = 's.t4'::regclass`) {
		t.Fatal("t3's and t4's ACLs are not the same items in another order")
	}
	checkAgainstTruth(t, db)
}

// TestObjectACLsAfterDriftAndRepair: many tables, each losing privileges
// at random and some of them granted back (their ACLs reordered), are
// inspected exactly as the catalog holds them.
func TestObjectACLsAfterDriftAndRepair(t *testing.T) {
	db := pgtest.Fresh(t)
	const tables, roles = 40, 12
	var setup strings.Builder
	setup.WriteString("CREATE ROLE o; CREATE SCHEMA s AUTHORIZATION o;")
	all := make([]string, roles)
	for r := range all {
		all[r] = fmt.Sprintf("r%02d", r)
		fmt.Fprintf(&setup, "CREATE ROLE %s;", all[r])
	}
	setup.WriteString("SET ROLE o;")
	for i := 0; i < tables; i++ {
		fmt.Fprintf(&setup, "CREATE TABLE s.t%02d (id int); GRANT SELECT, INSERT ON s.t%02d TO %s;", i, i, strings.Join(all, ", "))
	}
	setup.WriteString("RESET ROLE")
	db.Exec(t, setup.String())
	checkAgainstTruth(t, db)

	rng := rand.New(rand.NewPCG(14, 14))
	var drift, repair strings.Builder
	drift.WriteString("SET ROLE o;")
	repair.WriteString("SET ROLE o;")
	for i := 0; i < tables; i++ {
		if rng.IntN(4) == 0 {
			continue // some tables keep the common ACL
		}
		for n := rng.IntN(3) + 1; n > 0; n-- {
			r := all[rng.IntN(roles)]
			p := []string{"SELECT", "INSERT", "SELECT, INSERT"}[rng.IntN(3)]
			fmt.Fprintf(&drift, "REVOKE %s ON s.t%02d FROM %s;", p, i, r)
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&repair, "GRANT %s ON s.t%02d TO %s;", p, i, r)
			}
		}
	}
	drift.WriteString("RESET ROLE")
	repair.WriteString("RESET ROLE")
	db.Exec(t, drift.String())
	checkAgainstTruth(t, db)
	db.Exec(t, repair.String())
	checkAgainstTruth(t, db)
}

// TestObjectNamesAsWritten: object names are read as the text of one
// array and split in Go; names the array quotes come back as they are.
func TestObjectNamesAsWritten(t *testing.T) {
	db := pgtest.Fresh(t)
	names := []string{"plain", "a,b", "{x}", `"q"`, "NULL", `back\slash`, " sp ace ", "Ünï", "with}brace", "semi;colon"}
	var setup strings.Builder
	setup.WriteString("CREATE ROLE o; CREATE ROLE a; CREATE SCHEMA s AUTHORIZATION o; SET ROLE o;")
	for i, n := range names {
		q := pgx.Identifier{"s", n}.Sanitize()
		fmt.Fprintf(&setup, "CREATE TABLE %s (id int);", q)
		if i%2 == 0 {
			fmt.Fprintf(&setup, "GRANT SELECT ON %s TO a;", q)
		}
	}
	setup.WriteString("RESET ROLE")
	db.Exec(t, setup.String())
	got, kinds := inspected(t, db)
	want := append([]string(nil), names...)
	sort.Strings(want)
	if !reflect.DeepEqual(kinds[state.Tables], want) {
		t.Errorf("table names: got %q, want %q", kinds[state.Tables], want)
	}
	if w := truth(t, db); !reflect.DeepEqual(got, w) {
		t.Errorf("privileges: got %v, want %v", got, w)
	}
}

// TestSchemasAndDefaultsReadPerSchema: schemas and default privileges are
// read one row per identical ACL with the names of the schemas that have
// it; each schema gets exactly its own privileges.
func TestSchemasAndDefaultsReadPerSchema(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE o; CREATE ROLE p; CREATE ROLE a; CREATE ROLE b;
CREATE SCHEMA s1 AUTHORIZATION o; CREATE SCHEMA s2 AUTHORIZATION o; CREATE SCHEMA s3 AUTHORIZATION o;
CREATE SCHEMA s4 AUTHORIZATION p; CREATE SCHEMA "we,ird ""s""" AUTHORIZATION o; CREATE SCHEMA bare AUTHORIZATION o;
GRANT USAGE ON SCHEMA s1, s2, s4, "we,ird ""s""" TO a; GRANT USAGE, CREATE ON SCHEMA s3 TO a, b;
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA s1, s2, "we,ird ""s""" GRANT SELECT ON TABLES TO a;
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA s3 GRANT SELECT, INSERT ON TABLES TO a, b;
ALTER DEFAULT PRIVILEGES FOR ROLE p IN SCHEMA s1, s4 GRANT SELECT ON TABLES TO a;
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA s1, s2 GRANT USAGE ON SEQUENCES TO b`)
	// The truth, one line per schema, creator, kind, grantee and privilege.
	rows, _ := db.Super.Query(context.Background(), `
select n.nspname::text || ' owner ' || pg_get_userbyid(n.nspowner) || ': ' || case when e.grantee = 0 then 'PUBLIC' else pg_get_userbyid(e.grantee)::text end || ' ' || e.privilege_type
from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) e
where n.nspname !~ '^pg_' and n.nspname not in ('information_schema', 'public') and e.grantee <> n.nspowner
union all
select n.nspname::text || ' defaults of ' || pg_get_userbyid(d.defaclrole) || ' on ' || d.defaclobjtype::text || ': ' || pg_get_userbyid(e.grantee) || ' ' || e.privilege_type
from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) e
order by 1`)
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	snap := inspect(t, db)
	letters := map[state.ObjectKind]string{state.Tables: "r", state.Sequences: "S", state.Functions: "f"}
	var got []string
	for name, sc := range snap.DB.Schemas {
		if name == "public" {
			continue
		}
		for grantee, privs := range sc.Privileges {
			for _, p := range privs.Names() {
				got = append(got, fmt.Sprintf("%s owner %s: %s %s", name, sc.Owner, grantee, p))
			}
		}
		for creator, kinds := range sc.Defaults {
			for kind, grants := range kinds {
				for grantee, privs := range grants {
					for _, p := range privs.Names() {
						got = append(got, fmt.Sprintf("%s defaults of %s on %s: %s %s", name, creator, letters[kind], grantee, p))
					}
				}
			}
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("schemas and default privileges:\n got %q\nwant %q", got, want)
	}
	if len(want) < 15 {
		t.Fatalf("the arranged privileges are missing: %q", want)
	}
}

// TestGrantOptionsOfAnOwnerWithASlash: an ACL that holds a grant option
// is read entry by entry with each grantor; an owner (grantor) whose name
// holds a slash is still the owner, and a grantee's privileges are its
// own letters, not letters of the grantor's name.
func TestGrantOptionsOfAnOwnerWithASlash(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE "o/sa"; CREATE ROLE a; CREATE ROLE "b/x"; CREATE SCHEMA s AUTHORIZATION "o/sa"; SET ROLE "o/sa";
GRANT USAGE ON SCHEMA s TO a; CREATE TABLE s.t (id int); GRANT SELECT ON s.t TO a WITH GRANT OPTION; GRANT INSERT ON s.t TO "b/x"; SET ROLE a; GRANT SELECT ON s.t TO "b/x"; RESET ROLE`)
	snap := inspect(t, db)
	og := snap.DB.Schemas["s"].Objects[state.Tables]
	var got []string
	for _, c := range og.Chains {
		got = append(got, fmt.Sprintf("%s from %s by owner %v: %v options %v on %v", c.Grantee, c.Grantor, c.ByOwner, c.Privileges, c.GrantOptions, c.Objects))
	}
	want := []string{
		"a from o/sa by owner true: [SELECT] options [SELECT] on [t]",
		"b/x from a by owner false: [SELECT] options [] on [t]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chains:\n got %q\nwant %q", got, want)
	}
	if p := og.Full["b/x"]; strings.Join(p.Names(), ",") != "INSERT" {
		t.Errorf("b/x holds %v from the owner, want INSERT", p.Names())
	}
}

// TestSchemasSharingOneACLWithHostileNames: many schemas whose names the
// array text quotes or escapes share one owner, ACL and default
// privileges; one of them differs in each. Every schema is read with its
// own name and exactly its own privileges.
func TestSchemasSharingOneACLWithHostileNames(t *testing.T) {
	db := pgtest.Fresh(t)
	names := []string{"a,b", `q"uote`, `back\slash`, "{br}ace", "}", "{", " lead", "trail ", "NULL", "null", `\`, `"`, ",",
		"eq=ual", "sl/ash", "new\nline", "tab\there", "Ünï", "Case", "case", strings.Repeat("y", 61) + "é"}
	var setup strings.Builder
	setup.WriteString(`CREATE ROLE o; CREATE ROLE "g,""r"; CREATE ROLE "b\x";`)
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = pgx.Identifier{n}.Sanitize()
		fmt.Fprintf(&setup, "CREATE SCHEMA %s AUTHORIZATION o;", quoted[i])
	}
	all := strings.Join(quoted, ", ")
	odd := quoted[len(quoted)/2]
	fmt.Fprintf(&setup, `GRANT USAGE ON SCHEMA %s TO "g,""r", PUBLIC; GRANT CREATE ON SCHEMA %s TO "b\x";
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA %s GRANT SELECT ON TABLES TO "g,""r";
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA %s GRANT INSERT ON TABLES TO "b\x";
ALTER DEFAULT PRIVILEGES FOR ROLE o IN SCHEMA %s GRANT USAGE ON SEQUENCES TO PUBLIC`, all, odd, all, odd, all)
	db.Exec(t, setup.String())
	snap := inspect(t, db)
	for i, n := range names {
		sc := snap.DB.Schemas[n]
		if sc == nil {
			t.Errorf("schema %q not read", n)
			continue
		}
		wantPrivs := map[string]string{"g,\"r": "USAGE", "PUBLIC": "USAGE"}
		wantTables := map[string]string{"g,\"r": "SELECT"}
		if quoted[i] == odd {
			wantPrivs[`b\x`] = "CREATE"
			wantTables[`b\x`] = "INSERT"
		}
		gotPrivs := map[string]string{}
		for g, p := range sc.Privileges {
			gotPrivs[g] = strings.Join(p.Names(), ",")
		}
		gotTables := map[string]string{}
		for g, p := range sc.Defaults["o"][state.Tables] {
			gotTables[g] = strings.Join(p.Names(), ",")
		}
		gotSeqs := map[string]string{}
		for g, p := range sc.Defaults["o"][state.Sequences] {
			gotSeqs[g] = strings.Join(p.Names(), ",")
		}
		if sc.Owner != "o" || !reflect.DeepEqual(gotPrivs, wantPrivs) || !reflect.DeepEqual(gotTables, wantTables) ||
			!reflect.DeepEqual(gotSeqs, map[string]string{"PUBLIC": "USAGE"}) {
			t.Errorf("schema %q: owner %q, privileges %q (want %q), defaults on tables %q (want %q), on sequences %q", n, sc.Owner, gotPrivs, wantPrivs, gotTables, wantTables, gotSeqs)
		}
	}
	if got := len(snap.DB.Schemas); got != len(names)+1 { // and public
		t.Errorf("%d schemas read, want %d", got, len(names)+1)
	}
}

// TestObjectACLsNullAndSpelledOutAlike: a table never granted (a null ACL,
// the default) and one whose grants were revoked back to the default (the
// same ACL written out) are grouped apart on the server; each holds what
// the default gives, with PUBLIC entries and views among them.
func TestObjectACLsNullAndSpelledOutAlike(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE o; CREATE ROLE a; CREATE SCHEMA s AUTHORIZATION o; SET ROLE o;
CREATE TABLE s.never (id int); CREATE TABLE s.back (id int); GRANT SELECT ON s.back TO a; REVOKE SELECT ON s.back FROM a;
CREATE TABLE s.pub (id int); GRANT SELECT ON s.pub TO PUBLIC; CREATE VIEW s.v AS SELECT 1 AS one; GRANT SELECT ON s.v TO PUBLIC, a;
CREATE SEQUENCE s.q; CREATE SEQUENCE s.q2; GRANT USAGE ON s.q2 TO a; REVOKE USAGE ON s.q2 FROM a; RESET ROLE`)
	if !db.Bool(t, "select relacl is null from pg_class where oid = 's.never'::regclass") || db.Bool(t, "select relacl is null from pg_class where oid = 's.back'::regclass") {
		t.Fatal("the premise (one null ACL, one written out) does not hold")
	}
	want := truth(t, db)
	got, names := inspected(t, db)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("privileges:\n got %v\nwant %v", got, want)
	}
	if w := []string{"back", "never", "pub", "v"}; !reflect.DeepEqual(names[state.Tables], w) {
		t.Errorf("tables %q, want %q", names[state.Tables], w)
	}
	if w := []string{"q", "q2"}; !reflect.DeepEqual(names[state.Sequences], w) {
		t.Errorf("sequences %q, want %q", names[state.Sequences], w)
	}
}
