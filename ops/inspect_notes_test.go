package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/spec"
)

// TestInspectNotesCannotWriteSpecLines: inspect's notes name columns,
// tables and roles that any table owner may name; a name holding a line
// break (any YAML takes for one) stays inside its comment, and the YAML
// declares nothing the database does not hold.
func TestInspectNotesCannotWriteSpecLines(t *testing.T) {
	db := pgtest.Fresh(t)
	sess := session(t, db)
	applySpec(t, sess, "base.yaml", []byte("schemas: {app: {owner: migrator}}\nroles:\n  migrator: {login: true}\n  app: {login: true, access: {app: readonly}}\n"))
	for i, brk := range []string{"\n", "\r", "\u2028", "\u0085"} {
		col := `x` + brk + `roles: {evil` + string(rune('a'+i)) + `: {login: true, access: {app: owner}}}` + brk + `#`
		db.Exec(t, `SET ROLE migrator; CREATE TABLE app.t`+string(rune('a'+i))+` (`+pgx.Identifier{col}.Sanitize()+` int); GRANT SELECT (`+pgx.Identifier{col}.Sanitize()+`) ON app.t`+string(rune('a'+i))+` TO app; RESET ROLE`)
	}
	in, err := sess.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Notes) < 4 {
		t.Fatalf("no notes on the column privileges: %q", in.Notes)
	}
	y, err := in.YAML()
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.Parse("inspected.yaml", y)
	if err != nil {
		t.Fatalf("inspect's YAML does not parse back: %v\n%s", err, y)
	}
	for name := range s.Roles {
		if strings.HasPrefix(name, "evil") {
			t.Errorf("a column name wrote role %q into inspect's YAML:\n%s", name, y)
		}
	}
}

// TestInspectOfARoleNamedPUBLIC: a role an outsider names "PUBLIC" cannot
// be declared (the name is PUBLIC's to a spec); inspect's spec parses back
// and plans nothing, and a note says the role is left out.
func TestInspectOfARoleNamedPUBLIC(t *testing.T) {
	db := pgtest.Fresh(t)
	sess := session(t, db)
	applySpec(t, sess, "base.yaml", []byte("schemas: {app: {owner: migrator}}\nroles:\n  migrator: {login: true}\n"))
	db.Exec(t, `CREATE ROLE "PUBLIC" LOGIN; GRANT USAGE ON SCHEMA app TO "PUBLIC"; GRANT CONNECT ON DATABASE app TO "PUBLIC"`)
	assertRoundTrip(t, sess, "public-role")
	in, err := sess.Inspect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(in.Notes, "\n"), `"PUBLIC"`) {
		t.Errorf("no note names the role \"PUBLIC\": %q", in.Notes)
	}
}
