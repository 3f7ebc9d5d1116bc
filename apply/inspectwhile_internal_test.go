package apply

import (
	"context"
	"testing"

	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/state"
)

// TestInspectWhileReadsTheWholesScope: should a skeleton's scope miss
// what the whole desired state manages (a skeleton of another spec here:
// spec.Skeleton of the same spec reads the same, see
// TestSkeletonReadsTheWholesScope), the catalog is read again with the
// whole's scope, so the plan never rests on a partial reading.
func TestInspectWhileReadsTheWholesScope(t *testing.T) {
	db := pgtest.Fresh(t)
	db.Exec(t, `CREATE ROLE o; CREATE ROLE r; CREATE SCHEMA a AUTHORIZATION o; CREATE SCHEMA b AUTHORIZATION o; GRANT USAGE ON SCHEMA b TO r`)
	parse := func(text string) *spec.Spec {
		sp, err := spec.Parse("test.yaml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	whole := parse("database: app\nschemas: {a: {owner: o}, b: {owner: o}}\nroles: {o: {}, r: {access: {b: readonly}}}\n").Desired("app")
	ctx := context.Background()
	conn, err := connect.Connect(ctx, connect.Options{DSN: db.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, tc := range []struct {
		name     string
		skeleton *state.Database
	}{
		{"a skeleton without schema b", parse("database: app\nschemas: {a: {owner: o}}\nroles: {o: {}}\n").Skeleton("app")},
		{"the whole's own skeleton", parse("database: app\nschemas: {a: {owner: o}, b: {owner: o}}\nroles: {o: {}, r: {access: {b: readonly}}}\n").Skeleton("app")},
	} {
		snap, w, err := inspectWhile(ctx, conn, tc.skeleton, func() *state.Database { return whole })
		if err != nil {
			t.Fatal(err)
		}
		if w != whole {
			t.Errorf("%s: the whole desired state was not returned", tc.name)
		}
		if sc := snap.DB.Schemas["b"]; sc == nil || !sc.Privileges["r"].Has("USAGE") {
			t.Errorf("%s: schema b and r's USAGE on it not read: %+v", tc.name, snap.DB.Schemas)
		}
	}
}
