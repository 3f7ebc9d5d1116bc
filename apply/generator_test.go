package apply_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
)

// The generator writes valid specs from what the README documents, with
// hostile names, one after another for one database, and keeps beside
// each spec what the README promises it means (genSpec), so that the
// catalog can be checked without the planner's code.

// Names with capitals, spaces, quotes and non-ASCII characters.
var (
	genRoleNames   = []string{"App User", "Migrator", `o"quote`, "émile", "reader's", "Group Ω", "lead", "ro-Ü"}
	genSchemaNames = []string{"App Schema", "ünï", `we"ird`, "Data"}
)

// profilePrivs is what a profile gives, per the README's profile table
// (and the custom profile the generator declares).
type profilePrivs struct {
	schema, tables, sequences, functions []string
	// allTables: the tables list is ALL, which on PostgreSQL 17+ also
	// means MAINTAIN (README, Profiles).
	allTables bool
}

// kind returns the privileges p gives on objects of kind k on a server of
// the given major version.
func (p profilePrivs) kind(k string, major int) []string {
	switch k {
	case "tables":
		if p.allTables && major >= 17 {
			return append(slices.Clone(p.tables), "MAINTAIN")
		}
		return p.tables
	case "sequences":
		return p.sequences
	}
	return p.functions
}

var (
	allTablePrivs    = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}
	allSequencePrivs = []string{"USAGE", "SELECT", "UPDATE"}
	readmeProfiles   = map[string]profilePrivs{
		"readonly":  {schema: []string{"USAGE"}, tables: []string{"SELECT"}, sequences: []string{"SELECT"}},
		"readwrite": {schema: []string{"USAGE"}, tables: []string{"SELECT", "INSERT", "UPDATE", "DELETE"}, sequences: []string{"USAGE", "SELECT", "UPDATE"}, functions: []string{"EXECUTE"}},
		// The generator's own profile: ALL means every privilege of the kind.
		"Auditor Ω": {schema: []string{"USAGE"}, tables: allTablePrivs, allTables: true, sequences: []string{"SELECT"}, functions: []string{"EXECUTE"}},
	}
)

type genGrant struct {
	schema     string
	sequences  bool
	objects    []string
	privileges []string
}

type genRole struct {
	name       string
	absent     bool
	reassignTo string
	login      bool
	auth       string // iam, password, none
	createDB   bool
	createRole bool
	inherit    bool
	connLimit  int
	validUntil string // "" for never, else a timestamp PostgreSQL reads
	settings   map[string]string
	memberOf   []string
	access     map[string]profilePrivs // schema -> privileges
	grants     []genGrant
	dbPrivs    []string
	// expectPassword: the README promises the role a password from its
	// secret (created with auth: password, or moved from IAM to it; apply
	// never changes the password of a role that already exists otherwise).
	expectPassword bool
	spec           map[string]any
}

type genSchema struct {
	name     string
	owner    string // "" when the spec names none
	defaults []string
}

// genSpec is one generated spec and what it means.
type genSpec struct {
	additive   bool
	roles      map[string]*genRole
	schemas    map[string]*genSchema
	public     map[string]bool // connect, temporary, create_in_public_schema, when given
	dbSettings map[string][]string
	pgcrypto   string // "", "present" or "absent"
	doc        map[string]any
}

func (g *genSpec) JSON() string {
	b, _ := json.MarshalIndent(g.doc, "", "  ")
	return string(b)
}

// generator remembers what earlier specs made, so that later ones retire
// roles that exist and grant on tables that exist.
type generator struct {
	r       *rand.Rand
	seed    uint64
	existed map[string]bool     // roles some earlier spec declared present
	lives   map[string]int      // how many times each role was dropped
	auth    map[string]string   // each existing role's last declared auth
	hasPw   map[string]bool     // roles promised a password by an earlier spec
	tables  map[string][]string // schema -> tables migrations made
	objects int                 // migrations so far, for fresh names
}

func newGenerator(seed uint64) *generator {
	return &generator{r: rand.New(rand.NewPCG(seed, 0x726f6c65)), seed: seed, existed: map[string]bool{}, lives: map[string]int{}, auth: map[string]string{}, hasPw: map[string]bool{}, tables: map[string][]string{}}
}

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// subset returns a random non-empty subset of list, in list order.
func (g *generator) subset(list []string) []string {
	for {
		var out []string
		for _, x := range list {
			if g.chance(0.5) {
				out = append(out, x)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
}

func (g *generator) next() *genSpec {
	s := &genSpec{roles: map[string]*genRole{}, schemas: map[string]*genSchema{}, public: map[string]bool{}, dbSettings: map[string][]string{}}
	doc := map[string]any{}
	s.doc = doc
	if g.chance(0.3) {
		doc["version"] = 1
	}
	if g.chance(0.3) {
		doc["database"] = "app"
	}
	s.additive = g.chance(0.15)
	switch {
	case s.additive:
		doc["mode"] = "additive"
	case g.chance(0.2):
		doc["mode"] = "authoritative"
	}
	doc["profiles"] = map[string]any{"Auditor Ω": map[string]any{
		"schema": []string{"usage"}, "tables": []string{"ALL"}, "sequences": []string{"SELECT"}, "functions": []string{"EXECUTE"}}}

	// Which roles: present, absent (only those that exist), or left out.
	var present []string
	for _, name := range genRoleNames {
		switch {
		case g.chance(0.6):
			present = append(present, name)
			s.roles[name] = &genRole{name: name}
		case g.existed[name] && g.chance(0.4):
			s.roles[name] = &genRole{name: name, absent: true}
		}
	}
	// A random order of the present roles: a role may be a member only of
	// group roles before it, so memberships never loop (and the order
	// changes between specs, so memberships turn around).
	g.r.Shuffle(len(present), func(i, j int) { present[i], present[j] = present[j], present[i] })

	// Schemas and their owners.
	var declared []string
	for _, name := range genSchemaNames {
		if !g.chance(0.7) {
			continue
		}
		declared = append(declared, name)
		sc := &genSchema{name: name}
		if len(present) > 0 && g.chance(0.75) {
			sc.owner = g.pick(present)
		}
		if len(present) > 0 && g.chance(0.3) {
			sc.defaults = g.subset(present)
		}
		s.schemas[name] = sc
	}

	// Roles.
	var groups []string
	for _, name := range present {
		r := s.roles[name]
		r.spec = map[string]any{}
		r.access = map[string]profilePrivs{}
		r.inherit = true
		r.connLimit = -1
		switch x := g.r.IntN(4); x {
		case 0:
			r.auth = "iam"
		case 1:
			r.auth = "password"
		case 2:
			r.auth = "none"
			r.login = true
			r.spec["login"] = true
		default:
			r.auth = "none"
		}
		if r.auth != "none" {
			r.login = true
			r.spec["auth"] = r.auth
			if g.chance(0.3) {
				r.spec["login"] = true
			}
		} else if g.chance(0.3) {
			r.spec["auth"] = "none"
		}
		if !r.login && g.chance(0.3) {
			r.spec["login"] = false
		}
		// A dropped role's secret stays in the store, and apply never
		// changes the password of a role whose secret exists: a role that
		// comes back uses a secret of its own (the README's rule, so the
		// check that it has a password holds).
		if r.auth == "password" && (g.lives[name] > 0 || g.chance(0.5)) {
			r.spec["password_secret"] = fmt.Sprintf("gen/%s/%d", name, g.lives[name])
		}
		if g.chance(0.2) {
			r.createDB = true
			r.spec["createdb"] = true
		}
		if g.chance(0.1) {
			r.createRole = true
			r.spec["createrole"] = true
		}
		if g.chance(0.1) {
			r.spec["bypassrls"] = false
			r.spec["replication"] = false
		}
		if g.chance(0.15) {
			r.inherit = false
			r.spec["inherit"] = false
		} else if g.chance(0.1) {
			r.spec["inherit"] = true
		}
		if g.chance(0.2) {
			r.connLimit = []int{-1, 0, 5, 10}[g.r.IntN(4)]
			r.spec["connection_limit"] = r.connLimit
		}
		switch g.r.IntN(6) {
		case 0:
			r.validUntil = "2031-06-30T12:00:00Z"
			r.spec["valid_until"] = r.validUntil
		case 1:
			r.validUntil = "2030-01-01"
			r.spec["valid_until"] = r.validUntil
		case 2:
			r.spec["valid_until"] = "infinity"
		}
		if g.chance(0.3) {
			r.settings = map[string]string{}
			for _, k := range g.subset([]string{"statement_timeout", "lock_timeout", "work_mem"}) {
				r.settings[k] = map[string]string{"statement_timeout": g.pick([]string{"30s", "5min"}), "lock_timeout": "5s", "work_mem": g.pick([]string{"64MB", "8MB"})}[k]
			}
			r.spec["settings"] = r.settings
		}
		// Memberships: only in group roles earlier in the order.
		for _, grp := range groups {
			if g.chance(0.35) {
				r.memberOf = append(r.memberOf, grp)
			}
		}
		if g.chance(0.1) {
			r.memberOf = append(r.memberOf, "pg_read_all_stats")
		}
		if g.chance(0.05) {
			r.memberOf = append(r.memberOf, "pg_signal_backend")
			r.spec["allow_admin_roles"] = true
		}
		if len(r.memberOf) > 0 {
			r.spec["member_of"] = r.memberOf
			// A group may hold an administrative role (now, or kept from
			// an earlier spec in additive mode): a member through it needs
			// the opt-in too.
			r.spec["allow_admin_roles"] = true
		}
		if !r.login {
			groups = append(groups, name)
		}
		// Access.
		access := map[string]any{}
		for _, sc := range declared {
			if !g.chance(0.4) {
				continue
			}
			switch g.r.IntN(4) {
			case 0:
				access[sc] = "readonly"
				r.access[sc] = readmeProfiles["readonly"]
			case 1:
				access[sc] = "readwrite"
				r.access[sc] = readmeProfiles["readwrite"]
			case 2:
				access[sc] = "Auditor Ω"
				r.access[sc] = readmeProfiles["Auditor Ω"]
			default:
				tables := g.subset(allTablePrivs)
				seqs := g.subset(allSequencePrivs)
				access[sc] = map[string]any{"schema": []string{"USAGE"}, "tables": tables, "sequences": seqs}
				r.access[sc] = profilePrivs{schema: []string{"USAGE"}, tables: tables, sequences: seqs}
			}
		}
		if len(access) > 0 {
			r.spec["access"] = access
		}
		// Grants on named tables or sequences.
		if len(declared) > 0 && g.chance(0.25) {
			sc := g.pick(declared)
			gr := genGrant{schema: sc}
			names := append([]string{"never created"}, g.tables[sc]...)
			gr.objects = g.subset(names)
			entry := map[string]any{"schema": sc}
			if g.chance(0.3) {
				gr.sequences = true
				for i, o := range gr.objects {
					if o != "never created" {
						gr.objects[i] = o + "_id_seq"
					}
				}
				gr.privileges = g.subset(allSequencePrivs)
				entry["sequences"] = gr.objects
			} else {
				gr.privileges = g.subset(allTablePrivs)
				entry["tables"] = gr.objects
			}
			entry["privileges"] = gr.privileges
			r.grants = append(r.grants, gr)
			r.spec["grants"] = []any{entry}
		}
		if g.chance(0.2) {
			r.dbPrivs = g.subset([]string{"CONNECT", "CREATE", "TEMPORARY"})
			r.spec["database_privileges"] = r.dbPrivs
		}
	}
	// Absent roles, with their objects going to a present role or the admin.
	for _, name := range genRoleNames {
		r := s.roles[name]
		if r == nil || !r.absent {
			continue
		}
		r.spec = map[string]any{"state": "absent"}
		if len(present) > 0 && g.chance(0.6) {
			r.reassignTo = g.pick(present)
			r.spec["reassign_owned_to"] = r.reassignTo
		}
	}
	roles := map[string]any{}
	for name, r := range s.roles {
		roles[name] = r.spec
	}
	doc["roles"] = roles
	schemas := map[string]any{}
	for name, sc := range s.schemas {
		m := map[string]any{}
		if sc.owner != "" {
			m["owner"] = sc.owner
		}
		if len(sc.defaults) > 0 {
			m["default_privileges_for"] = sc.defaults
		}
		schemas[name] = m
	}
	if len(schemas) > 0 {
		doc["schemas"] = schemas
	}
	// PUBLIC, database settings, extensions.
	public := map[string]any{}
	for _, k := range []string{"connect", "temporary", "create_in_public_schema"} {
		if g.chance(0.4) {
			v := g.chance(0.5)
			s.public[k] = v
			public[k] = v
		}
	}
	if len(public) > 0 {
		doc["public"] = public
	}
	settings := map[string]any{}
	if len(declared) > 0 && g.chance(0.4) {
		sp := append(g.subset(declared), "public")
		s.dbSettings["search_path"] = sp
		settings["search_path"] = sp
	}
	if g.chance(0.3) {
		v := g.pick([]string{"60s", "2min"})
		s.dbSettings["statement_timeout"] = []string{v}
		settings["statement_timeout"] = v
	}
	if len(settings) > 0 {
		doc["database_settings"] = settings
	}
	switch g.r.IntN(5) {
	case 0:
		s.pgcrypto = "present"
		doc["extensions"] = map[string]any{"pgcrypto": map[string]any{"schema": "public"}}
	case 1:
		s.pgcrypto = "absent"
		doc["extensions"] = map[string]any{"pgcrypto": map[string]any{"state": "absent"}}
	}
	for _, name := range genRoleNames {
		switch r := s.roles[name]; {
		case r == nil:
		case r.absent:
			g.existed[name] = false
			g.lives[name]++
			delete(g.auth, name)
			delete(g.hasPw, name)
		default:
			prev, existed := g.auth[name]
			if r.auth == "password" && (!existed || prev == "iam") {
				g.hasPw[name] = true
			}
			r.expectPassword = r.auth == "password" && g.hasPw[name]
			g.existed[name] = true
			g.auth[name] = r.auth
		}
	}
	return s
}

// save returns a copy of what the generator remembers, for restore.
func (g *generator) save() *generator {
	c := *g
	c.existed, c.lives, c.auth, c.hasPw = maps.Clone(g.existed), maps.Clone(g.lives), maps.Clone(g.auth), maps.Clone(g.hasPw)
	return &c
}

// restore forgets a spec that was refused: the database did not change.
func (g *generator) restore(saved *generator) {
	g.existed, g.lives, g.auth, g.hasPw = saved.existed, saved.lives, saved.auth, saved.hasPw
}

// migration returns the statements a schema owner's migration runs: a
// table with a sequence, a view and a function, with fresh names.
func (g *generator) migration(schema string) []string {
	g.objects++
	table := fmt.Sprintf(`T%d "é"`, g.objects)
	g.tables[schema] = append(g.tables[schema], table)
	q := func(name string) string { return quoteIdent(schema) + "." + quoteIdent(name) }
	return []string{
		fmt.Sprintf("CREATE TABLE %s (id bigserial PRIMARY KEY, v text)", q(table)),
		fmt.Sprintf("CREATE VIEW %s AS SELECT 1 AS one", q(fmt.Sprintf("v%d", g.objects))),
		fmt.Sprintf("CREATE FUNCTION %s() RETURNS int LANGUAGE sql AS 'select 1'", q(fmt.Sprintf("f%d", g.objects))),
	}
}

func quoteIdent(s string) string {
	out := []rune{'"'}
	for _, c := range s {
		if c == '"' {
			out = append(out, '"')
		}
		out = append(out, c)
	}
	return string(append(out, '"'))
}

// union returns the sorted union of privilege lists.
func unionPrivs(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, p := range l {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
