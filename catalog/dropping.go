package catalog

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Dropping is what stands between a role the spec removes and DROP ROLE
// (read only for the roles in Scope.Dropping).
type Dropping struct {
	// Grantors are the owners of objects in this database, or of shared
	// objects, on which the role holds privileges or default privileges:
	// DROP OWNED revokes them as the owner, so the connected user needs the
	// owner's privileges for the transaction.
	Grantors []string
	// UnknownClasses names catalogs holding privileges of the role whose
	// owner rolekeeper does not read (DROP OWNED may be unable to revoke them).
	UnknownClasses []string
	// OtherDatabases lists the other databases where the role owns objects
	// or holds privileges: DROP OWNED in this database cannot reach them.
	OtherDatabases []string
}

func scanDropping(rows pgx.Rows, snap *Snapshot) error {
	var role, kind, class string
	var name *string
	_, err := pgx.ForEachRow(rows, []any{&role, &kind, &class, &name}, func() error {
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
