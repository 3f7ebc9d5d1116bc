package apply_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestSpecCannotHandOutTheAdminsPower: membership in the admin, in a role
// the admin holds with ADMIN OPTION that carries rds_superuser, or in a
// server-reaching predefined role is refused, naming the role and the
// opt-in, and nothing is changed.
func TestSpecCannotHandOutTheAdminsPower(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, "CREATE ROLE ops; GRANT rds_superuser TO ops; GRANT ops TO postgres WITH ADMIN OPTION")
	before := db.Fingerprint(t)
	s := mustSpec(t, "roles: {x: {member_of: [ops]}, y: {member_of: [postgres]}}")
	_, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{})
	var pe *apply.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("apply: %v", err)
	}
	for _, want := range []string{
		`role "x": membership in "ops" would hand out the power of "rds_superuser", an administrative role (ops → rds_superuser); set allow_admin_roles: true on "x"`,
		`role "y": membership in "postgres" would hand out the power of "postgres", the user rolekeeper connects as; set allow_admin_roles: true on "y"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q:\n%v", want, err)
		}
	}
	if db.Fingerprint(t) != before {
		t.Fatal("a refused apply changed the catalog")
	}
	// With the opt-in it is done.
	doApply(t, db, mustSpec(t, "roles: {x: {member_of: [ops], allow_admin_roles: true}}"))
	if !db.Bool(t, "select pg_has_role('x', 'rds_superuser', 'MEMBER')") {
		t.Fatal("x is not a member of rds_superuser through ops")
	}
}

// TestAdminIsNeverLeftInRDSIAM: a spec that would make the admin a member
// of rds_iam through roles it is already in is refused with the chain.
// On 16+ the admin's ADMIN-only membership in every role it creates does
// not count (the plain IAM example applies).
func TestAdminIsNeverLeftInRDSIAM(t *testing.T) {
	db := pgtest.Fresh(t)
	doApply(t, db, exampleSpec(t)) // IAM users created by the admin: no chain
	db.Exec(t, "CREATE ROLE team; GRANT team TO postgres")
	if pgtest.Server.Major >= 16 {
		db.Exec(t, "GRANT team TO postgres WITH ADMIN OPTION")
	}
	before := db.Fingerprint(t)
	s := mustSpec(t, "roles: {team: {member_of: [svc]}, svc: {auth: iam}}")
	_, err := apply.Apply(context.Background(), adminConn(t, db), desired(s), apply.Options{})
	want := `a member of rds_iam through postgres → team → svc → rds_iam`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("apply: want a problem with %q, got %v", want, err)
	}
	if db.Fingerprint(t) != before {
		t.Fatal("a refused apply changed the catalog")
	}
}
