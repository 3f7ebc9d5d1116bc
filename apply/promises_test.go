package apply_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/state"
)

// checkPromises compares the catalog with what the README promises a
// generated spec means, by its own queries (not the planner's), and
// returns every difference. Authoritative mode promises exactly what the
// spec says for declared roles; additive mode at least that.
func checkPromises(t *testing.T, db *pgtest.DB, s *genSpec) []string {
	t.Helper()
	c := &promiseChecker{t: t, db: db, s: s, major: 16}
	if db.Bool(t, "select current_setting('server_version_num')::int >= 170000") {
		c.major = 17
	}
	c.roles()
	c.memberships()
	c.databasePrivileges()
	c.schemas()
	c.objects()
	c.defaults()
	c.settings()
	return c.diffs
}

type promiseChecker struct {
	t     *testing.T
	db    *pgtest.DB
	s     *genSpec
	major int // the server's major version
	diffs []string
}

func (c *promiseChecker) errorf(format string, args ...any) {
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

// rows runs a query as the superuser and returns its text columns.
func (c *promiseChecker) rows(sql string, args ...any) [][]string {
	c.t.Helper()
	rows, err := c.db.Super.Query(context.Background(), sql, args...)
	if err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
		vals, err := r.Values()
		if err != nil {
			return nil, err
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmt.Sprint(v)
		}
		return s, nil
	})
	if err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	return out
}

// compare reports a difference between the privileges a role should hold
// (want) and those it holds (have).
func (c *promiseChecker) compare(what string, want, have []string) {
	want, have = unionPrivs(want), unionPrivs(have)
	if c.s.additive {
		for _, p := range want {
			if !slices.Contains(have, p) {
				c.errorf("%s: has %v, the spec gives at least %v", what, have, want)
				return
			}
		}
		return
	}
	if !slices.Equal(want, have) {
		c.errorf("%s: has %v, the spec says exactly %v", what, have, want)
	}
}

func (c *promiseChecker) present() []*genRole {
	var out []*genRole
	for _, name := range state.SortedKeys(c.s.roles) {
		if r := c.s.roles[name]; !r.absent {
			out = append(out, r)
		}
	}
	return out
}

// roles: absent roles are gone; present ones have the attributes and the
// authentication the spec gives.
func (c *promiseChecker) roles() {
	have := map[string][]string{}
	for _, row := range c.rows(`select rolname::text, rolcanlogin, rolcreatedb, rolcreaterole, rolinherit, rolconnlimit, rolbypassrls, rolreplication from pg_roles`) {
		have[row[0]] = row[1:]
	}
	scram := map[string]bool{}
	for _, row := range c.rows(`select rolname::text from pg_authid where rolpassword like 'SCRAM-SHA-256$%'`) {
		scram[row[0]] = true
	}
	for _, name := range state.SortedKeys(c.s.roles) {
		r := c.s.roles[name]
		h, exists := have[name]
		switch {
		case r.absent && exists:
			c.errorf("role %q is declared absent and still exists", name)
			continue
		case r.absent:
			continue
		case !exists:
			c.errorf("role %q is declared and does not exist", name)
			continue
		}
		want := []string{fmt.Sprint(r.login), fmt.Sprint(r.createDB), fmt.Sprint(r.createRole), fmt.Sprint(r.inherit), fmt.Sprint(r.connLimit), "false", "false"}
		if !slices.Equal(want, h) {
			c.errorf("role %q: login, createdb, createrole, inherit, connection_limit, bypassrls, replication are %v, the spec says %v", name, h, want)
		}
		var ok bool
		if r.validUntil == "" {
			ok = c.db.Bool(c.t, `select rolvaliduntil is null or rolvaliduntil = 'infinity' from pg_roles where rolname = $1`, name)
		} else {
			ok = c.db.Bool(c.t, `select rolvaliduntil = $2::timestamptz from pg_roles where rolname = $1`, name, r.validUntil)
		}
		if !ok {
			c.errorf("role %q: valid_until is not %q", name, r.validUntil)
		}
		if r.expectPassword && !scram[name] {
			c.errorf("role %q uses auth: password and has no SCRAM-SHA-256 password", name)
		}
	}
}

// memberships: member_of exactly (additive: at least), and rds_iam exactly
// for auth: iam (a password user is never left in it).
func (c *promiseChecker) memberships() {
	have := map[string][]string{}
	for _, row := range c.rows(`select m.rolname::text, r.rolname::text from pg_auth_members a join pg_roles r on r.oid = a.roleid join pg_roles m on m.oid = a.member`) {
		have[row[0]] = append(have[row[0]], row[1])
	}
	for _, r := range c.present() {
		var other []string
		iam := false
		for _, m := range have[r.name] {
			if m == "rds_iam" {
				iam = true
			} else {
				other = append(other, m)
			}
		}
		c.compare(fmt.Sprintf("role %q member_of", r.name), r.memberOf, other)
		switch {
		case r.auth == "iam" && !iam:
			c.errorf("role %q uses auth: iam and is not a member of rds_iam", r.name)
		case r.auth == "password" && iam:
			c.errorf("role %q uses auth: password and is a member of rds_iam", r.name)
		case r.auth == "none" && iam && !c.s.additive:
			c.errorf("role %q uses auth: none and is a member of rds_iam", r.name)
		}
	}
}

const aclGrantee = `case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee)::text end`

// databasePrivileges: CONNECT for every login role plus database_privileges;
// PUBLIC's connect and temporary as given.
func (c *promiseChecker) databasePrivileges() {
	have := map[string][]string{}
	for _, row := range c.rows(`select ` + aclGrantee + `, a.privilege_type from pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a where d.datname = current_database() and a.grantee <> d.datdba`) {
		have[row[0]] = append(have[row[0]], row[1])
	}
	for _, r := range c.present() {
		want := slices.Clone(r.dbPrivs)
		if r.login {
			want = append(want, "CONNECT")
		}
		c.compare(fmt.Sprintf("role %q on the database", r.name), want, have[r.name])
	}
	for key, priv := range map[string]string{"connect": "CONNECT", "temporary": "TEMPORARY"} {
		if v, ok := c.s.public[key]; ok && v != slices.Contains(have["PUBLIC"], priv) {
			c.errorf("public.%s is %v, and PUBLIC's database privileges are %v", key, v, have["PUBLIC"])
		}
	}
	if v, ok := c.s.public["create_in_public_schema"]; ok {
		if got := c.db.Bool(c.t, `select has_schema_privilege('public', 'public', 'CREATE')`); got != v {
			c.errorf("public.create_in_public_schema is %v, and PUBLIC may create in schema public: %v", v, got)
		}
	}
	if c.s.pgcrypto != "" && !(c.s.additive && c.s.pgcrypto == "absent") {
		if got := c.db.Bool(c.t, `select exists (select 1 from pg_extension where extname = 'pgcrypto')`); got != (c.s.pgcrypto == "present") {
			c.errorf("extension pgcrypto is %s in the spec, installed: %v", c.s.pgcrypto, got)
		}
	}
}

// owners returns each declared schema's actual owner.
func (c *promiseChecker) owners() map[string]string {
	out := map[string]string{}
	for _, row := range c.rows(`select nspname::text, pg_get_userbyid(nspowner)::text from pg_namespace`) {
		if _, ok := c.s.schemas[row[0]]; ok {
			out[row[0]] = row[1]
		}
	}
	return out
}

// schemas: each exists with its declared owner; roles hold USAGE/CREATE
// as their access gives (USAGE also for named grants in it).
func (c *promiseChecker) schemas() {
	owners := c.owners()
	have := map[[2]string][]string{}
	for _, row := range c.rows(`select n.nspname::text, `+aclGrantee+`, a.privilege_type from pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a where n.nspname = any($1)`, state.SortedKeys(c.s.schemas)) {
		have[[2]string{row[0], row[1]}] = append(have[[2]string{row[0], row[1]}], row[2])
	}
	for _, name := range state.SortedKeys(c.s.schemas) {
		sc := c.s.schemas[name]
		owner, ok := owners[name]
		if !ok {
			c.errorf("schema %q is declared and does not exist", name)
			continue
		}
		if sc.owner != "" && owner != sc.owner {
			c.errorf("schema %q is owned by %q, the spec says %q", name, owner, sc.owner)
		}
		for _, r := range c.present() {
			if r.name == owner {
				continue
			}
			want := r.access[name].schema
			for _, g := range r.grants {
				if g.schema == name {
					want = append(want, "USAGE")
				}
			}
			c.compare(fmt.Sprintf("role %q on schema %q", r.name, name), want, have[[2]string{name, r.name}])
		}
	}
}

// objects: every table, view, sequence and function in a declared schema
// gives each declared role (other than its owner) the privileges of its
// access, plus those its grants name for that object.
func (c *promiseChecker) objects() {
	type object struct{ schema, kind, name, owner string }
	objs := map[object]map[string][]string{}
	q := `
	select n.nspname::text, case c.relkind when 'S' then 'sequences' else 'tables' end, c.relname::text, pg_get_userbyid(c.relowner)::text,
	       coalesce(` + aclGrantee + `, ''), coalesce(a.privilege_type, '')
	from pg_class c join pg_namespace n on n.oid = c.relnamespace
	left join lateral aclexplode(c.relacl) a on true
	where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
	union all
	select n.nspname::text, 'functions', p.oid::regprocedure::text, pg_get_userbyid(p.proowner)::text,
	       coalesce(` + aclGrantee + `, ''), coalesce(a.privilege_type, '')
	from pg_proc p join pg_namespace n on n.oid = p.pronamespace
	left join lateral aclexplode(p.proacl) a on true
	where n.nspname = any($1)`
	for _, row := range c.rows(q, state.SortedKeys(c.s.schemas)) {
		o := object{row[0], row[1], row[2], row[3]}
		if objs[o] == nil {
			objs[o] = map[string][]string{}
		}
		if row[4] != "" {
			objs[o][row[4]] = append(objs[o][row[4]], row[5])
		}
	}
	keys := make([]object, 0, len(objs))
	for o := range objs {
		keys = append(keys, o)
	}
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	for _, o := range keys {
		for _, r := range c.present() {
			if r.name == o.owner {
				continue
			}
			want := slices.Clone(r.access[o.schema].kind(o.kind, c.major))
			for _, g := range r.grants {
				if g.schema == o.schema && g.sequences == (o.kind == "sequences") && o.kind != "functions" && slices.Contains(g.objects, o.name) {
					want = append(want, g.privileges...)
				}
			}
			c.compare(fmt.Sprintf("role %q on %s %q.%q (owner %q)", r.name, strings.TrimSuffix(o.kind, "s"), o.schema, o.name, o.owner), want, objs[o][r.name])
		}
	}
}

// defaults: the schema's owner and default_privileges_for give each declared
// role with access the privileges of its access on their future objects;
// no other creator gives a declared role anything in a declared schema.
func (c *promiseChecker) defaults() {
	owners := c.owners()
	type key struct{ creator, schema, kind, grantee string }
	have := map[key][]string{}
	creatorsSeen := map[[2]string]bool{}
	for _, row := range c.rows(`
		select pg_get_userbyid(d.defaclrole)::text, n.nspname::text,
		       case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' else 'functions' end,
		       `+aclGrantee+`, a.privilege_type
		from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
		where n.nspname = any($1) and d.defaclobjtype in ('r', 'S', 'f')`, state.SortedKeys(c.s.schemas)) {
		k := key{row[0], row[1], row[2], row[3]}
		have[k] = append(have[k], row[4])
		creatorsSeen[[2]string{row[0], row[1]}] = true
	}
	for _, name := range state.SortedKeys(c.s.schemas) {
		sc := c.s.schemas[name]
		creators := map[string]bool{owners[name]: true}
		for _, d := range sc.defaults {
			creators[d] = true
		}
		var all []string
		for cr := range creators {
			all = append(all, cr)
		}
		for pair := range creatorsSeen {
			if pair[1] == name && !slices.Contains(all, pair[0]) {
				all = append(all, pair[0])
			}
		}
		sort.Strings(all)
		for _, creator := range all {
			for _, r := range c.present() {
				if r.name == creator {
					continue
				}
				for _, kind := range []string{"tables", "sequences", "functions"} {
					var want []string
					if creators[creator] {
						want = r.access[name].kind(kind, c.major)
					}
					c.compare(fmt.Sprintf("role %q on future %s %q creates in %q", r.name, kind, creator, name), want, have[key{creator, name, kind, r.name}])
				}
			}
		}
	}
}

// settings: a declared role's settings in this database exactly (additive:
// at least); the database's listed settings as given.
func (c *promiseChecker) settings() {
	have := map[string][]string{}
	for _, row := range c.rows(`select coalesce(r.rolname::text, ''), unnest(s.setconfig) from pg_db_role_setting s left join pg_roles r on r.oid = s.setrole
		where s.setdatabase = (select oid from pg_database where datname = current_database())`) {
		have[row[0]] = append(have[row[0]], row[1])
	}
	for _, r := range c.present() {
		var want []string
		for k, v := range r.settings {
			want = append(want, k+"="+v)
		}
		c.compare(fmt.Sprintf("settings of role %q", r.name), want, have[r.name])
	}
	for _, k := range state.SortedKeys(c.s.dbSettings) {
		v := c.s.dbSettings[k]
		want := k + "=" + v[0]
		if k == "search_path" {
			rows := c.rows(`select string_agg(quote_ident(x), ', ' order by o) from unnest($1::text[]) with ordinality t(x, o)`, v)
			want = k + "=" + rows[0][0]
		}
		if !slices.Contains(have[""], want) {
			c.errorf("database setting %s: the database has %v, the spec says %q", k, have[""], want)
		}
	}
}
