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
// entry is parsed here, the entries of no interest dropped (see keeps),
// and the rest grouped into one state.ColumnGrant per table, grantee,
// grantor, privilege and grant option, with its columns in column order.
// The grants of a schema come sorted by table, grantee (PUBLIC first),
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

// columnEntry is one ACL entry of one column, as read.
type columnEntry struct {
	schema, table, owner string
	col                  attnumName
	aclItem
}

func (r columnReader) scan(rows pgx.Rows, db *state.Database) error {
	var schema, table, owner, column, acl string
	var attnum int
	var entries []columnEntry
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
				addRolePUBLICOptions(db.Schemas[schema], table, column, e.options)
				continue
			}
			entries = append(entries, columnEntry{schema, table, owner, attnumName{attnum, column}, e})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("column privileges: %w", err)
	}
	keep := r.keeps(entries)
	owners := map[columnKey]string{}
	cols := map[columnKey][]attnumName{}
	for _, e := range entries {
		if !keep(e) {
			continue
		}
		for i := range len(state.PrivLetters) {
			bit := state.PrivSet(1) << i
			if e.privs&bit == 0 {
				continue
			}
			k := columnKey{e.schema, e.table, e.grantee, e.grantor, state.PrivNames[i], e.options&bit != 0}
			owners[k] = e.owner
			cols[k] = append(cols[k], e.col)
		}
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

// keeps says which entries are read: those of the grantees of interest
// and PUBLIC; what those grantees passed on with a grant option (revoking
// theirs cascades to it); and, on each table, the entries held and
// passed on by the roles other than the owner that granted them column
// privileges. Such a grantor may have lost its grant option since (a
// table-level REVOKE does not reach the column grants it made): the plan
// then needs its own privileges, to lend it the option for the revoke and
// take it back as it was, and what else it passed on, to which taking it
// back would cascade.
func (r columnReader) keeps(entries []columnEntry) func(columnEntry) bool {
	type grantorOn struct{ schema, table, role string }
	grantors := map[grantorOn]bool{}
	for _, e := range entries {
		if r.keep(e.grantee) && e.grantor != e.owner {
			grantors[grantorOn{e.schema, e.table, e.grantor}] = true
		}
	}
	return func(e columnEntry) bool {
		return r.keep(e.grantee) || grantors[grantorOn{e.schema, e.table, e.grantee}] ||
			e.grantor != e.owner && (r.keep(e.grantor) || grantors[grantorOn{e.schema, e.table, e.grantor}])
	}
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
