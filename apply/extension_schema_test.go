package apply_test

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestExtensionWithoutSchemaGoesToPublic: `extensions: [pgcrypto]` (the
// README's own example) installs pgcrypto where a plain CREATE EXTENSION
// in an ordinary session would, schema public; not in pg_catalog, the
// first schema of rolekeeper's pinned search_path, where pgcrypto's
// gen_random_uuid collides with the built-in one and the apply fails
// (and any other extension's objects would land among the system's).
// An extension whose control file fixes its schema keeps it; with
// schema public gone and no schema given, the plan says what to do.
func TestExtensionWithoutSchemaGoesToPublic(t *testing.T) {
	db := pgtest.Fresh(t)
	s := mustSpec(t, "roles: {app: {auth: iam}}\nextensions: [pgcrypto]\n")
	doApply(t, db, s)
	if got := db.Strings(t, `select extnamespace::regnamespace::text from pg_extension where extname = 'pgcrypto'`); len(got) != 1 || got[0] != "public" {
		t.Fatalf("pgcrypto installed in %v, want public", got)
	}
	expectNoChanges(t, db, s)

	db.Exec(t, `DROP EXTENSION pgcrypto; DROP SCHEMA public`)
	p := doPlan(t, db, s)
	if len(p.Problems) != 1 || !strings.Contains(p.Problems[0], `extension "pgcrypto" has no schema`) {
		t.Fatalf("without schema public, problems %q, want one asking for a schema:\n%s", p.Problems, planText(t, p))
	}
}

// TestExtensionAbsentAloneIsDropped: a spec whose only extension is one to
// remove still reads the installed extensions (the inspection leaves them
// out when the spec names none), and the apply drops it.
func TestExtensionAbsentAloneIsDropped(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, mustSpec(t, "roles: {app: {auth: iam}}\nextensions: [pgcrypto]\n"))
	s := mustSpec(t, "roles: {app: {auth: iam}}\nextensions:\n  pgcrypto: {state: absent}\n")
	if got := planText(t, doPlan(t, db, s)); !strings.Contains(got, `DROP EXTENSION "pgcrypto"`) {
		t.Fatalf("the plan for an absent extension lacks its DROP:\n%s", got)
	}
	doApply(t, db, s)
	if db.Bool(t, "select exists (select 1 from pg_extension where extname = 'pgcrypto')") {
		t.Fatal("pgcrypto is still installed")
	}
	expectNoChanges(t, db, s)
}
