package plan

import (
	"cmp"
	"container/heap"
	"fmt"
	"slices"
	"strings"
)

// The order of a plan is derived from what its changes depend on. Each
// change declares, as typed resources, what it needs (a role that must
// exist, a role the connected user must act as, a schema and its owner),
// what it provides and what it removes, and what must be gone before it
// runs (the memberships a grant would close into a loop, the schemas a
// dropped role must no longer own). From those the sorter draws edges:
//
//   - a provider runs before every user and every remover of what it provides;
//   - a user runs before every remover of what it uses;
//   - a remover runs before every change that needs what it removes gone.
//
// The plan is a topological order of those edges. Among the changes that
// are free to run, the one of lowest kind rank, then lowest order key,
// runs first: the rank and the key only break ties, so that a plan is
// byte-identical run after run. Edges that no order can satisfy are a
// problem of the plan, reported before anything runs.

// rank is the kind rank of a change: among changes no dependency orders,
// a lower rank runs first (roles, then what uses them, revokes late,
// removals last).
type rank int

// Kind ranks.
const (
	rankCreateRole rank = iota
	rankAlterRole
	rankRoleSettings
	rankActAs // temporary memberships the connected user needs
	rankRevokeMembership
	rankGrantMembership
	rankDatabase
	rankCreateSchema
	rankSchemaGrants
	rankObjectGrants
	rankDefaultGrants
	rankExtensions
	rankRevokeDefaults
	rankRevokeObjects
	rankRevokeSchema
	rankRevokeDatabase
	rankDropExtension
	rankDropRole
	rankEndActAs
)

// orderKey places a change among the changes of its rank that no
// dependency orders: keys compare part by part, and a key that is a prefix
// of another sorts first.
type orderKey []keyPart

// keyPart is one part of an order key: a number, then a list of names,
// compared name by name (a shorter list that is a prefix sorts first).
type keyPart struct {
	num   int
	names []string
}

// key builds an order key from its parts.
func key(parts ...keyPart) orderKey { return parts }

// names is a key part of names (roles, schemas, settings).
func names(n ...string) keyPart { return keyPart{names: n} }

// num is a key part that is a number (a slot among related changes, a
// statement's index).
func num(n int) keyPart { return keyPart{num: n} }

// nameKey is the key of a change named by names alone.
func nameKey(n ...string) orderKey { return key(names(n...)) }

// compare returns -1, 0 or 1 as k sorts before, with or after o.
func (k orderKey) compare(o orderKey) int {
	return slices.CompareFunc(k, o, func(a, b keyPart) int {
		if c := cmp.Compare(a.num, b.num); c != 0 {
			return c
		}
		return slices.Compare(a.names, b.names)
	})
}

// String shows a key in a problem or a test failure.
func (k orderKey) String() string {
	parts := make([]string, len(k))
	for i, p := range k {
		parts[i] = fmt.Sprintf("%d%q", p.num, p.names)
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// resourceKind is what a resource is.
type resourceKind int

// Resource kinds.
const (
	resRole         resourceKind = iota + 1 // role a exists
	resActAs                                // the connected user holds the privileges of role a
	resMember                               // role a is a member of role b
	resSchema                               // schema a exists
	resSchemaOwner                          // schema a is owned by role b
	resUsage                                // role b has USAGE on schema a (granted directly)
	resColumnOption                         // role b holds col's privilege on col's column with grant option
	resCreate                               // role b has CREATE on schema a (granted directly)
	// role b holds col's privilege on col's table with grant option, at
	// the table level (col.column is ""; col.table "" is every table of
	// col.schema, as ON ALL TABLES IN SCHEMA revokes it)
	resTableOption
)

// resource is one fact about the database that changes need, provide or
// remove.
type resource struct {
	kind resourceKind
	a, b string
	col  column
}

// column is a privilege on one column of a table.
type column struct{ schema, table, column, privilege string }

func roleExists(r string) resource       { return resource{kind: resRole, a: r} }
func actingAs(r string) resource         { return resource{kind: resActAs, a: r} }
func memberOf(m, r string) resource      { return resource{kind: resMember, a: m, b: r} }
func schemaExists(s string) resource     { return resource{kind: resSchema, a: s} }
func schemaOwnedBy(s, o string) resource { return resource{kind: resSchemaOwner, a: s, b: o} }
func usage(s, r string) resource         { return resource{kind: resUsage, a: s, b: r} }
func createOn(s, r string) resource      { return resource{kind: resCreate, a: s, b: r} }
func columnOption(c column, r string) resource {
	return resource{kind: resColumnOption, b: r, col: c}
}

func tableOption(schema, table, privilege, r string) resource {
	return resource{kind: resTableOption, b: r, col: column{schema: schema, table: table, privilege: privilege}}
}

// rolesExist needs each role of a grantee list (PUBLIC is no role).
func rolesExist(rs ...string) []resource {
	out := make([]resource, 0, len(rs))
	for _, r := range rs {
		if r != "" && r != "PUBLIC" {
			out = append(out, roleExists(r))
		}
	}
	return out
}

// String names a resource for people.
func (r resource) String() string {
	switch r.kind {
	case resRole:
		return fmt.Sprintf("role %q", r.a)
	case resActAs:
		return fmt.Sprintf("acting as %q", r.a)
	case resMember:
		return fmt.Sprintf("membership of %q in %q", r.a, r.b)
	case resSchema:
		return fmt.Sprintf("schema %q", r.a)
	case resSchemaOwner:
		return fmt.Sprintf("schema %q owned by %q", r.a, r.b)
	case resUsage:
		return fmt.Sprintf("USAGE on schema %q for %q", r.a, r.b)
	case resCreate:
		return fmt.Sprintf("CREATE on schema %q for %q", r.a, r.b)
	case resColumnOption:
		return fmt.Sprintf("%s (%q) on %q.%q with grant option for %q", r.col.privilege, r.col.column, r.col.schema, r.col.table, r.b)
	case resTableOption:
		if r.col.table == "" {
			return fmt.Sprintf("%s on all tables in %q with grant option for %q", r.col.privilege, r.col.schema, r.b)
		}
		return fmt.Sprintf("%s on %q.%q with grant option for %q", r.col.privilege, r.col.schema, r.col.table, r.b)
	}
	return fmt.Sprintf("resource %d %q %q", r.kind, r.a, r.b)
}

// deps is what a change depends on and what it changes.
type deps struct {
	needs    []resource // must hold when the change runs
	provides []resource // holds once it has run
	removes  []resource // no longer holds once it has run
	excludes []resource // must no longer hold when it runs (runs after its removers)
	after    []resource // runs after their providers, in no order with their removers
}

// dependency says that change from runs before change to, and why: the
// resource and how each of them touches it.
type dependency struct {
	from, to int
	res      resource
	rel      relation
}

// relation is how the two changes of a dependency touch its resource.
type relation int

// Relations.
const (
	providesForUse    relation = iota // from provides, to needs
	providesForRemove                 // from provides, to removes
	usesBeforeRemove                  // from needs, to removes
	removesBeforeUse                  // from removes, to needs it gone
)

// why says, of the first change, why it runs before the second.
func (e dependency) why() string {
	switch e.rel {
	case providesForUse:
		return "provides " + e.res.String() + ", which the other needs"
	case providesForRemove:
		return "provides " + e.res.String() + ", which the other removes"
	case usesBeforeRemove:
		return "needs " + e.res.String() + ", which the other removes"
	default:
		return "removes " + e.res.String() + ", which must be gone for the other"
	}
}

// dependencyEdges draws the edges the changes' resources imply.
func dependencyEdges(cs []Change) []dependency {
	type users struct{ providers, users, removers, excluders, afters []int }
	by := map[resource]*users{}
	var seen []resource // in the order first met: the edges are deterministic
	at := func(r resource) *users {
		u := by[r]
		if u == nil {
			u = &users{}
			by[r] = u
			seen = append(seen, r)
		}
		return u
	}
	for i := range cs {
		for _, r := range cs[i].provides {
			at(r).providers = append(at(r).providers, i)
		}
		for _, r := range cs[i].needs {
			at(r).users = append(at(r).users, i)
		}
		for _, r := range cs[i].removes {
			at(r).removers = append(at(r).removers, i)
		}
		for _, r := range cs[i].excludes {
			at(r).excluders = append(at(r).excluders, i)
		}
		for _, r := range cs[i].after {
			at(r).afters = append(at(r).afters, i)
		}
	}
	total := 0
	for _, u := range by {
		total += len(u.providers)*(len(u.users)+len(u.removers)+len(u.afters)) + len(u.users)*len(u.removers) + len(u.removers)*len(u.excluders)
	}
	edges := make([]dependency, 0, total)
	link := func(from, to []int, r resource, rel relation) {
		for _, f := range from {
			for _, t := range to {
				if f != t {
					edges = append(edges, dependency{f, t, r, rel})
				}
			}
		}
	}
	for _, r := range seen {
		u := by[r]
		link(u.providers, u.users, r, providesForUse)
		link(u.providers, u.afters, r, providesForUse)
		link(u.providers, u.removers, r, providesForRemove)
		link(u.users, u.removers, r, usesBeforeRemove)
		link(u.removers, u.excluders, r, removesBeforeUse)
	}
	return edges
}

// sortChanges orders the changes: a topological order of their
// dependencies, ties broken by first (lowest kind rank and order key
// first in a plan). It returns the changes that depend on each other in a
// loop, described for a problem, or nil; those changes then follow the
// others in tie-break order, and the plan must not run.
func sortChanges(cs []Change, first func(a, b *Change) int) (loop []string) {
	n := len(cs)
	if n < 2 {
		return nil
	}
	edges := dependencyEdges(cs)
	// out[start[i]:start[i+1]] are the changes that wait for change i.
	start := make([]int, n+1)
	indeg := make([]int, n)
	for _, e := range edges {
		start[e.from+1]++
		indeg[e.to]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	out := make([]int, len(edges))
	next := slices.Clone(start[:n])
	for _, e := range edges {
		out[next[e.from]] = e.to
		next[e.from]++
	}
	ready := &changeHeap{cs: cs, first: first}
	for i := range n {
		if indeg[i] == 0 {
			ready.idx = append(ready.idx, i)
		}
	}
	heap.Init(ready)
	order := make([]int, 0, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, j := range out[start[i]:start[i+1]] {
			if indeg[j]--; indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(order) < n {
		loop = describeLoop(cs, edges, indeg)
		var rest []int
		for i := range n {
			if indeg[i] > 0 {
				rest = append(rest, i)
			}
		}
		slices.SortStableFunc(rest, func(a, b int) int { return first(&cs[a], &cs[b]) })
		order = append(order, rest...)
	}
	sorted := make([]Change, n)
	for k, i := range order {
		sorted[k] = cs[i]
	}
	copy(cs, sorted)
	return loop
}

// describeLoop finds a loop among the changes left unsorted (each has an
// edge from another left unsorted) and describes its links.
func describeLoop(cs []Change, edges []dependency, indeg []int) []string {
	in := make([][]dependency, len(cs))
	for _, e := range edges {
		in[e.to] = append(in[e.to], e)
	}
	start := -1
	for i := range indeg {
		if indeg[i] > 0 {
			start = i
			break
		}
	}
	seen := map[int]int{} // change -> position in walk
	var walk []dependency
	for at := start; ; {
		if p, ok := seen[at]; ok {
			walk = walk[p:]
			break
		}
		seen[at] = len(walk)
		for _, e := range in[at] {
			if indeg[e.from] > 0 {
				walk = append(walk, e)
				at = e.from
				break
			}
		}
	}
	slices.Reverse(walk)
	out := make([]string, len(walk))
	for i, e := range walk {
		out[i] = fmt.Sprintf("%q before %q (it %s)", cs[e.from].Summary, cs[e.to].Summary, e.why())
	}
	return out
}

// sortChanges orders the plan's changes; changes that depend on each other
// in a loop are a problem.
func (d *differ) sortChanges() {
	first := byRankAndKey
	if d.opts.TiesReversed {
		first = reversedTies
	}
	if loop := sortChanges(d.changes, first); loop != nil {
		d.problems = append(d.problems, "the plan's changes depend on each other in a loop, so no order can run them: "+
			strings.Join(loop, "; then ")+"; apply the spec in two steps (first without one of these changes), and report this plan as a rolekeeper bug")
	}
}

// reversedTies breaks ties the other way round (Options.TiesReversed).
func reversedTies(a, b *Change) int { return -byRankAndKey(a, b) }

// byRankAndKey is the plan's tie-break: kind rank, then order key.
func byRankAndKey(a, b *Change) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return a.order.compare(b.order)
}

// changeHeap holds the changes free to run, the first by the tie-break on
// top (construction order last, so the result never depends on the heap).
type changeHeap struct {
	cs    []Change
	idx   []int
	first func(a, b *Change) int
}

func (h *changeHeap) Len() int { return len(h.idx) }
func (h *changeHeap) Less(i, j int) bool {
	a, b := h.idx[i], h.idx[j]
	if c := h.first(&h.cs[a], &h.cs[b]); c != 0 {
		return c < 0
	}
	return a < b
}
func (h *changeHeap) Swap(i, j int) { h.idx[i], h.idx[j] = h.idx[j], h.idx[i] }
func (h *changeHeap) Push(x any)    { h.idx = append(h.idx, x.(int)) }
func (h *changeHeap) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
}
