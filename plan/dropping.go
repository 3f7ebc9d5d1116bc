package plan

import (
	"fmt"
	"strings"
)

// dropDependencies takes what DROP OWNED needs to remove every privilege
// of a role the plan drops: DROP OWNED revokes each privilege as the best
// grantor the connected user can act for, so a non-superuser must hold the
// privileges of the owner of every object (and every creator of default
// privileges) naming the role, for the length of the transaction. What no
// rolekeeper run in this database can remove is a problem, before anything
// runs.
func (d *differ) dropDependencies(role string) {
	dep := d.snap.Dropping[role]
	if dep == nil {
		return
	}
	for _, owner := range dep.Grantors {
		if owner == role {
			continue // its own objects are reassigned or dropped
		}
		d.needActAs(owner, fmt.Sprintf("revoke the privileges of %q on objects %q owns before dropping it", role, owner))
	}
	if len(dep.UnknownClasses) > 0 && !d.super() {
		d.problem("role %q holds privileges recorded in %s, whose owners rolekeeper does not read, so DROP OWNED may be unable to revoke them; revoke them as their owner, then apply again",
			role, strings.Join(dep.UnknownClasses, ", "))
	}
	if len(dep.OtherDatabases) > 0 {
		d.problem("role %q owns objects or holds privileges in database(s) %s, which REASSIGN OWNED and DROP OWNED in %q cannot reach, so DROP ROLE would fail; in each of those databases run REASSIGN OWNED BY %s TO <new owner>; DROP OWNED BY %s; then apply again",
			role, quotedList(dep.OtherDatabases), d.want.Name, ident(role), ident(role))
	}
}
