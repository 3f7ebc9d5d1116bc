package catalog

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// objectGroup is a set of objects of one kind in one schema that share an
// owner and the same ACL entries, in whatever order: the server groups
// objects by identical ACL, and the reader merges groups whose ACLs list
// the same entries in another order (a repair's GRANT on one table appends
// its grantees at the end of that table's ACL).
type objectGroup struct {
	owner   string
	names   []string
	count   int
	entries []idEntry // grantees of interest with some privilege, in ACL order
	hash    uint64    // of the entries, whatever their order
	chains  []chainEntry
	// rolePUBLICOptions are the grant options of a role named "PUBLIC",
	// which entries and chains leave out (they would read as PUBLIC's).
	rolePUBLICOptions state.PrivSet
}

// idEntry is a grantee's privileges in a group; id indexes
// objectReader.names.
type idEntry struct {
	id    int32
	privs state.PrivSet
}

type kindKey struct {
	schema string
	kind   state.ObjectKind
}

// setKey finds the groups that may hold the same entries as another.
type setKey struct {
	kindKey
	owner string
	hash  uint64
	n     int
}

// privBitCount is the number of privilege bits of a state.PrivSet.
const privBitCount = len(state.PrivLetters)

// objectReader turns object groups into aggregated grants: a privilege a
// grantee has on every object it does not own is Full; on some, Partial,
// with the smaller list of objects (those that have it, or those that lack
// it). Grantees are numbered as first met, so that a million ACL entries
// are counted in slices rather than maps.
type objectReader struct {
	keep   func(string) bool
	groups map[kindKey][]*objectGroup
	order  []kindKey
	sets   map[setKey][]*objectGroup
	filled map[kindKey]bool // kinds whose ObjectGrants are filled
	ids    map[string]int32 // grantee as the ACL writes it ("" for PUBLIC) -> id, -1 when not of interest
	names  []string         // id -> grantee name (PUBLIC for "")
	// Scratch space by id, left zero between uses.
	privs  []state.PrivSet
	counts [][privBitCount]int
	// One ACL's elements and entries, reused from row to row (a group
	// keeps its own idEntry copy).
	items   []string
	entries []aclEntry
}

func newObjectReader(keep func(string) bool) *objectReader {
	return &objectReader{keep: keep, groups: map[kindKey][]*objectGroup{}, sets: map[setKey][]*objectGroup{}, filled: map[kindKey]bool{}, ids: map[string]int32{}}
}

func (r *objectReader) scan(rows pgx.Rows, db *state.Database) error {
	var schema, kind, owner, acl, list string
	var count int
	_, err := pgx.ForEachRow(rows, []any{&schema, &kind, &owner, &acl, &count, &list}, func() error {
		k := kindKey{schema, state.ObjectKind(kind)}
		if r.filled[k] {
			return fmt.Errorf("%s in %s: rows not ordered by schema and kind", kind, schema)
		}
		// The rows come ordered by schema and kind: the previous kind is
		// complete, and is filled while the server runs the next query.
		if n := len(r.order); n > 0 && r.order[n-1] != k {
			r.fillKind(db, r.order[n-1])
		}
		names, err := splitArray(list)
		if err != nil {
			return fmt.Errorf("%s in %s: object names: %w", kind, schema, err)
		}
		return r.add(schema, k.kind, owner, acl, count, names)
	})
	if err != nil {
		return fmt.Errorf("object privileges: %w", err)
	}
	return nil
}

// add reads one row: count objects (names) of a kind in a schema with one
// owner and ACL.
func (r *objectReader) add(schema string, kind state.ObjectKind, owner, acl string, count int, names []string) error {
	g, err := r.group(owner, acl)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", kind, schema, err)
	}
	g.names, g.count = names, count
	k := kindKey{schema, kind}
	if _, seen := r.groups[k]; !seen {
		r.order = append(r.order, k)
	}
	if len(g.chains) == 0 && g.rolePUBLICOptions == 0 {
		sk := setKey{k, owner, g.hash, len(g.entries)}
		for _, same := range r.sets[sk] {
			if r.sameEntries(same, g) {
				same.names = append(same.names, g.names...)
				same.count += g.count
				return nil
			}
		}
		r.sets[sk] = append(r.sets[sk], g)
	}
	r.groups[k] = append(r.groups[k], g)
	return nil
}

// id returns the number of a grantee as the ACL writes it, -1 when it is
// not of interest.
func (r *objectReader) id(grantee string) int32 {
	if id, ok := r.ids[grantee]; ok {
		return id
	}
	grantee = strings.Clone(grantee) // not a substring of the whole ACL text
	id := int32(-1)
	if r.keep(grantee) {
		id = int32(len(r.names))
		r.names = append(r.names, publicName(grantee))
		r.privs = append(r.privs, 0)
		r.counts = append(r.counts, [privBitCount]int{})
	}
	r.ids[grantee] = id
	return id
}

// group parses one ACL (the text of an aclitem[]) into a group holding the
// grantees of interest, the owner's own entry left out.
func (r *objectReader) group(owner, acl string) (*objectGroup, error) {
	items, err := splitArrayInto(r.items, acl)
	if err != nil {
		return nil, err
	}
	r.items = items
	entries, err := parseACLInto(r.entries, items)
	if err != nil {
		return nil, err
	}
	r.entries = entries
	g := &objectGroup{owner: owner, entries: make([]idEntry, 0, len(entries))}
	var only map[string]state.PrivSet
	if strings.IndexByte(acl, '*') >= 0 {
		if g.chains, only, g.rolePUBLICOptions, err = parseChains(items, owner); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		privs := e.privs &^ only[e.grantee]
		if e.grantee == owner || privs == 0 {
			continue
		}
		if id := r.id(e.grantee); id >= 0 {
			g.entries = append(g.entries, idEntry{id, privs})
			g.hash += mix(uint64(id)<<32 | uint64(privs)) // a sum: the order does not count
		}
	}
	return g, nil
}

// sameEntries reports whether two groups hold the same entries. Within a
// group each grantee appears once, so equal lengths and every entry of b
// found in a make the same set.
func (r *objectReader) sameEntries(a, b *objectGroup) bool {
	if len(a.entries) != len(b.entries) {
		return false
	}
	for _, e := range a.entries {
		r.privs[e.id] = e.privs
	}
	same := true
	for _, e := range b.entries {
		if r.privs[e.id] != e.privs {
			same = false
			break
		}
	}
	for _, e := range a.entries {
		r.privs[e.id] = 0
	}
	return same
}

// mix is splitmix64's finaliser: distinct inputs spread over 64 bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// finish fills each schema's ObjectGrants that scan has not filled yet.
func (r *objectReader) finish(db *state.Database) {
	for _, k := range r.order {
		r.fillKind(db, k)
	}
}

// fillKind fills one schema's ObjectGrants of one kind, once all its rows
// are read.
func (r *objectReader) fillKind(db *state.Database, k kindKey) {
	if r.filled[k] {
		return
	}
	r.filled[k] = true
	sc := db.Schemas[k.schema]
	if sc == nil {
		return
	}
	r.fill(sc.Objects[k.kind], r.groups[k], k.kind != state.Functions)
	fillChains(sc.Objects[k.kind], r.groups[k])
	if k.kind == state.Tables {
		// A role named "PUBLIC" may have passed on column privileges
		// under a grant option on the table (plan: columnRevoke).
		for _, g := range r.groups[k] {
			for _, name := range g.names {
				addRolePUBLICOptions(sc, name, "", g.rolePUBLICOptions)
			}
		}
	}
}

// partialKey is a privilege a grantee holds on some objects only.
type partialKey struct {
	id  int32
	bit state.PrivSet
	p   *state.Partial
}

func (r *objectReader) fill(og *state.ObjectGrants, groups []*objectGroup, named bool) {
	og.OwnedBy = map[string]int{}
	var used []int32
	for _, g := range groups {
		og.Total += g.count
		og.OwnedBy[g.owner] += g.count
		for _, e := range g.entries {
			if r.privs[e.id] == 0 {
				used = append(used, e.id)
			}
			r.privs[e.id] |= e.privs
			c := &r.counts[e.id]
			for b := e.privs; b != 0; b &= b - 1 {
				c[bits.TrailingZeros32(uint32(b))] += g.count
			}
		}
	}
	if len(og.Full) == 0 {
		og.Full = make(state.Grants, len(used))
	}
	var partial []partialKey
	for _, id := range used {
		name := r.names[id]
		c := &r.counts[id]
		for i, n := range c {
			if n == 0 {
				continue
			}
			bit := state.PrivSet(1) << i
			if n >= og.Total-og.OwnedBy[name] {
				og.Full.AddSet(name, bit)
				continue
			}
			if og.Partial == nil {
				og.Partial = map[string]state.PartialSet{}
			}
			if og.Partial[name] == nil {
				og.Partial[name] = state.PartialSet{}
			}
			p := &state.Partial{HasListed: 2*n <= og.Total}
			og.Partial[name][bit.Name()] = p
			partial = append(partial, partialKey{id, bit, p})
		}
		*c = [privBitCount]int{}
		r.privs[id] = 0
	}
	if !named {
		return
	}
	// Every object's name and owner: partial drift and grants on named
	// objects are planned per object.
	n := 0
	for _, g := range groups {
		n += len(g.names)
	}
	og.NameOwners = make(map[string]string, n)
	if n > 0 {
		og.Names = make([]string, 0, n)
	}
	for _, g := range groups {
		for _, name := range g.names {
			og.Names = append(og.Names, name)
			og.NameOwners[name] = g.owner
		}
	}
	sort.Strings(og.Names)
	if len(partial) == 0 {
		return
	}
	for _, g := range groups {
		for _, e := range g.entries {
			r.privs[e.id] = e.privs
		}
		for _, k := range partial {
			has := r.privs[k.id]&k.bit != 0
			if has == k.p.HasListed && (has || g.owner != r.names[k.id]) {
				k.p.Objects = append(k.p.Objects, g.names...)
			}
		}
		for _, e := range g.entries {
			r.privs[e.id] = 0
		}
	}
	for _, k := range partial {
		sort.Strings(k.p.Objects)
	}
}
