package catalog

import (
	"sort"

	"github.com/rolekeeper/rolekeeper/state"
)

// chainEntry is an ACL entry that plain GRANT and REVOKE by the owner do
// not converge: a privilege held with grant option, or one granted by a
// role other than the owner (only a holder of the grant option can have
// granted it, so both show as a '*' in the ACL text).
type chainEntry struct {
	aclItem
	byOwner bool
}

// parseChains reads the entries of an ACL that holds a grant option: every
// entry granted by another role than owner, and every entry that holds a
// grant option. only maps each grantee to the privileges it holds from
// other grantors alone: those are not counted as held, so that a wanted
// privilege is granted by the owner and the other grant revoked.
// rolePUBLICOptions are the grant options of a role named "PUBLIC", whose
// entries are otherwise left out.
func parseChains(items []string, owner string) (chains []chainEntry, only map[string]state.PrivSet, rolePUBLICOptions state.PrivSet, err error) {
	fromOwner, fromOthers := map[string]state.PrivSet{}, map[string]state.PrivSet{}
	for _, item := range items {
		e, err := parseItem(item)
		if err != nil {
			return nil, nil, 0, err
		}
		if rolePUBLIC(e.grantee) {
			rolePUBLICOptions |= e.options
			continue
		}
		if e.grantee == owner {
			continue
		}
		byOwner := e.grantor == owner
		if byOwner {
			fromOwner[e.grantee] |= e.privs
		} else {
			fromOthers[e.grantee] |= e.privs
		}
		if !byOwner || e.options != 0 {
			chains = append(chains, chainEntry{e, byOwner})
		}
	}
	only = map[string]state.PrivSet{}
	for g, bits := range fromOthers {
		if rest := bits &^ fromOwner[g]; rest != 0 {
			only[g] = rest
		}
	}
	return chains, only, rolePUBLICOptions, nil
}

// fillChains aggregates the chain entries of a kind in a schema: one
// state.Chain per grantee, grantor and privileges, with the objects that
// have it (none for functions, whose names are not read).
func fillChains(og *state.ObjectGrants, groups []*objectGroup) {
	idx := map[chainEntry]*state.Chain{}
	var keys []chainEntry
	for _, g := range groups {
		for _, e := range g.chains {
			c := idx[e]
			if c == nil {
				c = &state.Chain{Grantee: publicName(e.grantee), Grantor: e.grantor, ByOwner: e.byOwner,
					Privileges: e.privs.Names(), GrantOptions: e.options.Names()}
				idx[e] = c
				keys = append(keys, e)
			}
			c.Objects = append(c.Objects, g.names...)
			c.Count += g.count
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.grantee != b.grantee {
			return a.grantee < b.grantee
		}
		if a.grantor != b.grantor {
			return a.grantor < b.grantor
		}
		if a.privs != b.privs {
			return a.privs < b.privs
		}
		return a.options < b.options
	})
	for _, k := range keys {
		c := idx[k]
		sort.Strings(c.Objects)
		og.Chains = append(og.Chains, c)
	}
}
