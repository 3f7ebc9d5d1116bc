package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// columnReader reads column privileges (query column_acls: one row per
// column with an ACL of its own) into the schemas read before: each ACL
// entry is parsed here, the entries of grantees out of scope dropped, and
// the rest grouped into one state.ColumnGrant per table, grantee, grantor,
// privilege and grant option, with its columns in column order. The
// grants of a schema come sorted by table, grantee (PUBLIC first),
// grantor, privilege and grant option, in byte order.
type columnReader struct {
	keep func(string) bool // grantees of interest, and "" (PUBLIC)
}

// columnKey is one ColumnGrant being gathered.
type columnKey struct {
	schema, table, grantee, grantor, privilege string
	grantable                                  bool
}

type attnumName struct {
	num  int
	name string
}

func (r columnReader) scan(rows pgx.Rows, db *state.Database) error {
	var schema, table, owner, column, acl string
	var attnum int
	owners := map[columnKey]string{}
	cols := map[columnKey][]attnumName{}
	var items []string
	_, err := pgx.ForEachRow(rows, []any{&schema, &table, &owner, &attnum, &column, &acl}, func() error {
		if db.Schemas[schema] == nil {
			return nil
		}
		var err error
		if items, err = splitArrayInto(items, acl); err != nil {
			return fmt.Errorf("column %s of %s.%s: %w", column, schema, table, err)
		}
		for _, item := range items {
			e, err := parseItem(item)
			if err != nil {
				return fmt.Errorf("column %s of %s.%s: %w", column, schema, table, err)
			}
			if rolePUBLIC(e.grantee) {
				continue
			}
			// The grantees of interest and PUBLIC, and what those
			// grantees passed on with a grant option (revoking theirs
			// would cascade to it).
			if !r.keep(e.grantee) && (e.grantor == owner || !r.keep(e.grantor)) {
				continue
			}
			for i := range len(state.PrivLetters) {
				bit := state.PrivSet(1) << i
				if e.privs&bit == 0 {
					continue
				}
				k := columnKey{schema, table, e.grantee, e.grantor, state.PrivNames[i], e.options&bit != 0}
				owners[k] = owner
				cols[k] = append(cols[k], attnumName{attnum, column})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("column privileges: %w", err)
	}
	keys := make([]columnKey, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b columnKey) int {
		return cmp.Or(strings.Compare(a.schema, b.schema), strings.Compare(a.table, b.table),
			strings.Compare(a.grantee, b.grantee), strings.Compare(a.grantor, b.grantor),
			strings.Compare(a.privilege, b.privilege), boolCompare(a.grantable, b.grantable))
	})
	for _, k := range keys {
		c := cols[k]
		slices.SortFunc(c, func(a, b attnumName) int { return cmp.Compare(a.num, b.num) })
		names := make([]string, len(c))
		for i, x := range c {
			names[i] = x.name
		}
		sc := db.Schemas[k.schema]
		sc.Columns = append(sc.Columns, &state.ColumnGrant{Table: k.table, Owner: owners[k], Grantee: publicName(k.grantee),
			Grantor: k.grantor, Privilege: k.privilege, Grantable: k.grantable, Columns: names})
	}
	return nil
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
