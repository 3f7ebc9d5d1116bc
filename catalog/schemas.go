package catalog

import (
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// scanSchemas reads the schemas of interest (query schemas): one row per
// owner and ACL, parsed once, each schema given its own copy.
func scanSchemas(rows pgx.Rows, db *state.Database) error {
	var list, owner, acl string
	_, err := pgx.ForEachRow(rows, []any{&list, &owner, &acl}, func() error {
		names, err := splitArray(list)
		if err != nil || len(names) == 0 {
			return fmt.Errorf("schema names %.40q: %v", list, err)
		}
		grants, err := aclGrants(acl, owner, "schema "+names[0])
		if err != nil {
			return err
		}
		rolePUBLIC, err := rolePUBLICPrivs(acl)
		if err != nil {
			return fmt.Errorf("schema %s: %w", names[0], err)
		}
		for _, name := range names {
			sc := state.NewSchema(name, owner)
			sc.Privileges = maps.Clone(grants)
			sc.RolePUBLIC = rolePUBLIC
			db.Schemas[name] = sc
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("schemas: %w", err)
	}
	return nil
}

// scanDefaults reads the default privileges scoped to the schemas read
// before (query defaults): one row per creator, object type and ACL,
// parsed once, each schema given its own copy.
func scanDefaults(rows pgx.Rows, db *state.Database) error {
	var creator, list, objtype, acl string
	_, err := pgx.ForEachRow(rows, []any{&creator, &list, &objtype, &acl}, func() error {
		names, err := splitArray(list)
		if err != nil || len(names) == 0 {
			return fmt.Errorf("schema names %.40q: %v", list, err)
		}
		kind := map[string]state.ObjectKind{"r": state.Tables, "S": state.Sequences, "f": state.Functions}[objtype]
		grants, err := aclGrants(acl, "\x00", "default privileges in "+names[0])
		if err != nil {
			return err
		}
		for _, name := range names {
			sc := db.Schemas[name]
			if sc == nil {
				continue
			}
			sc.DefaultGrants(creator, kind) // creates the creator's entry
			sc.Defaults[creator][kind] = maps.Clone(grants)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("default privileges: %w", err)
	}
	return nil
}
