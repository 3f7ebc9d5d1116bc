package state

import "strings"

// rdsRoles are the roles Amazon RDS and Aurora create for themselves.
var rdsRoles = map[string]bool{"rdsadmin": true, "rdsrepladmin": true, "rdstopmgr": true, "rdsproxyadmin": true}

// ReservedRole reports names that PostgreSQL or Amazon RDS own: the
// predefined pg_* roles, rds_* roles and RDS's own administrators. A spec
// cannot declare them, and inspect and the unmanaged list leave them out.
// The comparison is exact, as PostgreSQL's and RDS's are ("PG_x" is an
// ordinary role); a spec refuses case variants too (spec/validate.go).
func ReservedRole(name string) bool {
	return strings.HasPrefix(name, "pg_") || strings.HasPrefix(name, "rds_") || rdsRoles[name]
}
