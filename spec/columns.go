package spec

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// columnNotes lists the column privileges of db as notes: a spec cannot
// declare them yet, and an authoritative apply revokes those held by
// declared roles or PUBLIC.
func columnNotes(db *state.Database, skip func(string) bool) []string {
	var notes []string
	for _, name := range state.SortedKeys(db.Schemas) {
		for _, c := range db.Schemas[name].Columns {
			if c.Grantee != state.Public && skip(c.Grantee) {
				continue
			}
			notes = append(notes, fmt.Sprintf("%s holds %s (%s) on table %s.%s (column privileges, granted by %s): the spec cannot declare column privileges, so an authoritative apply revokes them",
				c.Grantee, c.Privilege, strings.Join(c.Columns, ", "), name, c.Table, c.Grantor))
		}
	}
	return notes
}
