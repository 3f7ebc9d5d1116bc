package plan

import "github.com/rolekeeper/rolekeeper/state"

// governs reports whether the plan converges grantee g's privileges on
// objects of kind in a managed schema (want holds what the spec gives
// there). Managed roles always; PUBLIC on tables and sequences too, since
// every role, managed ones included, has what PUBLIC has. PUBLIC's
// EXECUTE on functions is PostgreSQL's built-in default: it is converged
// only when the spec says what PUBLIC gets on functions.
func (d *differ) governs(g string, kind state.ObjectKind, want *state.ObjectGrants) bool {
	if d.managed[g] {
		return true
	}
	if g != state.Public {
		return false
	}
	if kind == state.Tables || kind == state.Sequences {
		return true
	}
	return want != nil && want.Full[state.Public] != 0
}
