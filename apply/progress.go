package apply

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/progress"
	"github.com/rolekeeper/rolekeeper/state"
)

// inspect reads what want manages, telling the progress listener how much
// it read.
func inspect(ctx context.Context, conn *pgx.Conn, want *state.Database) (*catalog.Snapshot, error) {
	return inspectScope(ctx, conn, Scope(want))
}

// inspectWhile reads the scope of skeleton while want, which waits for
// the whole desired state, is built, and returns what it read with the
// whole. Should the whole's scope differ from the skeleton's (never, for a
// skeleton of the same spec: spec.Skeleton), it is read again with it.
func inspectWhile(ctx context.Context, conn *pgx.Conn, skeleton *state.Database, want func() *state.Database) (*catalog.Snapshot, *state.Database, error) {
	scope := Scope(skeleton)
	snap, err := inspectScope(ctx, conn, scope)
	w := want()
	if err != nil {
		return nil, w, err
	}
	if whole := Scope(w); !sameScope(scope, whole) {
		snap, err = inspectScope(ctx, conn, whole)
	}
	return snap, w, err
}

// inspectScope reads scope, telling the progress listener how much it read.
func inspectScope(ctx context.Context, conn *pgx.Conn, scope catalog.Scope) (*catalog.Snapshot, error) {
	progress.Report(ctx, "inspecting the catalog")
	snap, err := catalog.Inspect(ctx, conn, scope)
	if err != nil {
		return nil, err
	}
	objects := 0
	for _, sc := range snap.DB.Schemas {
		for _, og := range sc.Objects {
			if og != nil {
				objects += og.Total
			}
		}
	}
	progress.Report(ctx, "planning: inspected %s, %s, %s", count(len(snap.Roles), "role"), count(len(snap.DB.Schemas), "schema"), count(objects, "object"))
	return snap, nil
}

// count writes n things: "1 role", "3 roles".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
