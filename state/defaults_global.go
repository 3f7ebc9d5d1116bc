package state

// Kinds of objects that database-wide default privileges apply to beyond
// the schema-scoped ones (ALTER DEFAULT PRIVILEGES ... ON TYPES / ON SCHEMAS).
// They are not ObjectKinds: rolekeeper reads them only to revoke them.
const (
	Types       ObjectKind = "types"
	SchemaKinds ObjectKind = "schemas"
)

// GlobalDefaultKinds lists, in planning order, the object kinds of
// database-wide default privileges.
var GlobalDefaultKinds = []ObjectKind{Tables, Sequences, Functions, Types, SchemaKinds}

// GlobalDefaultPrivileges lists the privileges each kind of database-wide
// default privileges may hold, in canonical order (for tables, MAINTAIN
// only from PostgreSQL 17 on: see GlobalDefaultPrivilegesOn).
var GlobalDefaultPrivileges = map[ObjectKind][]string{
	Tables:      KindPrivileges[Tables],
	Sequences:   KindPrivileges[Sequences],
	Functions:   KindPrivileges[Functions],
	Types:       {"USAGE"},
	SchemaKinds: {"USAGE", "CREATE"},
}

// GlobalDefaultPrivilegesOn returns the privileges of kind that
// database-wide default privileges may hold on a server of the given major
// version: GlobalDefaultPrivileges without MAINTAIN before PostgreSQL 17.
func GlobalDefaultPrivilegesOn(kind ObjectKind, major int) []string {
	return withoutMaintain(GlobalDefaultPrivileges[kind], major)
}

// GlobalDefaultGrants returns the database-wide default privileges (ALTER
// DEFAULT PRIVILEGES without IN SCHEMA) for objects of kind that creator
// makes anywhere in the database, creating the map when missing.
func (db *Database) GlobalDefaultGrants(creator string, kind ObjectKind) Grants {
	if db.GlobalDefaults == nil {
		db.GlobalDefaults = map[string]map[ObjectKind]Grants{}
	}
	return defaultGrants(db.GlobalDefaults, creator, kind)
}
