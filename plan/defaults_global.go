package plan

import (
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/state"
)

// globalKindSQL names a kind in ALTER DEFAULT PRIVILEGES ... ON <x>.
var globalKindSQL = map[state.ObjectKind]string{
	state.Tables: "TABLES", state.Sequences: "SEQUENCES", state.Functions: "FUNCTIONS",
	state.Types: "TYPES", state.SchemaKinds: "SCHEMAS",
}

// globalDefaults plans database-wide default privileges (ALTER DEFAULT
// PRIVILEGES FOR ROLE c without IN SCHEMA) whose grantees are managed
// roles: those the spec declares are granted; others, for any creator,
// managed or not, are revoked in authoritative mode, since every object the
// creator makes later, in any schema, would give them more than the spec
// says.
func (d *differ) globalDefaults() {
	have := d.have.GlobalDefaults
	want := d.want.GlobalDefaults
	for _, creator := range union(want, have) {
		for ki, kind := range state.GlobalDefaultKinds {
			wg, hg := want[creator][kind], have[creator][kind]
			order := state.GlobalDefaultPrivilegesOn(kind, d.snap.Server.Major())
			need, extra := map[string][]string{}, map[string][]string{}
			for _, g := range union(wg, hg) {
				if !d.managed[g] || g == creator {
					continue
				}
				addIfAny(need, g, wg[g].Minus(hg[g], order))
				addIfAny(extra, g, hg[g].Minus(wg[g], order))
			}
			groups, revokes := groupByPrivs(need), groupByPrivs(extra)
			if len(groups)+len(revokes) == 0 {
				continue
			}
			d.begin()
			d.would(mark{removal: len(groups) == 0})
			if !d.exists(creator) {
				d.problem("default_privileges names %q, which does not exist and is not declared", creator)
				d.end()
				continue
			}
			acts := d.needActAs(creator, "set the default privileges of objects it creates in any schema")
			k := globalKindSQL[kind]
			prefix := fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s ", ident(creator))
			for _, g := range groups {
				d.add(Change{Action: "grant", Object: "default privileges", Name: creator + "." + string(kind),
					Summary: fmt.Sprintf("future %s %s creates in any schema: grant %s to %s", kind, ident(creator), strings.Join(g.privs, ", "), quotedList(g.grantees)),
					SQL:     []string{fmt.Sprintf("%sGRANT %s ON %s TO %s", prefix, strings.Join(g.privs, ", "), k, quotedList(g.grantees))},
					rank:    rankDefaultGrants, order: key(num(slotGlobalDefaults), names(creator), num(ki), names(g.grantees...)),
					deps: deps{needs: append(rolesExist(append([]string{creator}, g.grantees...)...), acts)}})
			}
			for _, g := range revokes {
				d.add(Change{Action: "revoke", Object: "default privileges", Name: creator + "." + string(kind),
					Summary: fmt.Sprintf("future %s %s creates in any schema: revoke %s from %s (not in the spec)", kind, ident(creator), strings.Join(g.privs, ", "), quotedList(g.grantees)),
					SQL:     []string{fmt.Sprintf("%sREVOKE %s ON %s FROM %s", prefix, strings.Join(g.privs, ", "), k, quotedList(g.grantees))},
					rank:    rankRevokeDefaults, order: key(num(slotGlobalDefaults), names(creator), num(ki), names(g.grantees...)),
					deps: deps{needs: append(rolesExist(append([]string{creator}, g.grantees...)...), acts)}})
			}
			d.end()
		}
	}
}
