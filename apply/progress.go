package apply

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/progress"
	"github.com/rolekeeper/rolekeeper/state"
)

// inspect reads what want manages, telling the progress listener how much
// it read.
func inspect(ctx context.Context, conn *pgx.Conn, want *state.Database) (*catalog.Snapshot, error) {
	progress.Report(ctx, "inspecting the catalog")
	snap, err := catalog.Inspect(ctx, conn, Scope(want))
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
	progress.Report(ctx, "planning: inspected %d roles, %d schemas, %d objects", len(snap.Roles), len(snap.DB.Schemas), objects)
	return snap, nil
}
