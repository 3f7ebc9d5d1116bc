// Package state is rolekeeper's model of what a PostgreSQL database's roles
// and privileges are: the desired state built from a spec file, and the actual
// state read from the catalog, share these types so that the diff between them
// is a pure function (package plan).
//
// The model is deliberately aggregated: object privileges are held per
// schema, object kind, grantee and privilege ("SELECT on all tables in app"),
// not per object, so a schema of 20,000 tables compares in constant work.
package state

import (
	"math/bits"
	"sort"
)

// Public is the grantee name used for the PUBLIC pseudo-role.
const Public = "PUBLIC"

// ObjectKind is a class of objects inside a schema that privileges and
// default privileges apply to.
type ObjectKind string

// Object kinds, in the order changes to them are planned.
const (
	Tables    ObjectKind = "tables"    // tables, views, materialized views, foreign and partitioned tables
	Sequences ObjectKind = "sequences" // sequences
	Functions ObjectKind = "functions" // functions, procedures and aggregates (ROUTINES)
)

// ObjectKinds lists every object kind in planning order.
var ObjectKinds = []ObjectKind{Tables, Sequences, Functions}

// Privileges that each kind of object accepts, in canonical order.
// MAINTAIN (tables) exists from PostgreSQL 17 on (MaintainSince): a spec
// may name it and ALL includes it, and the plan compares it only on a
// server that has it (KindPrivilegesOn), so that ALL means there what
// PostgreSQL's ALL means on the connected server.
var (
	DatabasePrivileges = []string{"CONNECT", "CREATE", "TEMPORARY"}
	SchemaPrivileges   = []string{"USAGE", "CREATE"}
	KindPrivileges     = map[ObjectKind][]string{
		Tables:    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"},
		Sequences: {"USAGE", "SELECT", "UPDATE"},
		Functions: {"EXECUTE"},
	}
)

// MaintainSince is the first PostgreSQL major with the table privilege
// MAINTAIN.
const MaintainSince = 17

// KindPrivilegesOn returns the privileges of kind that a server of the
// given major version knows, in canonical order: KindPrivileges without
// MAINTAIN before PostgreSQL 17.
func KindPrivilegesOn(kind ObjectKind, major int) []string {
	return withoutMaintain(KindPrivileges[kind], major)
}

// withoutMaintain returns privs without MAINTAIN when major predates it.
func withoutMaintain(privs []string, major int) []string {
	if major >= MaintainSince {
		return privs
	}
	if n := len(privs); n > 0 && privs[n-1] == "MAINTAIN" {
		return privs[: n-1 : n-1] // MAINTAIN comes last: no copy (planning asks for this per grantee)
	}
	out := make([]string, 0, len(privs))
	for _, p := range privs {
		if p != "MAINTAIN" {
			out = append(out, p)
		}
	}
	return out
}

// Auth is how a login role authenticates.
type Auth string

// Authentication methods.
const (
	AuthNone     Auth = "none"     // no password managed (trust, certificates, or managed elsewhere)
	AuthIAM      Auth = "iam"      // RDS IAM database authentication: member of rds_iam
	AuthPassword Auth = "password" // a generated password kept in a secret store
)

// IAMRole is the RDS role whose members must log in with IAM tokens.
const IAMRole = "rds_iam"

// CloneSuffix names the second login role of an alternating-users
// rotation: role app takes turns with app_clone, a member of app.
const CloneSuffix = "_clone"

// Database is the whole state rolekeeper manages in one database.
type Database struct {
	Name       string
	Owner      string
	Roles      map[string]*Role
	Schemas    map[string]*Schema
	Privileges Grants              // database privileges: grantee -> privileges
	Settings   map[string][]string // ALTER DATABASE ... SET
	Extensions map[string]*Extension
	// GlobalDefaults holds database-wide default privileges (ALTER DEFAULT
	// PRIVILEGES without IN SCHEMA): creator -> kind -> grantee -> privileges.
	GlobalDefaults map[string]map[ObjectKind]Grants
	// Public is the PUBLIC policy (desired state only).
	Public PublicPolicy
	// MaintainNamed says where the spec names the table privilege MAINTAIN
	// explicitly (not through ALL), for the plan to refuse it on a server
	// older than PostgreSQL 17 (desired state only).
	MaintainNamed []string
}

// Role is one role and the attributes rolekeeper converges.
type Role struct {
	Name            string
	Login           bool
	Superuser       bool
	CreateDB        bool
	CreateRole      bool
	Inherit         bool
	Replication     bool
	BypassRLS       bool
	ConnectionLimit int
	// ValidUntil is an RFC 3339 UTC timestamp, or "" for no expiry
	// (PostgreSQL's NULL and 'infinity' are the same here).
	ValidUntil string
	// Settings are per-role settings in this database (ALTER ROLE ... IN DATABASE ... SET).
	Settings map[string][]string
	// AllDatabaseSettings are the role's settings for every database
	// (ALTER ROLE ... SET without IN DATABASE); they hold here too unless
	// Settings overrides them.
	AllDatabaseSettings map[string][]string
	// MemberOf maps each role this role is a member of to the options of that membership.
	MemberOf map[string]Membership
	// Members lists roles the spec does not declare that are to be members
	// of this one (desired state only; declared members are in their MemberOf).
	Members map[string]bool
	// MembersElsewhere: members the spec does not declare are left alone.
	MembersElsewhere bool
	Auth             Auth
	// PasswordSecret names the secret holding an AuthPassword role's password.
	PasswordSecret string
	// Alternate names the other role of an alternating-users rotation
	// pair (app and app_clone name each other); "" for single-user rotation.
	Alternate string
	// Absent marks a role the spec wants removed.
	Absent bool
	// ReassignTo names the role that receives an absent role's objects.
	ReassignTo string
	// AllowAdminRoles permits membership in AdminRoles, in roles that
	// reach them, and in the connected admin (desired state only).
	AllowAdminRoles bool
}

// Membership holds what rolekeeper reads of one role membership.
type Membership struct {
	Admin bool
	// AdminOnly marks a membership that carries neither the role's
	// privileges nor SET ROLE (PostgreSQL 16+: INHERIT FALSE, SET FALSE),
	// such as the one a CREATEROLE user gets in each role it creates
	// (actual state only).
	AdminOnly bool
	// Grantors lists who granted the membership (actual state only).
	Grantors []string
}

// Schema is one schema, its owner and the privileges granted in it.
type Schema struct {
	Name       string
	Owner      string
	Privileges Grants // USAGE/CREATE on the schema: grantee -> privileges
	// RolePUBLIC holds (actual state only) the privileges on the schema of
	// a role named "PUBLIC", which Privileges cannot tell from PUBLIC's
	// and leaves out: such a role may have granted what managed roles hold.
	RolePUBLIC PrivSet
	// RolePUBLICOptions holds (actual state only) the grant options such a
	// role holds on the schema's tables: table -> column ("" for the whole
	// table) -> privileges, for the column privileges it passed on.
	RolePUBLICOptions map[string]map[string]PrivSet
	// Objects holds privileges on existing objects, per object kind.
	Objects map[ObjectKind]*ObjectGrants
	// Defaults holds default privileges scoped to this schema, per creating
	// role and object kind: creator -> kind -> grantee -> privileges.
	Defaults map[string]map[ObjectKind]Grants
	// Columns holds column privileges on the schema's tables (actual state only).
	Columns []*ColumnGrant
	// AllowedOwners may own objects in the schema (desired state only;
	// empty: object ownership is not checked).
	AllowedOwners []string
	// ReassignObjects gives objects owned by others to Owner (desired state only).
	ReassignObjects bool
	// Absent marks a schema the spec wants dropped (only when empty).
	Absent bool
}

// ObjectGrants is what grantees hold on the objects of one kind in a schema.
// In a desired state only Full is set. In an actual state, Full holds the
// privileges a grantee has on every object, Partial those it has on some,
// and Total counts the objects.
type ObjectGrants struct {
	Total int
	// Named holds, in a desired state, privileges on named objects only:
	// grantee -> privilege -> object names.
	Named map[string]map[string]map[string]bool
	// OwnedBy counts the objects each role owns.
	OwnedBy map[string]int
	Full    Grants
	// Partial: grantee -> privilege held on some objects but not all.
	Partial map[string]PartialSet
	// Names of every object of the kind, sorted, and each one's owner;
	// filled only where some grantee's privileges are partial.
	Names      []string
	NameOwners map[string]string
	// Chains lists privileges held with grant option or granted by
	// another role than the owner (actual state only).
	Chains []*Chain
}

// Chain is a privilege that owner-made GRANT and REVOKE do not converge,
// held on some objects of a kind in a schema: with grant option, or
// granted by a role other than the objects' owner.
type Chain struct {
	Grantee, Grantor string
	// ByOwner: the owner granted it (then only the grant options matter).
	ByOwner      bool
	Privileges   []string // held from this grantor
	GrantOptions []string // of those, held with grant option
	Objects      []string // object names (none for functions)
	Count        int
}

// AddNamed grants privs on the named objects to grantee (desired state).
func (og *ObjectGrants) AddNamed(grantee string, privs []string, objects []string) {
	if og.Named == nil {
		og.Named = map[string]map[string]map[string]bool{}
	}
	if og.Named[grantee] == nil {
		og.Named[grantee] = map[string]map[string]bool{}
	}
	for _, p := range privs {
		if og.Named[grantee][p] == nil {
			og.Named[grantee][p] = map[string]bool{}
		}
		for _, o := range objects {
			og.Named[grantee][p][o] = true
		}
	}
}

// PartialSet maps a privilege to how a grantee holds it on some objects.
type PartialSet map[string]*Partial

// Keys returns the privileges, in the canonical order given.
func (ps PartialSet) Keys(order []string) []string {
	var out []string
	for _, p := range order {
		if ps[p] != nil {
			out = append(out, p)
		}
	}
	return out
}

// Partial describes a privilege a grantee holds on some objects of a kind
// in a schema. The catalog lists the smaller side: the objects that have
// it (HasListed) or those that lack it.
type Partial struct {
	HasListed bool
	Objects   []string
}

// Has returns the objects that have the privilege.
func (p *Partial) Has(og *ObjectGrants, grantee string) []string {
	if p.HasListed {
		return p.Objects
	}
	return og.without(p.Objects, grantee)
}

// Lacks returns the objects that lack the privilege, leaving out the
// grantee's own objects (an owner's privileges are implicit).
func (p *Partial) Lacks(og *ObjectGrants, grantee string) []string {
	if !p.HasListed {
		return p.Objects
	}
	return og.without(p.Objects, grantee)
}

// without returns the names not in exclude and not owned by grantee.
func (og *ObjectGrants) without(exclude []string, grantee string) []string {
	skip := make(map[string]bool, len(exclude))
	for _, o := range exclude {
		skip[o] = true
	}
	var out []string
	for _, o := range og.Names {
		if !skip[o] && og.NameOwners[o] != grantee {
			out = append(out, o)
		}
	}
	return out
}

// Extension is one extension in the database.
type Extension struct {
	Name    string
	Schema  string
	Version string
	Absent  bool
}

// Grants maps a grantee to the privileges it holds.
type Grants map[string]PrivSet

// Add grants privs to grantee.
func (g Grants) Add(grantee string, privs ...string) {
	if len(privs) == 0 {
		return
	}
	g[grantee] |= PrivsOf(privs...)
}

// AddSet grants the privileges of set to grantee (nothing when set is empty).
func (g Grants) AddSet(grantee string, set PrivSet) {
	if set != 0 {
		g[grantee] |= set
	}
}

// PrivSet is a set of privileges, one bit each: a grantee's privileges
// fit in one word, so a schema of a thousand grantees is one map of
// words rather than a thousand maps of names. The bits follow the letters
// of PostgreSQL's ACL text (PrivLetters), so an ACL item parses straight
// into a set.
type PrivSet uint32

// PrivLetters lists, in bit order, the letter of each privilege in
// PostgreSQL's ACL text (acldefault, aclitem::text): bit i of a PrivSet is
// the privilege written PrivLetters[i], named PrivNames[i].
const PrivLetters = "rwadDxtXUCcTsAm"

// PrivNames names the privilege of each bit of a PrivSet.
var PrivNames = [len(PrivLetters)]string{
	"SELECT", "UPDATE", "INSERT", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER",
	"EXECUTE", "USAGE", "CREATE", "CONNECT", "TEMPORARY", "SET", "ALTER SYSTEM", "MAINTAIN",
}

// PrivOf returns the bit of one privilege name (upper case, as in
// PrivNames). It panics on any other name: every name reaching the model
// was checked against the privilege lists above, so another one is a bug.
func PrivOf(name string) PrivSet {
	if b := privBit(name); b != 0 {
		return b
	}
	panic("state: unknown privilege " + name)
}

// privBit returns the bit of a privilege name, 0 for an unknown one.
func privBit(name string) PrivSet {
	for i, n := range PrivNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}

// PrivsOf returns the set of the privileges named.
func PrivsOf(names ...string) PrivSet {
	var s PrivSet
	for _, n := range names {
		s |= PrivOf(n)
	}
	return s
}

// Has reports whether s holds the privilege named (false for a name that
// is no privilege, as from a server newer than this model).
func (s PrivSet) Has(name string) bool { return s&privBit(name) != 0 }

// Names returns the privileges of s in bit order.
func (s PrivSet) Names() []string {
	var out []string
	for i := 0; s != 0; i++ {
		if s&1 != 0 {
			out = append(out, PrivNames[i])
		}
		s >>= 1
	}
	return out
}

// Name returns the name of the lowest privilege of s ("" when s is empty):
// the name of a set of one.
func (s PrivSet) Name() string {
	if s == 0 {
		return ""
	}
	return PrivNames[bits.TrailingZeros32(uint32(s))]
}

// Minus returns the privileges in s that are not in other, in the canonical
// order given by order.
func (s PrivSet) Minus(other PrivSet, order []string) []string {
	rest := s &^ other
	if rest == 0 {
		return nil
	}
	var out []string
	for _, p := range order {
		if rest.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// SortedKeys returns the keys of a string-keyed map in sorted order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// NewDatabase returns an empty database state.
func NewDatabase(name string) *Database {
	return &Database{
		Name:       name,
		Roles:      map[string]*Role{},
		Schemas:    map[string]*Schema{},
		Privileges: Grants{},
		Settings:   map[string][]string{},
		Extensions: map[string]*Extension{},
	}
}

// NewSchema returns an empty schema state.
func NewSchema(name, owner string) *Schema {
	s := &Schema{
		Name:       name,
		Owner:      owner,
		Privileges: Grants{},
		Objects:    map[ObjectKind]*ObjectGrants{},
		Defaults:   map[string]map[ObjectKind]Grants{},
	}
	for _, k := range ObjectKinds {
		s.Objects[k] = &ObjectGrants{Full: Grants{}}
	}
	return s
}

// SchemaOwner stands, as a creator in a desired state's Defaults, for the
// owner of a schema the spec declares without one: whoever owns it when
// the plan runs.
const SchemaOwner = "\x00owner"

// DefaultGrants returns the default privileges for objects of kind that
// creator makes in the schema, creating the map when missing.
func (s *Schema) DefaultGrants(creator string, kind ObjectKind) Grants {
	return defaultGrants(s.Defaults, creator, kind)
}

// defaultGrants returns m[creator][kind], creating what is missing.
func defaultGrants(m map[string]map[ObjectKind]Grants, creator string, kind ObjectKind) Grants {
	byKind := m[creator]
	if byKind == nil {
		byKind = map[ObjectKind]Grants{}
		m[creator] = byKind
	}
	g := byKind[kind]
	if g == nil {
		g = Grants{}
		byKind[kind] = g
	}
	return g
}
