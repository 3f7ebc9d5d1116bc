package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// objectGroup is a set of objects of one kind in one schema that share an
// owner and an ACL.
type objectGroup struct {
	owner   string
	names   []string
	count   int
	entries []aclEntry // grantees of interest, sorted by name
	chains  []chainEntry
}

// privsOf returns a grantee's privileges in the group.
func (g *objectGroup) privsOf(grantee string) state.PrivSet {
	i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].grantee >= grantee })
	if i < len(g.entries) && g.entries[i].grantee == grantee {
		return g.entries[i].privs
	}
	return 0
}

type kindKey struct {
	schema string
	kind   state.ObjectKind
}

// objectReader turns object groups into aggregated grants: a privilege a
// grantee has on every object it does not own is Full; on some, Partial,
// with the smaller list of objects (those that have it, or those that lack
// it).
type objectReader struct {
	keep   func(string) bool
	groups map[kindKey][]*objectGroup
	order  []kindKey
	names  map[string]string // interned grantee names
}

func newObjectReader(keep func(string) bool) *objectReader {
	return &objectReader{keep: keep, groups: map[kindKey][]*objectGroup{}, names: map[string]string{}}
}

func (r *objectReader) scan(rows pgx.Rows, db *state.Database) error {
	var schema, kind, owner, acl string
	var names []string
	var count int
	_, err := pgx.ForEachRow(rows, []any{&schema, &kind, &owner, &acl, &count, &names}, func() error {
		g, err := r.group(owner, acl)
		if err != nil {
			return fmt.Errorf("%s in %s: %w", kind, schema, err)
		}
		g.names, g.count = names, count
		k := kindKey{schema, state.ObjectKind(kind)}
		if _, seen := r.groups[k]; !seen {
			r.order = append(r.order, k)
		}
		r.groups[k] = append(r.groups[k], g)
		return nil
	})
	if err != nil {
		return fmt.Errorf("object privileges: %w", err)
	}
	return nil
}

// group parses one ACL (the text of an aclitem[]) into a group holding the
// grantees of interest, the owner's own entry left out.
func (r *objectReader) group(owner, acl string) (*objectGroup, error) {
	items, err := splitArray(acl)
	if err != nil {
		return nil, err
	}
	entries, err := parseACLInterned(items, r.names)
	if err != nil {
		return nil, err
	}
	g := &objectGroup{owner: owner, entries: entries[:0]}
	var only map[string]state.PrivSet
	if strings.IndexByte(acl, '*') >= 0 {
		if g.chains, only, err = parseChains(items, owner); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		e.privs &^= only[e.grantee]
		if e.grantee != owner && r.keep(e.grantee) {
			if e.grantee == "" {
				e.grantee = "PUBLIC"
			}
			g.entries = append(g.entries, e)
		}
	}
	sort.Slice(g.entries, func(i, j int) bool { return g.entries[i].grantee < g.entries[j].grantee })
	return g, nil
}

// finish fills each schema's ObjectGrants.
func (r *objectReader) finish(db *state.Database) {
	for _, k := range r.order {
		sc := db.Schemas[k.schema]
		if sc == nil {
			continue
		}
		fillObjectGrants(sc.Objects[k.kind], r.groups[k], k.kind != state.Functions)
		fillChains(sc.Objects[k.kind], r.groups[k])
	}
}

func fillObjectGrants(og *state.ObjectGrants, groups []*objectGroup, named bool) {
	og.OwnedBy = map[string]int{}
	type gp struct {
		grantee string
		bit     state.PrivSet
	}
	counts := map[gp]int{}
	for _, g := range groups {
		og.Total += g.count
		og.OwnedBy[g.owner] += g.count
		for _, e := range g.entries {
			for b := state.PrivSet(1); b != 0 && b <= e.privs; b <<= 1 {
				if e.privs&b != 0 {
					counts[gp{e.grantee, b}] += g.count
				}
			}
		}
	}
	var partial []gp
	for key, n := range counts {
		if n >= og.Total-og.OwnedBy[key.grantee] {
			og.Full.AddSet(key.grantee, key.bit)
			continue
		}
		priv := key.bit.Name()
		if og.Partial == nil {
			og.Partial = map[string]state.PartialSet{}
		}
		if og.Partial[key.grantee] == nil {
			og.Partial[key.grantee] = state.PartialSet{}
		}
		og.Partial[key.grantee][priv] = &state.Partial{HasListed: 2*n <= og.Total}
		partial = append(partial, key)
	}
	if !named {
		return
	}
	// Every object's name and owner: partial drift and grants on named
	// objects are planned per object.
	og.NameOwners = map[string]string{}
	for _, g := range groups {
		for _, name := range g.names {
			og.Names = append(og.Names, name)
			og.NameOwners[name] = g.owner
		}
	}
	sort.Strings(og.Names)
	for _, key := range partial {
		p := og.Partial[key.grantee][key.bit.Name()]
		for _, g := range groups {
			has := g.privsOf(key.grantee)&key.bit != 0
			if has == p.HasListed && (has || g.owner != key.grantee) {
				p.Objects = append(p.Objects, g.names...)
			}
		}
		sort.Strings(p.Objects)
	}
}
