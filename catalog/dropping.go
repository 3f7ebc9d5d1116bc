package catalog

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

func scanDropping(rows pgx.Rows, snap *Snapshot) error {
	var role, kind, class string
	var name, owner *string
	var canCreate *bool
	_, err := pgx.ForEachRow(rows, []any{&role, &kind, &class, &name, &owner, &canCreate}, func() error {
		d := snap.Dropping[role]
		if d == nil {
			d = &Dropping{}
			snap.Dropping[role] = d
		}
		switch {
		case kind == "database" && name != nil:
			d.OtherDatabases = appendNew(d.OtherDatabases, *name)
		case kind == "grantor" && name != nil:
			d.Grantors = appendNew(d.Grantors, *name)
		case kind == "grantor":
			d.UnknownClasses = appendNew(d.UnknownClasses, class)
		case kind == "schema" && name != nil:
			d.Schemas = append(d.Schemas, *name)
		case kind == "objects_in" && name != nil && owner != nil:
			d.ObjectsIn = append(d.ObjectsIn, ObjectsIn{Schema: *name, Owner: *owner, TargetCanCreate: canCreate != nil && *canCreate})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dependencies of roles to drop: %w", err)
	}
	return nil
}

// appendNew appends s unless list (sorted input order) already ends with it
// or holds it.
func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
