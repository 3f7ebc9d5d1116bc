package apply_test

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// canonical is a scope with each field's names sorted (the aligned pairs
// kept together), nil kept apart from empty.
func canonical(sc catalog.Scope) [5][]string {
	pairs := func(a, b []string) []string {
		if a == nil {
			return nil
		}
		out := make([]string, len(a))
		for i := range a {
			out[i] = fmt.Sprintf("%q->%q", a[i], b[i])
		}
		return out
	}
	sorted := func(a []string) []string {
		if a == nil {
			return nil
		}
		return slices.Sorted(slices.Values(a))
	}
	return [5][]string{sorted(sc.Schemas), sorted(sc.Grantees), sorted(sc.Uninstall),
		sorted(pairs(sc.Extensions, sc.ExtensionSchemas)), sorted(pairs(sc.Dropping, sc.ReassignTo))}
}

// secretsView is what the checks of secrets read of each role.
func secretsView(db *state.Database) map[string]string {
	out := map[string]string{}
	for name, r := range db.Roles {
		out[name] = fmt.Sprintf("auth %s secret %q absent %v alternate %q", r.Auth, r.PasswordSecret, r.Absent, r.Alternate)
	}
	return out
}

// TestSkeletonReadsTheWholesScope: the catalog is read with the scope of
// spec.Skeleton while the whole desired state is built (ops); the two
// scopes are the same, and so are the roles' secrets, for the examples
// (each database of the several-databases one) and for generated specs
// with hostile names, retired roles, extensions and rotations. (Were they
// to differ, the inspection would be made again with the whole's scope:
// TestInspectWhileReadsTheWholesScope.)
func TestSkeletonReadsTheWholesScope(t *testing.T) {
	check := func(t *testing.T, what string, sp *spec.Spec, db string) {
		t.Helper()
		skeleton, whole := sp.Skeleton(db), sp.Desired(db)
		if s, w := canonical(apply.Scope(skeleton)), canonical(apply.Scope(whole)); !reflect.DeepEqual(s, w) {
			t.Errorf("%s, database %q: the skeleton's scope %q, the whole's %q", what, db, s, w)
		}
		if s, w := secretsView(skeleton), secretsView(whole); !reflect.DeepEqual(s, w) {
			t.Errorf("%s, database %q: the skeleton's roles %q, the whole's %q", what, db, s, w)
		}
	}
	for _, file := range []string{"../examples/app.yaml", "../examples/template-infra.yaml", "../examples/several-databases.yaml"} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := spec.Parse(file, text)
		if err != nil {
			t.Fatal(err)
		}
		for _, db := range append(sp.DatabaseNames(), "app") {
			check(t, file, sp, db)
		}
	}
	g := newGenerator(7)
	scoped := 0
	for i := 0; i < 150; i++ {
		text := g.next().JSON()
		sp, err := spec.Parse("generated.json", []byte(text))
		if err != nil {
			t.Fatalf("the generator wrote an invalid spec: %v\n%s", err, text)
		}
		check(t, fmt.Sprintf("generated spec %d:\n%s\n", i, text), sp, "app")
		if sc := apply.Scope(sp.Desired("app")); len(sc.Dropping) > 0 && len(sc.Extensions)+len(sc.Uninstall) > 0 {
			scoped++
		}
	}
	if scoped == 0 {
		t.Error("the premise (generated specs that retire roles and name extensions) does not hold")
	}
}
