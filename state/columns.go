package state

// ColumnGrant is a privilege a grantee holds on some columns of one table
// (GRANT SELECT (a, b) ON t TO g), from one grantor: actual state only,
// since a spec cannot declare column privileges yet.
type ColumnGrant struct {
	Table, Owner string
	// Grantee is a role name or Public.
	Grantee, Grantor string
	Privilege        string
	Grantable        bool
	Columns          []string // in column order
}
