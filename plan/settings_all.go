package plan

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// Slots of a role's changes of rank rankRoleSettings: its password, then
// its settings for all databases, then those in this database.
const (
	slotPassword = iota
	slotAllDatabases
	slotInDatabase
)

// allDatabaseSettings converges a managed role's settings for every
// database (ALTER ROLE ... SET without IN DATABASE): they hold in this
// database too, so one the spec does not list is drift and is reset in
// authoritative mode.
func (d *differ) allDatabaseSettings(w, h *state.Role) {
	var have map[string][]string
	if h != nil {
		have = h.AllDatabaseSettings
	}
	d.begin()
	if d.settingChanges(w.Name, w.AllDatabaseSettings, have, "in all databases", "ALTER ROLE "+ident(w.Name)+" ", slotAllDatabases) && h != nil {
		d.checkCanAlter(w.Name, h)
	}
	d.end()
}

// settingChanges plans SET for the settings of role that differ from want
// and RESET for those want does not list (removals: additive mode drops them). where says
// where they hold ("in database x"), prefix starts each statement. It
// reports whether it planned anything.
func (d *differ) settingChanges(role string, want, have map[string][]string, where, prefix string, slot int) bool {
	changed := false
	for _, k := range union(want, have) {
		wv, inWant := want[k]
		hv, inHave := have[k]
		switch {
		case inWant && (!inHave || !state.EqualSetting(wv, hv)):
			d.checkSettable(k, fmt.Sprintf("role %s %s", ident(role), where))
			d.add(Change{Action: "set", Object: "role setting", Name: role + "." + k,
				Summary: fmt.Sprintf("set %s for role %s %s", k, ident(role), where),
				SQL:     []string{fmt.Sprintf("%sSET %s = %s", prefix, settingName(k), settingValue(wv))},
				rank:    rankRoleSettings, order: key(names(role), num(slot), names(k)),
				deps: deps{needs: rolesExist(role)}})
			changed = true
		case !inWant && inHave:
			d.add(Change{Action: "reset", Object: "role setting", Name: role + "." + k,
				Summary: fmt.Sprintf("reset %s for role %s %s (not in the spec)", k, ident(role), where),
				SQL:     []string{fmt.Sprintf("%sRESET %s", prefix, settingName(k))},
				rank:    rankRoleSettings, order: key(names(role), num(slot), names(k)),
				deps: deps{needs: rolesExist(role)}})
			changed = true
		}
	}
	return changed
}

// checkSettable reports a setting only a superuser, or a role granted SET
// on it, may set: apply would fail on it.
func (d *differ) checkSettable(name, where string) {
	if d.super() {
		return
	}
	if d.snap.Server.SettingRestricted == nil {
		if d.unread == nil {
			d.unread = map[string]bool{}
		}
		d.unread[strings.ToLower(name)] = true
		return
	}
	if !d.snap.Server.SettingRestricted[strings.ToLower(name)] {
		return
	}
	d.problem("setting %s for %s: only a superuser may set %q, and %q is not one; on PostgreSQL 15+ a superuser can allow it (GRANT SET ON PARAMETER %s TO %s), or remove it from the spec",
		name, where, name, d.snap.Server.User, settingName(name), ident(d.snap.Server.User))
}
