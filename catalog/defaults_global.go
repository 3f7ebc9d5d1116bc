package catalog

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// globalDefaultKinds maps pg_default_acl.defaclobjtype to an object kind.
var globalDefaultKinds = map[string]state.ObjectKind{
	"r": state.Tables, "S": state.Sequences, "f": state.Functions, "T": state.Types, "n": state.SchemaKinds,
}

// scanGlobalDefaults reads database-wide default privileges. The creator's
// own entry is left out (it is implicit), as are object types rolekeeper
// does not know (large objects, from PostgreSQL 18).
func scanGlobalDefaults(rows pgx.Rows, db *state.Database, keep func(string) bool) error {
	var creator, objtype, acl string
	_, err := pgx.ForEachRow(rows, []any{&creator, &objtype, &acl}, func() error {
		kind, ok := globalDefaultKinds[objtype]
		if !ok {
			return nil
		}
		items, err := splitArray(acl)
		if err != nil {
			return fmt.Errorf("default privileges of %s: %w", creator, err)
		}
		entries, err := parseACL(items)
		if err != nil {
			return fmt.Errorf("default privileges of %s: %w", creator, err)
		}
		for _, e := range entries {
			if e.grantee != creator && keep(e.grantee) {
				db.GlobalDefaultGrants(creator, kind).AddSet(publicName(e.grantee), e.privs)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("database-wide default privileges: %w", err)
	}
	return nil
}
