package verify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/connect/pin"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// leftoverMark is the comment on every object check creates: with the name
// pattern, it is how the next check recognizes what an interrupted one
// (SIGKILL, a Lambda timeout) left behind, and removes it. Objects are
// created with their comment in one implicit transaction, so none exists
// without it.
const leftoverMark = "rolekeeper check: temporary; removed by the next rolekeeper check"

// leftoverName matches the names check gives its objects.
const leftoverName = `^rolekeeper_check_[0-9a-f]{8}$`

// throwawayLife bounds how long a throwaway login role can log in, should
// it outlive its check.
const throwawayLife = 10 * time.Minute

// createMarked runs a CREATE statement and marks what it made, atomically.
func createMarked(ctx context.Context, conn *pgx.Conn, create, comment string) error {
	// Sent below pgx's tracer: the session's pins go first (package pin).
	if err := pin.Flush(ctx, conn.PgConn()); err != nil {
		return err
	}
	_, err := conn.PgConn().Exec(ctx, create+"; COMMENT ON "+comment+" IS '"+leftoverMark+"'").ReadAll()
	return err
}

// throwawayRole returns the statement that creates a login role for one
// check: a strong password, and a login that expires by itself.
func throwawayRole(name string) (create, password string, err error) {
	password, err = credentials.GeneratePassword(32)
	if err != nil {
		return "", "", err
	}
	until := time.Now().UTC().Add(throwawayLife).Format(time.RFC3339)
	return "CREATE ROLE " + quote(name) + " LOGIN PASSWORD " + scramLiteral(password) + " VALID UNTIL '" + until + "'", password, nil
}

// sweep removes what interrupted checks left: their throwaway roles (as
// the admin) and their test tables (as each table's owner, who logged in
// for this check). It runs after the logins and before any check.
func (c *checker) sweep(ctx context.Context) {
	admin := c.opts.Admin
	rows, _ := admin.Query(ctx, `select rolname::text from pg_roles
		where rolname ~ $1 and shobj_description(oid, 'pg_authid') = $2 order by 1`, leftoverName, leftoverMark)
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		c.report.add(Result{Name: "look for what an interrupted check left", Detail: describe(err)})
		return
	}
	for _, r := range roles {
		c.removed("throwaway role "+quote(r), admin, "DROP ROLE "+quote(r))
	}
	rows, _ = admin.Query(ctx, `select n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text
		from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where c.relkind = 'r' and c.relname ~ $1 and obj_description(c.oid, 'pg_class') = $2 order by 1, 2`, leftoverName, leftoverMark)
	var schema, table, owner string
	var tables [][3]string
	if _, err := pgx.ForEachRow(rows, []any{&schema, &table, &owner}, func() error {
		tables = append(tables, [3]string{schema, table, owner})
		return nil
	}); err != nil {
		c.report.add(Result{Name: "look for what an interrupted check left", Detail: describe(err)})
		return
	}
	for _, t := range tables {
		name := "test table " + pgx.Identifier{t[0], t[1]}.Sanitize()
		conn := c.conns[t[2]]
		if conn == nil {
			c.report.add(Result{Name: "remove the " + name + " an interrupted check left", Detail: fmt.Sprintf("its owner %s did not log in; drop it as that role", quote(t[2]))})
			continue
		}
		c.removed(name, conn, "DROP TABLE "+pgx.Identifier{t[0], t[1]}.Sanitize())
	}
}

// removed drops one leftover and reports it.
func (c *checker) removed(what string, conn *pgx.Conn, drop string) {
	name := "remove the " + what + " an interrupted check left"
	if _, err := conn.Exec(context.Background(), drop); err != nil {
		c.report.add(Result{Name: name, Detail: describe(err)})
		return
	}
	c.report.add(Result{Name: name, Passed: true})
}
