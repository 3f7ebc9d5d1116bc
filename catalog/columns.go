package catalog

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// scanColumnACLs reads column privileges into the schemas read before
// (query column_acls).
func scanColumnACLs(rows pgx.Rows, db *state.Database) error {
	var schema string
	var g state.ColumnGrant
	_, err := pgx.ForEachRow(rows, []any{&schema, &g.Table, &g.Owner, &g.Grantee, &g.Grantor, &g.Privilege, &g.Grantable, &g.Columns}, func() error {
		sc := db.Schemas[schema]
		if sc == nil || rolePUBLIC(g.Grantee) {
			return nil
		}
		c := g
		c.Grantee = publicName(c.Grantee)
		sc.Columns = append(sc.Columns, &c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("column privileges: %w", err)
	}
	return nil
}
