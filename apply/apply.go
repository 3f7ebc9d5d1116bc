// Package apply converges a database to a spec in one transaction: it takes
// an advisory lock so concurrent runs wait for each other, inspects again
// under the lock, plans, runs every statement, and commits, or rolls
// everything back.
package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect/pin"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/progress"
	"github.com/rolekeeper/rolekeeper/state"
)

// LockKey is the advisory lock every rolekeeper run takes ("rolekeep").
const LockKey int64 = 0x726F6C656B656570

// Options bound how long an apply may wait.
type Options struct {
	Plan plan.Options
	// LockTimeout bounds each wait for a lock the application holds (default 5s).
	LockTimeout time.Duration
	// StatementTimeout bounds each statement (default 10 min).
	StatementTimeout time.Duration
	// WaitTimeout bounds the wait for another rolekeeper run (default 2 min).
	WaitTimeout time.Duration
	// BatchSize is how many statements are sent in one round trip (default 1000).
	BatchSize int
	// OnChange, when set, is called after each change is applied.
	OnChange func(plan.Change)
	// Secrets keeps the passwords of auth: password roles.
	Secrets *Secrets

	// accept, when set, checks the plan computed under the lock and
	// returns the plan to run (a saved plan: ApplySaved).
	accept func(snap *catalog.Snapshot, p *plan.Plan) (*plan.Plan, error)
}

// Result is what an apply did.
type Result struct {
	Plan *plan.Plan
	// Committed is true once the transaction committed.
	Committed bool
	// Statements counts the statements run (0 when nothing changed).
	Statements int
	// SecretsWritten names the secrets this run created (for new
	// passwords). They stay when the transaction rolls back, and the next
	// apply uses them.
	SecretsWritten []string
}

// rolledBack says what a failed apply left: nothing in the database, and
// the secrets it wrote, if any, which the next apply reuses.
func (r *Result) rolledBack() string {
	if r == nil || len(r.SecretsWritten) == 0 {
		return "rolled back, nothing was changed"
	}
	return fmt.Sprintf("rolled back, nothing was changed in the database; the secret(s) %s were written with new passwords before the failure, and the next apply uses them", strings.Join(r.SecretsWritten, ", "))
}

// ProblemsError is returned when the plan has problems: nothing was run.
type ProblemsError struct{ Problems []string }

func (e *ProblemsError) Error() string {
	return "the plan has problems, nothing was changed:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Scope returns what the catalog must read for a desired state.
func Scope(want *state.Database) catalog.Scope {
	sc := catalog.Scope{Schemas: state.SortedKeys(want.Schemas), Grantees: []string{}, Extensions: []string{}}
	if want.Public.CreateInPublicSchema != nil {
		if _, ok := want.Schemas["public"]; !ok {
			sc.Schemas = append(sc.Schemas, "public")
		}
	}
	for name, r := range want.Roles {
		if !r.Absent {
			sc.Grantees = append(sc.Grantees, name)
		} else {
			sc.Dropping = append(sc.Dropping, name)
			sc.ReassignTo = append(sc.ReassignTo, r.ReassignTo)
		}
	}
	for name, x := range want.Extensions {
		if x.Absent {
			sc.Uninstall = append(sc.Uninstall, name)
		} else {
			sc.Extensions = append(sc.Extensions, name)
			if x.Schema != "" {
				sc.ExtensionSchemas = append(sc.ExtensionSchemas, x.Schema)
			} else {
				sc.ExtensionSchemas = append(sc.ExtensionSchemas, plan.DefaultExtensionSchema)
			}
		}
	}
	return sc
}

// sameScope reports whether a and b read the same: the same sets of
// names in each field (nil, which reads everything, apart from empty).
func sameScope(a, b catalog.Scope) bool {
	return sameSet(a.Schemas, b.Schemas) && sameSet(a.Grantees, b.Grantees) && sameSet(a.Uninstall, b.Uninstall) &&
		sameSet(pairs(a.Extensions, a.ExtensionSchemas), pairs(b.Extensions, b.ExtensionSchemas)) &&
		sameSet(pairs(a.Dropping, a.ReassignTo), pairs(b.Dropping, b.ReassignTo))
}

func sameSet(a, b []string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// pairs joins two aligned lists (an extension and its schema, a role and
// who receives its objects) into one.
func pairs(a, b []string) []string {
	if a == nil {
		return nil
	}
	out := make([]string, len(a))
	for i := range a {
		out[i] = a[i]
		if i < len(b) {
			out[i] += "\x00" + b[i]
		}
	}
	return out
}

// Plan inspects the database and returns the plan, without changing anything.
func Plan(ctx context.Context, conn *pgx.Conn, want *state.Database, opts plan.Options) (*plan.Plan, error) {
	return PlanWhile(ctx, conn, want, func() *state.Database { return want }, opts)
}

// PlanWhile is Plan for a desired state still being built: the catalog is
// read with the scope of skeleton (spec.Skeleton of the same spec) while
// want, which waits for the whole, is built.
func PlanWhile(ctx context.Context, conn *pgx.Conn, skeleton *state.Database, want func() *state.Database, opts plan.Options) (*plan.Plan, error) {
	snap, w, err := inspectWhile(ctx, conn, skeleton, want)
	if err != nil {
		return nil, err
	}
	return diff(ctx, conn, w, snap, opts)
}

// diff plans want against snap. A plan that sets settings is made again
// once it is known which of them the connected user may not set: the
// inspection leaves that out, since most runs set none (one round trip
// more, only then).
func diff(ctx context.Context, conn *pgx.Conn, want *state.Database, snap *catalog.Snapshot, opts plan.Options) (*plan.Plan, error) {
	p := plan.Diff(want, snap, opts)
	names := p.SettingsUnread()
	if len(names) == 0 {
		return p, nil
	}
	restricted, err := catalog.RestrictedSettings(ctx, conn, names)
	if err != nil {
		return nil, err
	}
	snap.Server.SettingRestricted = restricted
	return plan.Diff(want, snap, opts), nil
}

// begin opens the transaction and takes the rolekeeper lock, in one round trip.
func begin(ctx context.Context, conn *pgx.Conn, opts Options) error {
	q := fmt.Sprintf("BEGIN READ WRITE ISOLATION LEVEL READ COMMITTED; SET LOCAL statement_timeout = %d; SET LOCAL lock_timeout = %d; SELECT pg_advisory_xact_lock(%d); SET LOCAL lock_timeout = %d; SET LOCAL statement_timeout = %d",
		opts.WaitTimeout.Milliseconds(), opts.WaitTimeout.Milliseconds(), LockKey, opts.LockTimeout.Milliseconds(), opts.StatementTimeout.Milliseconds())
	// The session's pinned settings that wait for its first statement
	// (package connect) go first, in this round trip. They become part of
	// this transaction: rollback runs them again before the next statement.
	if pins := pin.Take(conn.PgConn()); pins != nil {
		q = pin.SQL(pins) + "; " + q
	}
	if _, err := conn.PgConn().Exec(ctx, q).ReadAll(); err != nil {
		rollback(conn)
		return fmt.Errorf("take the rolekeeper lock: %w%s", err, lockHint(err, "another rolekeeper run", opts.WaitTimeout))
	}
	return nil
}

// commit commits the transaction begin opened. A COMMIT that fails rolled
// the transaction back, with the session's pinned settings if it carried
// them: they run again before the next statement, whether or not the
// caller rolls back (rotate does not, and goes on with the session).
func commit(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.PgConn().Exec(ctx, "COMMIT").ReadAll(); err != nil {
		pin.Undo(conn.PgConn())
		return err
	}
	pin.Done(conn.PgConn())
	return nil
}

func (o *Options) defaults() {
	if o.LockTimeout == 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.StatementTimeout == 0 {
		o.StatementTimeout = 10 * time.Minute
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 2 * time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
}

// Apply converges the database to want. On any error the transaction is
// rolled back and the database is as it was.
func Apply(ctx context.Context, conn *pgx.Conn, want *state.Database, opts Options) (res *Result, err error) {
	return ApplyWhile(ctx, conn, want, func() *state.Database { return want }, opts)
}

// ApplyWhile is Apply for a desired state still being built, as
// PlanWhile: skeleton's scope is read under the lock while want, which
// waits for the whole, is built.
func ApplyWhile(ctx context.Context, conn *pgx.Conn, skeleton *state.Database, want func() *state.Database, opts Options) (res *Result, err error) {
	opts.defaults()
	if err := RefuseAdminSecret(opts.Secrets, skeleton); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	// One round trip: open the transaction, bound the waits, and wait for
	// any other rolekeeper run on this cluster to finish.
	progress.Report(ctx, "waiting for the rolekeeper lock")
	if err := begin(ctx, conn, opts); err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			rollback(conn)
		}
	}()
	// Inspect again under the lock: the plan shown earlier may be stale.
	snap, w, err := inspectWhile(ctx, conn, skeleton, want)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	p, err := diff(ctx, conn, w, snap, opts.Plan)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	if opts.accept != nil {
		if p, err = opts.accept(snap, p); err != nil {
			return &Result{Plan: p}, err
		}
	}
	p.Problems = append(p.Problems, PasswordProblems(ctx, opts.Secrets, w, p)...)
	res = &Result{Plan: p}
	if len(p.Problems) > 0 {
		return res, &ProblemsError{Problems: p.Problems}
	}
	if p.Empty() {
		return res, nil // nothing to write: the transaction is rolled back
	}
	if err := run(ctx, conn, p, opts, res); err != nil {
		return res, err
	}
	progress.Report(ctx, "committing")
	if err := commit(ctx, conn); err != nil {
		return res, fmt.Errorf("apply: commit: %w; the server %s", err, res.rolledBack())
	}
	committed = true
	res.Committed = true
	return res, nil
}

// step is one statement and the change it belongs to.
type step struct {
	sql    string
	change int
}

// run sends the plan's statements in batches and reports the first failure
// with the change it belongs to.
func run(ctx context.Context, conn *pgx.Conn, p *plan.Plan, opts Options, res *Result) error {
	var steps []step
	for i, c := range p.Changes {
		if c.Secret != "" {
			sql, created, err := passwordStatement(ctx, opts.Secrets, c)
			if created {
				res.SecretsWritten = append(res.SecretsWritten, c.Secret)
			}
			if err != nil {
				return fmt.Errorf("apply: %w; %s", err, res.rolledBack())
			}
			steps = append(steps, step{sql, i})
			continue
		}
		for _, s := range c.SQL {
			steps = append(steps, step{s, i})
		}
	}
	for start := 0; start < len(steps); start += opts.BatchSize {
		end := min(start+opts.BatchSize, len(steps))
		progress.Report(ctx, "applying batch %d of %d (%d statements)", start/opts.BatchSize+1, (len(steps)+opts.BatchSize-1)/opts.BatchSize, len(steps))
		b := &pgx.Batch{}
		for _, st := range steps[start:end] {
			b.Queue(st.sql)
		}
		br := conn.SendBatch(ctx, b)
		for i := start; i < end; i++ {
			if _, err := br.Exec(); err != nil {
				br.Close()
				c := p.Changes[steps[i].change]
				return fmt.Errorf("apply: %s: %w%s; %s", c.Summary, err, lockHint(err, "a lock another session holds", opts.LockTimeout), res.rolledBack())
			}
			res.Statements++
			if opts.OnChange != nil && (i+1 == len(steps) || steps[i+1].change != steps[i].change) {
				opts.OnChange(p.Changes[steps[i].change])
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("apply: %w; %s", err, res.rolledBack())
		}
	}
	return nil
}

// lockHint explains a lock or statement timeout.
func lockHint(err error, what string, limit time.Duration) string {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return ""
	}
	switch pgErr.Code {
	case "55P03":
		return fmt.Sprintf(" (waited %s for %s: the application may be holding locks on these objects in long transactions; retry, or raise --lock-timeout)", limit, what)
	case "57014":
		return " (a statement ran longer than its timeout; raise --statement-timeout)"
	}
	return ""
}

// rollback ends the transaction; on a broken connection the server rolls
// back by itself.
func rollback(conn *pgx.Conn) {
	if conn.IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.PgConn().Exec(ctx, "ROLLBACK").ReadAll()
	pin.Undo(conn.PgConn())
}
