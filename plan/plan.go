// Package plan computes and renders the changes that bring a database from
// its actual state to the desired one. Diff is a pure function of the two
// states and what the server and the connected user are: it touches no
// database, so it is tested exhaustively without one.
package plan

import (
	"github.com/rolekeeper/rolekeeper/state"
)

// Action is what a change does.
type Action string

// Actions. Temporary changes are memberships the connected user takes for
// the length of the transaction (and gives back before commit).
const (
	ActionCreate    Action = "create"
	ActionAlter     Action = "alter"
	ActionSet       Action = "set"
	ActionReset     Action = "reset"
	ActionGrant     Action = "grant"
	ActionRevoke    Action = "revoke"
	ActionDrop      Action = "drop"
	ActionTemporary Action = "temporary"
)

// Object is the kind of thing a change acts on.
type Object string

// Objects. The object kinds of state (tables, sequences, functions) are
// objects too: Object(kind).
const (
	ObjectRole              Object = "role"
	ObjectPassword          Object = "password"
	ObjectRoleSetting       Object = "role setting"
	ObjectMembership        Object = "membership"
	ObjectDatabase          Object = "database"
	ObjectDatabaseSetting   Object = "database setting"
	ObjectSchema            Object = "schema"
	ObjectDefaultPrivileges Object = "default privileges"
	ObjectExtension         Object = "extension"
)

// Change is one reviewed step of a plan: what it does, in one line, and the
// SQL that does it.
type Change struct {
	// Action is what the change does.
	Action Action `json:"action"`
	// Object is what kind of thing changes.
	Object Object `json:"object"`
	// Name names it (a role, a schema, "app.tables").
	Name string `json:"name"`
	// Summary is one line for people.
	Summary string `json:"summary"`
	// SQL holds the statements, every identifier quoted. A password is
	// never shown: apply substitutes its SCRAM verifier when it runs.
	SQL []string `json:"sql"`
	// Secret names the secret a password change reads (or creates).
	Secret string `json:"secret,omitempty"`

	rank  rank     // kind rank: breaks ties the dependencies leave
	order orderKey // breaks ties within a rank
	deps           // what the change needs, provides and removes: its order
	group int      // ties the change to its notes (roles to act as, problems)
	mark
}

// Options change how the diff treats what is not in the spec.
type Options struct {
	// Additive grants what is missing and never revokes or resets.
	Additive bool
	// DropAbsentExtensions drops extensions the spec marks absent even in
	// additive mode (the template-infra role manager does: it grants and
	// never revokes, but drops an extension set to false).
	DropAbsentExtensions bool
	// Databases lists every database of a multi-database spec, this one
	// included: what a dropped role holds in them is cleared by their own
	// transactions, so it is no problem here.
	Databases []string
	// KeepAbsentRoles clears roles the spec marks absent in this database
	// (REASSIGN OWNED, DROP OWNED) without dropping them: a later
	// database's transaction drops them (multi-database specs).
	KeepAbsentRoles bool
	// TiesReversed breaks the ties the changes' dependencies leave the
	// other way round (highest kind rank and order key first). Tests set
	// it to show that a plan's order comes from its dependencies: such a
	// plan is as valid, in another order than the usual one.
	TiesReversed bool
}

// Plan is the ordered list of changes and what the user must know first.
type Plan struct {
	Database string   `json:"database"`
	Server   string   `json:"server_version"`
	User     string   `json:"connected_as"`
	Mode     string   `json:"mode"`
	Changes  []Change `json:"changes"`
	// Unmanaged lists roles that exist but are not in the spec: left alone.
	Unmanaged []string `json:"unmanaged_roles"`
	// Problems are rights the connected user lacks or references that do
	// not resolve: a plan with problems is not applied.
	Problems []string `json:"problems"`
	// Outside lists what reaches a managed role or schema that the plan
	// leaves alone: the spec cannot say it, or says to leave it (additive
	// mode, members managed elsewhere).
	Outside []string `json:"outside_spec"`

	// unread lists (lower case) the settings the plan sets whose
	// restriction the snapshot left unread (SettingsUnread).
	unread []string
}

// SettingsUnread lists (lower case) the settings the plan sets without
// knowing whether the connected user may set them: the snapshot's
// SettingRestricted was not read. Read them (catalog.RestrictedSettings)
// and plan again to check them.
func (p *Plan) SettingsUnread() []string { return p.unread }

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Statements returns every SQL statement of the plan in order.
func (p *Plan) Statements() []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.SQL...)
	}
	return out
}

// Summary counts changes by action.
func (p *Plan) Summary() map[string]int {
	m := map[string]int{}
	for _, c := range p.Changes {
		if c.Action != ActionTemporary {
			m[string(c.Action)]++
		}
	}
	return m
}

// IsSystemRole reports roles rolekeeper never lists as unmanaged nor
// writes into an inspected spec: superusers, predefined and RDS roles, and
// the connected user.
func IsSystemRole(name string, snap *state.Snapshot) bool {
	if r := snap.Roles[name]; r != nil && r.Superuser {
		return true
	}
	switch {
	case name == snap.Server.User:
		return true
	case state.ReservedRole(name):
		return true
	}
	return false
}
