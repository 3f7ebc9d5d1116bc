// Package verify proves that a database does what its spec says by logging
// in as each managed user and exercising its rights with real statements:
// the schema owner creates a table and a sequence, each user with access
// tries every table privilege on it (allowed exactly when granted), users
// without CREATE are refused it, a role outside the spec is refused a
// connection when PUBLIC may not connect, settings and extensions are in
// effect. What it creates it removes.
package verify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/progress"
	"github.com/rolekeeper/rolekeeper/state"
)

// Result is one check.
type Result struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Skipped checks are neither passed nor failed.
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Report is every check of one run.
type Report struct {
	Database string   `json:"database"`
	Checks   []Result `json:"checks"`
	Passed   int      `json:"passed"`
	Failed   int      `json:"failed"`
	Skipped  int      `json:"skipped"`
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return r.Failed == 0 }

func (r *Report) add(res Result) {
	switch {
	case res.Skipped:
		r.Skipped++
	case res.Passed:
		r.Passed++
	default:
		r.Failed++
	}
	r.Checks = append(r.Checks, res)
}

// WriteText prints one line per check and a closing count.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Checks {
		mark := "FAIL"
		switch {
		case c.Skipped:
			mark = "SKIP"
		case c.Passed:
			mark = "PASS"
		}
		fmt.Fprintf(&b, "%s  %s", mark, c.Name)
		if c.Detail != "" {
			fmt.Fprintf(&b, ": %s", c.Detail)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\ncheck: %d passed, %d failed, %d skipped\n", r.Passed, r.Failed, r.Skipped)
	_, err := io.WriteString(w, b.String())
	return err
}

// Credential returns the password a role logs in with: its secret's, an
// IAM token, or "" where the server trusts it (the sandbox's IAM users).
// ok is false when rolekeeper holds no credential for the role.
type Credential func(ctx context.Context, role *state.Role) (password string, ok bool, err error)

// Options configure a check.
type Options struct {
	// Admin is the admin connection to the database.
	Admin *pgx.Conn
	// Want is the desired state the spec describes.
	Want *state.Database
	// Credential gives each login role's password.
	Credential Credential
}

type checker struct {
	opts   Options
	report *Report
	conns  map[string]*pgx.Conn
	// noLogin holds the roles whose login failed, so their other checks
	// are reported as skipped rather than left out.
	noLogin map[string]bool
	suffix  string
}

// Check runs every check. An error means the checks could not run at all;
// failed checks are in the report.
func Check(ctx context.Context, opts Options) (*Report, error) {
	buf := make([]byte, 4)
	rand.Read(buf)
	c := &checker{opts: opts, report: &Report{Database: opts.Want.Name}, conns: map[string]*pgx.Conn{},
		noLogin: map[string]bool{}, suffix: hex.EncodeToString(buf)}
	defer func() {
		for _, conn := range c.conns {
			conn.Close(context.Background())
		}
	}()
	c.logins(ctx)
	c.sweep(ctx)
	c.settings(ctx)
	for i, name := range state.SortedKeys(opts.Want.Schemas) {
		progress.Report(ctx, "checking schema %d of %d: %s", i+1, len(opts.Want.Schemas), quote(name))
		c.schema(ctx, opts.Want.Schemas[name])
	}
	if err := c.public(ctx); err != nil {
		return nil, err
	}
	c.extensions(ctx)
	return c.report, nil
}

// login connects as a role, once.
func (c *checker) login(ctx context.Context, r *state.Role) (*pgx.Conn, error) {
	if conn := c.conns[r.Name]; conn != nil {
		return conn, nil
	}
	pw, ok, err := c.opts.Credential(ctx, r)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoCredential
	}
	conn, err := pgx.ConnectConfig(ctx, connect.UserConfig(c.opts.Admin.Config(), r.Name, pw, "rolekeeper check"))
	if err != nil {
		return nil, err
	}
	c.conns[r.Name] = conn
	return conn, nil
}

var errNoCredential = errors.New("rolekeeper holds no credential for it (auth: none)")

func (c *checker) logins(ctx context.Context) {
	users := 0
	for _, r := range c.opts.Want.Roles {
		if !r.Absent && r.Login {
			users++
		}
	}
	k := 0
	for _, name := range state.SortedKeys(c.opts.Want.Roles) {
		r := c.opts.Want.Roles[name]
		if r.Absent || !r.Login {
			continue
		}
		k++
		progress.Report(ctx, "checking user %d of %d: logging in as %s", k, users, quote(name))
		check := fmt.Sprintf("%s logs in (auth %s)", quote(name), r.Auth)
		if !c.opts.Want.Privileges[name].Has("CONNECT") {
			// A spec of several databases gives CONNECT only where it
			// lists the role.
			c.report.add(Result{Name: check, Skipped: true, Detail: "the spec gives it no CONNECT on this database"})
			c.noLogin[name] = true
			continue
		}
		_, err := c.login(ctx, r)
		switch {
		case errors.Is(err, errNoCredential), errors.Is(err, ErrNotCurrentUser):
			c.report.add(Result{Name: check, Skipped: true, Detail: err.Error()})
		case err != nil:
			c.report.add(Result{Name: check, Detail: describe(err)})
			c.noLogin[name] = true
		default:
			c.report.add(Result{Name: check, Passed: true})
		}
	}
}

// skipped reports a role's check that cannot run because its login failed.
func (c *checker) skipped(role, what string) {
	c.report.add(Result{Name: fmt.Sprintf("%s %s", quote(role), what), Skipped: true, Detail: "it could not log in"})
}

// settings checks that each login role's session has the database's and
// its own settings, compared as the server normalizes them.
func (c *checker) settings(ctx context.Context) {
	for _, name := range state.SortedKeys(c.opts.Want.Roles) {
		conn := c.conns[name]
		if c.noLogin[name] {
			c.skipped(name, "has its settings")
			continue
		}
		if conn == nil {
			continue
		}
		r := c.opts.Want.Roles[name]
		want := map[string][]string{}
		for k, v := range c.opts.Want.Settings {
			want[k] = v
		}
		for k, v := range r.Settings {
			want[k] = v
		}
		for _, k := range state.SortedKeys(want) {
			check := fmt.Sprintf("%s has %s = %s", quote(name), k, strings.Join(want[k], ", "))
			got, expected, err := sessionSetting(ctx, conn, k, want[k])
			switch {
			case err != nil:
				c.report.add(Result{Name: check, Detail: describe(err)})
			case got != expected:
				c.report.add(Result{Name: check, Detail: fmt.Sprintf("the session has %q", got)})
			default:
				c.report.add(Result{Name: check, Passed: true})
			}
		}
	}
}

// sessionSetting returns a setting's value in the session, and the value
// the spec asks for as the server displays it (set in a transaction that
// is rolled back), so that 30s and 30000ms compare equal.
func sessionSetting(ctx context.Context, conn *pgx.Conn, name string, value []string) (got, want string, err error) {
	if err = conn.QueryRow(ctx, "select current_setting($1)", name).Scan(&got); err != nil {
		return "", "", err
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return "", "", err
	}
	defer tx.Rollback(ctx)
	lits := make([]string, len(value))
	for i, v := range value {
		lits[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	ident := pgx.Identifier(strings.Split(name, ".")).Sanitize()
	if _, err = tx.Exec(ctx, "SET LOCAL "+ident+" = "+strings.Join(lits, ", ")); err != nil {
		return got, strings.Join(value, ", "), nil
	}
	err = tx.QueryRow(ctx, "select current_setting($1)", name).Scan(&want)
	return got, want, err
}

// schema checks one schema: the owner creates a table with a sequence;
// every user with access uses it as granted; users without CREATE are
// refused it. The table is dropped at the end.
func (c *checker) schema(ctx context.Context, s *state.Schema) {
	owner := c.opts.Want.Roles[s.Owner]
	if owner == nil || owner.Absent || !owner.Login {
		c.report.add(Result{Name: fmt.Sprintf("objects in schema %s", quote(s.Name)), Skipped: true,
			Detail: "its owner is not a login role in the spec, so no one can create a test table as the owner"})
		return
	}
	oconn := c.conns[s.Owner]
	if oconn == nil {
		c.skipped(s.Owner, fmt.Sprintf("creates objects in %s", quote(s.Name)))
		return
	}
	table := pgx.Identifier{s.Name, "rolekeeper_check_" + c.suffix}.Sanitize()
	check := fmt.Sprintf("%s creates a table and a sequence in %s", quote(s.Owner), quote(s.Name))
	if err := createMarked(ctx, oconn, "CREATE TABLE "+table+" (id bigserial PRIMARY KEY, v int)", "TABLE "+table); err != nil {
		c.report.add(Result{Name: check, Detail: describe(err)})
		return
	}
	c.report.add(Result{Name: check, Passed: true})
	defer func() {
		if _, err := oconn.Exec(context.Background(), "DROP TABLE "+table); err != nil {
			c.report.add(Result{Name: "remove the test table " + table, Detail: describe(err)})
		}
	}()
	for _, name := range state.SortedKeys(c.opts.Want.Roles) {
		r := c.opts.Want.Roles[name]
		conn := c.conns[name]
		if name == s.Owner {
			continue
		}
		if conn == nil {
			if c.noLogin[name] && s.Privileges[name] != 0 {
				c.skipped(name, fmt.Sprintf("uses schema %s as granted", quote(s.Name)))
			}
			continue
		}
		granted := s.Objects[state.Tables].Full[name]
		seq := s.Objects[state.Sequences].Full[name]
		if granted != 0 || seq != 0 || s.Privileges[name] != 0 {
			c.report.add(c.tablePrivileges(ctx, conn, name, table, granted, seq, s.Privileges[name].Has("USAGE")))
		}
		if !s.Privileges[name].Has("CREATE") && r.Login {
			c.report.add(c.refusedCreate(ctx, conn, name, s.Name))
		}
		if named := s.Objects[state.Tables].Named[name]["SELECT"]; len(named) > 0 {
			c.report.add(c.namedSelect(ctx, conn, name, s.Name, state.SortedKeys(named)))
		}
	}
}

// namedSelect reads each named table a role was granted SELECT on (tables
// that do not exist yet are skipped, as apply skips them).
func (c *checker) namedSelect(ctx context.Context, conn *pgx.Conn, role, schema string, tables []string) Result {
	name := fmt.Sprintf("%s reads its named tables in %s", quote(role), quote(schema))
	var read []string
	for _, t := range tables {
		var exists bool
		// The catalog, not to_regclass: the admin may lack USAGE on the schema.
		err := c.opts.Admin.QueryRow(ctx, "select exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2)", schema, t).Scan(&exists)
		if err != nil || !exists {
			continue
		}
		if _, err := conn.Exec(ctx, "SELECT 1 FROM "+pgx.Identifier{schema, t}.Sanitize()+" LIMIT 0"); err != nil {
			return Result{Name: name, Detail: fmt.Sprintf("%s: %s", t, describe(err))}
		}
		read = append(read, t)
	}
	return Result{Name: name + ": " + orNone(read), Passed: true}
}

// tablePrivileges tries SELECT, INSERT (which uses the sequence), UPDATE
// and DELETE on the test table; each must succeed exactly when granted.
func (c *checker) tablePrivileges(ctx context.Context, conn *pgx.Conn, role, table string, granted, seq state.PrivSet, usage bool) Result {
	name := fmt.Sprintf("%s on a new table in its schema: ", quote(role))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Result{Name: name + "begin", Detail: describe(err)}
	}
	defer tx.Rollback(ctx)
	tries := []struct{ priv, sql string }{
		{"SELECT", "SELECT count(*) FROM " + table},
		{"INSERT", "INSERT INTO " + table + " (v) VALUES (1)"},
		{"UPDATE", "UPDATE " + table + " SET v = 2 WHERE false"},
		{"DELETE", "DELETE FROM " + table + " WHERE false"},
	}
	var allowed, refused, wrong []string
	for i, t := range tries {
		want := usage && granted.Has(t.priv)
		if t.priv == "INSERT" {
			want = want && (seq.Has("USAGE") || seq.Has("UPDATE"))
		}
		sp := fmt.Sprintf("sp%d", i)
		if _, err := tx.Exec(ctx, "SAVEPOINT "+sp); err != nil {
			return Result{Name: name + t.priv, Detail: "set a savepoint: " + describe(err)}
		}
		_, err := tx.Exec(ctx, t.sql)
		ok := err == nil
		if !ok {
			if _, rerr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT "+sp); rerr != nil {
				return Result{Name: name + t.priv, Detail: "roll back to the savepoint: " + describe(rerr)}
			}
		}
		switch {
		case ok && want:
			allowed = append(allowed, t.priv)
		case !ok && !want && isPermissionDenied(err):
			refused = append(refused, t.priv)
		case ok:
			wrong = append(wrong, t.priv+" was allowed but is not granted")
		default:
			wrong = append(wrong, fmt.Sprintf("%s failed but is granted (%s)", t.priv, describe(err)))
		}
	}
	summary := "allowed " + orNone(allowed) + "; refused " + orNone(refused)
	if len(wrong) > 0 {
		return Result{Name: name + "privileges as granted", Detail: strings.Join(wrong, "; ")}
	}
	return Result{Name: name + summary, Passed: true}
}

func orNone(l []string) string {
	if len(l) == 0 {
		return "nothing"
	}
	return strings.Join(l, ", ")
}

func (c *checker) refusedCreate(ctx context.Context, conn *pgx.Conn, role, schema string) Result {
	name := fmt.Sprintf("%s cannot create objects in %s", quote(role), quote(schema))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return Result{Name: name, Detail: describe(err)}
	}
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, "CREATE TABLE "+pgx.Identifier{schema, "rolekeeper_check_create_" + c.suffix}.Sanitize()+" (id int)")
	switch {
	case err == nil:
		return Result{Name: name, Detail: "it created a table"}
	case isPermissionDenied(err):
		return Result{Name: name, Passed: true}
	default:
		return Result{Name: name, Detail: describe(err)}
	}
}

// public checks that a role outside the spec cannot connect when PUBLIC
// may not: it creates a throwaway login role, tries, and drops it.
func (c *checker) public(ctx context.Context) error {
	p := c.opts.Want.Public.Connect
	if p == nil || *p {
		return nil
	}
	role := "rolekeeper_check_" + c.suffix
	name := "a role outside the spec cannot connect (PUBLIC has no CONNECT)"
	q := pgx.Identifier{role}.Sanitize()
	admin := c.opts.Admin
	create, pw, err := throwawayRole(role)
	if err != nil {
		return err
	}
	if err := createMarked(ctx, admin, create, "ROLE "+q); err != nil {
		c.report.add(Result{Name: name, Skipped: true, Detail: "could not create a throwaway role: " + describe(err)})
		return nil
	}
	defer admin.Exec(context.Background(), "DROP ROLE "+q)
	conn, err := pgx.ConnectConfig(ctx, connect.UserConfig(admin.Config(), role, pw, "rolekeeper check"))
	switch {
	case err == nil:
		conn.Close(ctx)
		c.report.add(Result{Name: name, Detail: "it connected"})
	case isPermissionDenied(err):
		c.report.add(Result{Name: name, Passed: true})
	default:
		c.report.add(Result{Name: name, Detail: "connection failed for another reason: " + describe(err)})
	}
	return nil
}

func (c *checker) extensions(ctx context.Context) {
	for _, name := range state.SortedKeys(c.opts.Want.Extensions) {
		x := c.opts.Want.Extensions[name]
		var exists bool
		err := c.opts.Admin.QueryRow(ctx, "select exists (select 1 from pg_extension where extname = $1)", name).Scan(&exists)
		check := fmt.Sprintf("extension %s is installed", quote(name))
		if x.Absent {
			check = fmt.Sprintf("extension %s is not installed", quote(name))
		}
		switch {
		case err != nil:
			c.report.add(Result{Name: check, Detail: describe(err)})
		case exists != x.Absent:
			c.report.add(Result{Name: check, Passed: true})
		default:
			c.report.add(Result{Name: check, Detail: "it is not so"})
		}
	}
}

func isPermissionDenied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "42501"
}

// describe shortens a server error to its message and code.
func describe(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	return err.Error()
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }
