package ops_test

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/spec"
)

// TestDesiredStatePanicReachesTheCaller: the whole desired state is built
// on another goroutine while the catalog is read; a panic there (here a
// spec that no parse would let through: a grant on an undeclared schema)
// is raised again in the caller of Plan and Apply, where the Lambda
// runtime turns a handler's panic into the invocation's error, rather
// than ending the process from a goroutine nothing recovers.
func TestDesiredStatePanicReachesTheCaller(t *testing.T) {
	db := pgtest.Fresh(t)
	sess := session(t, db)
	sp, err := spec.Parse("test.yaml", []byte("schemas: {app: {owner: migrator}}\nroles: {migrator: {}, app: {login: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	sp.Roles["app"].Grants = []*spec.Grant{{Schema: "nowhere", Tables: []string{"t"}, Privileges: []string{"SELECT"}}}
	before := db.Fingerprint(t)
	for name, run := range map[string]func() error{
		"plan": func() error { _, err := sess.Plan(context.Background(), sp); return err },
		"apply": func() error {
			_, err := sess.Apply(context.Background(), sp, apply.Options{})
			return err
		},
	} {
		func() {
			defer func() {
				if p := recover(); p == nil {
					t.Errorf("%s: no panic reached the caller", name)
				} else {
					t.Logf("%s: %v", name, p)
				}
			}()
			if err := run(); err != nil {
				t.Errorf("%s: returned %v instead of panicking", name, err)
			}
		}()
	}
	if db.Fingerprint(t) != before {
		t.Error("the database changed")
	}
}
