// Package spec reads, validates and expands rolekeeper's declarative file: the
// database, its schemas, the roles and what each may do. It does no I/O but
// reading the bytes it is given; Desired turns a valid spec into the state
// the database should reach.
package spec

// Spec is one parsed spec file. Field tags are the file's keys.
type Spec struct {
	// Version of the file format; 1 when omitted.
	Version int `yaml:"version,omitempty" json:"version"`
	// Database the file describes; the connection's database when omitted.
	Database string `yaml:"database,omitempty" json:"database"`
	// Mode is "authoritative" (default: extra privileges of declared roles
	// are revoked) or "additive" (grant only, never revoke).
	Mode string `yaml:"mode,omitempty" json:"mode"`
	// Profiles defines named privilege sets in addition to the built-in
	// readonly and readwrite.
	Profiles map[string]*Privileges `yaml:"profiles,omitempty" json:"profiles"`
	// Schemas the file manages, by name.
	Schemas map[string]*Schema `yaml:"schemas,omitempty" json:"schemas"`
	// Roles the file manages, by name. Roles not listed are never changed.
	Roles map[string]*Role `yaml:"roles,omitempty" json:"roles"`
	// Extensions to create (a list of names) or to converge (a map).
	Extensions Extensions `yaml:"extensions,omitempty" json:"extensions"`
	// Public is the policy for the PUBLIC pseudo-role.
	Public *Public `yaml:"public,omitempty" json:"public"`
	// DatabaseSettings are set with ALTER DATABASE ... SET.
	DatabaseSettings map[string]Setting `yaml:"database_settings,omitempty" json:"database_settings"`
	// DefaultPrivileges are database-wide default privileges (ALTER DEFAULT
	// PRIVILEGES FOR ROLE creator, without IN SCHEMA): creator -> grantee
	// -> a profile or privilege lists.
	DefaultPrivileges map[string]map[string]*Access `yaml:"default_privileges,omitempty" json:"default_privileges,omitempty"`
	// Databases declares several databases of the cluster in one file:
	// name -> what belongs to that database. Roles stay cluster-wide under
	// roles; their access in a database is under databases.<name>.roles.
	// A spec with databases has no top-level database, schemas,
	// extensions, public, database_settings or default_privileges
	// (docs/several-databases.md).
	Databases map[string]*DatabaseSpec `yaml:"databases,omitempty" json:"databases,omitempty"`
}

// Schema is one managed schema.
type Schema struct {
	// Owner of the schema; it is created with this owner and ownership is
	// converged. Omitted: ownership is not managed.
	Owner string `yaml:"owner,omitempty" json:"owner"`
	// DefaultPrivilegesFor lists the roles whose future objects in this
	// schema get the default privileges that access implies. The owner is
	// always included.
	DefaultPrivilegesFor []string `yaml:"default_privileges_for,omitempty" json:"default_privileges_for"`
	// ObjectOwners may own objects in the schema besides the owner and
	// default_privileges_for; objects other roles own are reported.
	ObjectOwners []string `yaml:"object_owners,omitempty" json:"object_owners,omitempty"`
	// ReassignObjects gives tables, views and sequences that other roles
	// own to the schema's owner (ALTER TABLE ... OWNER TO).
	ReassignObjects bool `yaml:"reassign_objects,omitempty" json:"reassign_objects,omitempty"`
}

// Role is one managed role.
type Role struct {
	// State is "present" (default) or "absent" (the role is dropped after
	// its objects are reassigned and its privileges dropped).
	State string `yaml:"state,omitempty" json:"state"`
	// Login: may the role log in. Default: true when auth is iam or password.
	Login *bool `yaml:"login,omitempty" json:"login"`
	// Auth is iam, password or none (default).
	Auth string `yaml:"auth,omitempty" json:"auth"`
	// PasswordSecret names the secret that holds a password role's password.
	PasswordSecret string `yaml:"password_secret,omitempty" json:"password_secret"`
	// Rotation is how Secrets Manager's scheduled rotation changes the
	// password: "single" (default: the role's own password changes) or
	// "alternating" (a second login role, <name>_clone, a member of this
	// one, takes turns with it; docs/rotation.md).
	Rotation   string `yaml:"rotation,omitempty" json:"rotation,omitempty"`
	CreateDB   bool   `yaml:"createdb,omitempty" json:"createdb"`
	CreateRole bool   `yaml:"createrole,omitempty" json:"createrole"`
	// Inherit: does the role use the privileges of roles it is a member of (default true).
	Inherit     *bool `yaml:"inherit,omitempty" json:"inherit"`
	BypassRLS   bool  `yaml:"bypassrls,omitempty" json:"bypassrls"`
	Replication bool  `yaml:"replication,omitempty" json:"replication"`
	// ConnectionLimit: -1 (default) for no limit.
	ConnectionLimit *int `yaml:"connection_limit,omitempty" json:"connection_limit"`
	// ValidUntil: an RFC 3339 timestamp or date after which the password no
	// longer works; omitted or "infinity" for never.
	ValidUntil string `yaml:"valid_until,omitempty" json:"valid_until"`
	// Settings are per-role settings in this database.
	Settings map[string]Setting `yaml:"settings,omitempty" json:"settings"`
	// SettingsInAllDatabases are the role's settings for every database
	// (ALTER ROLE ... SET without IN DATABASE). Others are reset.
	SettingsInAllDatabases map[string]Setting `yaml:"settings_in_all_databases,omitempty" json:"settings_in_all_databases,omitempty"`
	// MemberOf lists roles this role is a member of.
	MemberOf []string `yaml:"member_of,omitempty" json:"member_of"`
	// Members lists roles that are members of this one, declared or not.
	Members []string `yaml:"members,omitempty" json:"members,omitempty"`
	// MembersManagedElsewhere leaves alone members the spec does not name.
	MembersManagedElsewhere bool `yaml:"members_managed_elsewhere,omitempty" json:"members_managed_elsewhere,omitempty"`
	// Access maps a schema to a profile name or an inline privilege set.
	Access map[string]*Access `yaml:"access,omitempty" json:"access"`
	// AccessOwnedBy maps a role to a profile name or an inline privilege
	// set given on every schema declared under schemas with that owner:
	// {migrator: readonly} is access: readonly on each schema migrator
	// owns. A schema may not be named in both.
	AccessOwnedBy map[string]*Access `yaml:"access_owned_by,omitempty" json:"access_owned_by,omitempty"`
	// Grants are privileges on named tables or sequences, for access
	// narrower than a whole schema. USAGE on the schema is implied.
	Grants []*Grant `yaml:"grants,omitempty" json:"grants,omitempty"`
	// DatabasePrivileges are granted on the database (CONNECT is implied for login roles).
	DatabasePrivileges []string `yaml:"database_privileges,omitempty" json:"database_privileges"`
	// ReassignOwnedTo receives an absent role's objects (default: the connected user).
	ReassignOwnedTo string `yaml:"reassign_owned_to,omitempty" json:"reassign_owned_to"`
	// AllowAdminRoles permits membership in administrative roles such as
	// rds_superuser or pg_write_all_data.
	AllowAdminRoles bool `yaml:"allow_admin_roles,omitempty" json:"allow_admin_roles"`

	// noConnect: a database of a multi-database spec that does not list
	// the role gives it no CONNECT (ForDatabase).
	noConnect bool
	// hasConnect: FromState read CONNECT on the database for the role.
	hasConnect bool
}

// Privileges is a privilege set on a schema and the objects in it.
type Privileges struct {
	Schema    []string `yaml:"schema,omitempty" json:"schema"`
	Tables    []string `yaml:"tables,omitempty" json:"tables"`
	Sequences []string `yaml:"sequences,omitempty" json:"sequences"`
	Functions []string `yaml:"functions,omitempty" json:"functions"`
}

// Grant gives privileges on named objects of one schema.
type Grant struct {
	Schema     string   `yaml:"schema,omitempty" json:"schema,omitempty"`
	Tables     []string `yaml:"tables,omitempty" json:"tables,omitempty"`
	Sequences  []string `yaml:"sequences,omitempty" json:"sequences,omitempty"`
	Privileges []string `yaml:"privileges,omitempty" json:"privileges,omitempty"`
}

// Access is either a profile name or an inline privilege set.
type Access struct {
	Profile string
	Inline  *Privileges
}

// Public is the policy for PUBLIC. Each omitted field is left unmanaged.
type Public struct {
	// Connect: may every role connect to the database.
	Connect *bool `yaml:"connect,omitempty" json:"connect"`
	// Temporary: may every role create temporary tables.
	Temporary *bool `yaml:"temporary,omitempty" json:"temporary"`
	// CreateInPublicSchema: may every role create objects in schema public.
	CreateInPublicSchema *bool `yaml:"create_in_public_schema,omitempty" json:"create_in_public_schema"`
	// Access maps a declared schema to what every role may do on its
	// tables, sequences and functions (existing and future). Other
	// privileges of PUBLIC on tables and sequences there are revoked.
	Access map[string]*Access `yaml:"access,omitempty" json:"access,omitempty"`
}

// Extensions maps an extension name to how it should be.
type Extensions map[string]*Extension

// Extension is one managed extension.
type Extension struct {
	// State is "present" (default) or "absent".
	State string `yaml:"state,omitempty" json:"state"`
	// Schema to create it in (the server's default when omitted).
	Schema string `yaml:"schema,omitempty" json:"schema"`
}

// Setting is a configuration value: a scalar, or a list for list-valued
// settings such as search_path.
type Setting []string

// Built-in profiles.
var builtinProfiles = map[string]*Privileges{
	"readonly": {
		Schema:    []string{"USAGE"},
		Tables:    []string{"SELECT"},
		Sequences: []string{"SELECT"},
	},
	"readwrite": {
		Schema:    []string{"USAGE"},
		Tables:    []string{"SELECT", "INSERT", "UPDATE", "DELETE"},
		Sequences: []string{"USAGE", "SELECT", "UPDATE"},
		Functions: []string{"EXECUTE"},
	},
}

// BuiltinProfiles returns the names of the built-in profiles, sorted.
func BuiltinProfiles() []string { return []string{"readonly", "readwrite"} }
