package state

// What one inspection of the catalog saw, beside the database's own state:
// the server and the connected user, every role of the cluster, and what
// stands between a removed role and DROP ROLE. Package catalog reads it;
// package plan depends on it, and so on this model only.

// Server describes the server and the connected user.
type Server struct {
	User          string
	Database      string
	VersionNum    int    // e.g. 160004
	Version       string // e.g. "16.4"
	Superuser     bool
	CreateRole    bool
	CreateDB      bool
	CreateInDB    bool // CREATE on the database: needed to create schemas
	DatabaseOwner string
	ActsAsDBOwner bool // has the privileges of the database owner
	// Role relations of the connected user, by role name.
	Uses    map[string]bool // has the role's privileges (pg_has_role USAGE)
	AdminOf map[string]bool // holds ADMIN OPTION on it
	CanSet  map[string]bool // may SET ROLE to it (16+: the SET option; before: membership)
	// Installable lists extensions of interest that are available but not installed.
	Installable map[string]bool
	// ExtensionNeedsSuperuser lists installable extensions that only a
	// superuser may create (not trusted); on RDS rds_superuser may.
	ExtensionNeedsSuperuser map[string]bool
	// ExtensionFixedSchema gives the schema an installable extension's
	// control file fixes (it goes nowhere else), by name.
	ExtensionFixedSchema map[string]string
	// SchemaExists lists which of the schemas extensions are to go in exist.
	SchemaExists map[string]bool
	// SettingRestricted lists (lower case) the settings a plan sets that
	// only a superuser, or a role granted SET on them, may set. nil: not
	// read (inspection leaves it out, since most runs set no setting; the
	// plan names the settings it sets and package apply reads just those).
	SettingRestricted map[string]bool
	// RDS: the server is Amazon RDS or Aurora (rds.extensions is set).
	RDS bool
}

// Major returns the major version (13 for 130004).
func (s *Server) Major() int { return s.VersionNum / 10000 }

// Snapshot is what one inspection saw.
type Snapshot struct {
	Server Server
	DB     *Database
	// Roles holds every role in the cluster, not only managed ones.
	Roles map[string]*Role
	// Dropping holds, for each role of Scope.Dropping that exists, what
	// its DROP depends on.
	Dropping map[string]*Dropping
}

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
	// Schemas lists the schemas the role owns.
	Schemas []string
	// ObjectsIn lists the schemas where the role owns objects.
	ObjectsIn []ObjectsIn
}

// ObjectsIn is a schema where a role to drop owns objects.
type ObjectsIn struct {
	Schema string
	Owner  string
	// TargetCanCreate: the role receiving the objects is granted CREATE on
	// the schema now, directly (REASSIGN OWNED needs CREATE for each
	// object it moves).
	TargetCanCreate bool
}
