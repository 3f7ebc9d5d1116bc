package ops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/dirstore"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/spec"
)

// session connects as the RDS-shaped master, with a directory for secrets.
func session(t testing.TB, db *pgtest.DB) ops.Session {
	t.Helper()
	conn, err := connect.Connect(context.Background(), connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return ops.Session{Conn: conn, Store: dirstore.Store{Dir: t.TempDir()}}
}

// inspectedForms are the three ways inspect hands a spec to a user: the
// CLI's YAML, the CLI's JSON, and the Lambda's inspect response.
func inspectedForms(t *testing.T, in *ops.Inspection) map[string][]byte {
	t.Helper()
	y, err := in.YAML()
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.MarshalIndent(in.Spec, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := json.Marshal(map[string]any{"spec": in.Spec, "notes": in.Notes})
	if err != nil {
		t.Fatal(err)
	}
	var lambda struct{ Spec json.RawMessage }
	if err := json.Unmarshal(resp, &lambda); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"yaml": y, "json": j, "lambda": lambda.Spec}
}

// assertRoundTrip: every output form of inspect parses back and plans to
// no changes against the database it describes.
func assertRoundTrip(t *testing.T, sess ops.Session, label string) {
	t.Helper()
	ctx := context.Background()
	in, err := sess.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for form, raw := range inspectedForms(t, in) {
		s, err := spec.Parse(label+"."+form, raw)
		if err != nil {
			t.Fatalf("%s: inspect's %s form does not parse back: %v\n%s", label, form, err, raw)
		}
		p, err := sess.Plan(ctx, s)
		if err != nil {
			t.Fatalf("%s: plan of inspect's %s form: %v", label, form, err)
		}
		if !p.Empty() || len(p.Problems) > 0 {
			var b strings.Builder
			p.WriteText(&b, "Plan")
			t.Fatalf("%s: inspect's %s form plans changes against the database it describes:\n%s\n--- spec:\n%s", label, form, b.String(), raw)
		}
	}
}

func applySpec(t *testing.T, sess ops.Session, name string, src []byte) {
	t.Helper()
	s, err := spec.Parse(name, src)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if _, err := sess.Apply(context.Background(), s, apply.Options{}); err != nil {
		t.Fatalf("apply %s: %v\n%s", name, err, src)
	}
}

func TestInspectRoundTripsOnTheExamples(t *testing.T) {
	for _, file := range []string{"../examples/app.yaml", "../examples/template-infra.yaml"} {
		t.Run(file, func(t *testing.T) {
			db := pgtest.Fresh(t)
			sess := session(t, db)
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The sandbox has no pgvector: the example's extensions are left out.
			src, _, _ := strings.Cut(string(raw), "\nextensions:")
			applySpec(t, sess, file, []byte(src))
			// Objects created later by the schema owner are part of the layout.
			db.Exec(t, "SET ROLE migrator; CREATE TABLE app.t (id serial primary key); CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'select 1'; RESET ROLE")
			assertRoundTrip(t, sess, file)
		})
	}
}

// TestInspectRoundTripsOnGeneratedLayouts: seeded layouts of schemas,
// owners, profiles, inline privilege sets, settings and memberships,
// applied, then inspected in every form.
func TestInspectRoundTripsOnGeneratedLayouts(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			db := pgtest.Fresh(t)
			sess := session(t, db)
			src := generatedLayout(seed)
			applySpec(t, sess, fmt.Sprint("seed", seed), src)
			for _, schema := range []string{"s0", "s1"} {
				db.Exec(t, fmt.Sprintf(`SET ROLE "owner %[1]s"; CREATE TABLE %[1]s.t (id serial primary key); RESET ROLE`, schema))
			}
			assertRoundTrip(t, sess, fmt.Sprint("seed ", seed))
		})
	}
}

// generatedLayout writes a valid spec from a seed: two owned schemas, and
// login roles with a random mix of profiles, inline privileges, settings
// and memberships in group roles.
func generatedLayout(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	var b strings.Builder
	b.WriteString("database: app\nschemas:\n")
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&b, "  s%d: {owner: \"owner s%d\"}\n", i, i)
	}
	b.WriteString("roles:\n")
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&b, "  \"owner s%d\": {auth: none, login: true}\n", i)
	}
	b.WriteString("  group_ro: {login: false, access: {s0: readonly}}\n")
	accesses := []string{"readonly", "readwrite", "{tables: [SELECT, INSERT]}", "{tables: [SELECT], sequences: [USAGE]}", "{functions: [EXECUTE]}"}
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "  \"User %d\":\n    login: true\n", i)
		var acc []string
		for s := 0; s < 2; s++ {
			if r.IntN(3) > 0 {
				acc = append(acc, fmt.Sprintf("s%d: %s", s, accesses[r.IntN(len(accesses))]))
			}
		}
		if len(acc) > 0 {
			fmt.Fprintf(&b, "    access: {%s}\n", strings.Join(acc, ", "))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "    settings: {statement_timeout: %ds}\n", 10+r.IntN(50))
		}
		if r.IntN(2) == 0 {
			b.WriteString("    member_of: [group_ro]\n")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "    connection_limit: %d\n", r.IntN(20))
		}
	}
	b.WriteString("public: {connect: false, create_in_public_schema: false}\n")
	return []byte(b.String())
}

// TestInspectNeverClaimsARevokedPrivilege: a privilege the schema owner's
// default privileges give, but that was revoked on an existing table, is
// not written as access on every table (applying the inspected spec
// would grant it back, on a table where someone took it away): the access
// is what every table has, the table that has more is a grant, and a note
// says that the default privileges give more than the tables have.
func TestInspectNeverClaimsARevokedPrivilege(t *testing.T) {
	db := pgtest.Fresh(t)
	sess := session(t, db)
	applySpec(t, sess, "spec", []byte("roles:\n  owner: {auth: iam}\n  bi: {auth: iam, access: {s: {schema: [USAGE], tables: [SELECT, INSERT]}}}\nschemas: {s: {owner: owner}}\n"))
	db.Exec(t, "SET ROLE owner; CREATE TABLE s.c (id int); CREATE TABLE s.d (id int); REVOKE INSERT ON s.d FROM bi; RESET ROLE")
	in, err := sess.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	y, err := in.YAML()
	if err != nil {
		t.Fatal(err)
	}
	a := in.Spec.Roles["bi"].Access["s"]
	if a == nil || a.Inline == nil || strings.Join(a.Inline.Tables, ",") != "SELECT" {
		t.Fatalf("bi's access on s is not SELECT on every table:\n%s", y)
	}
	if !strings.Contains(string(y), "default privileges") || !strings.Contains(string(y), "INSERT") {
		t.Fatalf("no note about the default privileges that give more:\n%s", y)
	}
	sp, err := spec.Parse("inspected", y)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sess.Plan(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		for _, sql := range c.SQL {
			if strings.HasPrefix(sql, "GRANT INSERT") {
				t.Fatalf("the inspected spec grants back a revoked privilege: %s\n%s", sql, y)
			}
		}
	}
}
