package ops

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/progress"
	"github.com/rolekeeper/rolekeeper/spec"
	"github.com/rolekeeper/rolekeeper/verify"
)

// A spec that declares several databases (spec.Spec.Databases) is worked
// on one database at a time, in the order of spec.DatabaseNames, each
// through its own connection: the admin connection's parameters with the
// database swapped (connect.Database). Roles are cluster-wide, so the
// first database's plan carries the cluster's changes, and the plans of
// the others see them done. docs/several-databases.md says it for users.

// ErrSavedPlanMulti refuses a saved plan for a multi-database spec.
var ErrSavedPlanMulti = errors.New("a saved plan covers one database, and this spec declares several; run plan and apply without a plan file (apply plans each database again under its lock)")

// in returns a session on database: this one when it is connected
// there, else a new connection (done closes it).
func (s Session) in(ctx context.Context, database string) (sub Session, done func(), err error) {
	if s.Database() == database {
		return s, func() {}, nil
	}
	progress.Report(ctx, "connecting to database %q", database)
	conn, err := connect.Database(ctx, s.Conn.Config(), database)
	if err != nil {
		return Session{}, nil, err
	}
	sub = s
	sub.Conn = conn
	return sub, func() { conn.Close(context.Background()) }, nil
}

// missingDatabases returns the names that are no database of this server
// accepting connections.
func (s Session) missingDatabases(ctx context.Context, names []string) (map[string]bool, error) {
	rows, err := s.Conn.Query(ctx, "SELECT datname FROM pg_catalog.pg_database WHERE datname = ANY($1) AND datallowconn", names)
	if err != nil {
		return nil, fmt.Errorf("list the databases of the spec: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list the databases of the spec: %w", err)
	}
	missing := map[string]bool{}
	for _, n := range names {
		missing[n] = true
	}
	for _, n := range found {
		delete(missing, n)
	}
	return missing, nil
}

// databaseOptions are the plan options of the i-th database of names: a
// dropped role's privileges in the others are theirs to clear, and only
// the last one drops it.
func databaseOptions(sp *spec.Spec, names []string, i int) plan.Options {
	return plan.Options{Additive: sp.Additive(), Databases: names, KeepAbsentRoles: i < len(names)-1}
}

// missingProblem is the plan problem of a database the spec lists and the
// server does not have.
func missingProblem(db string) string {
	return fmt.Sprintf("it does not exist on this server (or does not accept connections): create it first (CREATE DATABASE %s), or remove it from the spec's databases; nothing is applied in any database until then", pgx.Identifier{db}.Sanitize())
}

// PlanDatabases plans a multi-database spec: one plan per database, in
// order, each read from its own database. A database the server does not
// have is a problem of the plan; nothing is changed anywhere.
func (s Session) PlanDatabases(ctx context.Context, sp *spec.Spec) (*plan.Multi, error) {
	names := sp.DatabaseNames()
	missing, err := s.missingDatabases(ctx, names)
	if err != nil {
		return nil, err
	}
	m := &plan.Multi{}
	for i, db := range names {
		if missing[db] {
			m.Databases = append(m.Databases, plan.DatabasePlan{Database: db,
				Plan: &plan.Plan{Database: db, Changes: []plan.Change{}, Problems: []string{missingProblem(db)}}})
			continue
		}
		sub, done, err := s.in(ctx, db)
		if err != nil {
			return nil, err
		}
		p, err := sub.plan(ctx, sp.ForDatabase(db), databaseOptions(sp, names, i))
		done()
		if err != nil {
			return nil, fmt.Errorf("plan database %q: %w", db, err)
		}
		m.Databases = append(m.Databases, plan.DatabasePlan{Database: db, Plan: p})
	}
	return m, nil
}

// MultiApplyError says that apply stopped at a database: those before it
// stay committed, it was rolled back, those after it were not attempted.
type MultiApplyError struct {
	Database string
	Err      error
	Verdict  string
}

func (e *MultiApplyError) Error() string {
	return fmt.Sprintf("apply database %q: %v\n%s", e.Database, e.Err, e.Verdict)
}

func (e *MultiApplyError) Unwrap() error { return e.Err }

// ApplyDatabases applies a multi-database spec: first a plan of every
// database (any problem, such as a database that does not exist, and
// nothing is changed anywhere: the plans are returned, Refused, with an
// *apply.ProblemsError), then one transaction per database, in
// order, each under the rolekeeper lock with its plan computed again
// there; the cluster's changes run in the first. A failure rolls back
// that database's transaction and stops: the databases before it stay
// committed, those after it are not attempted, and the error is a
// *MultiApplyError. Running apply again converges.
func (s Session) ApplyDatabases(ctx context.Context, sp *spec.Spec, opts apply.Options) (*plan.Multi, error) {
	pre, err := s.PlanDatabases(ctx, sp)
	if err != nil {
		return nil, err
	}
	if probs := pre.Problems(); len(probs) > 0 {
		pre.Applied, pre.Refused = true, true
		for i := range pre.Databases {
			pre.Databases[i].Outcome = plan.OutcomeNotAttempted
		}
		return pre, &apply.ProblemsError{Problems: probs}
	}
	names := sp.DatabaseNames()
	s.homes = map[string]string{}
	for role := range sp.Roles {
		s.homes[role] = sp.LoginDatabase(role)
	}
	m := &plan.Multi{Applied: true}
	var failure *MultiApplyError
	for i, db := range names {
		dp := plan.DatabasePlan{Database: db}
		if failure != nil {
			dp.Outcome = plan.OutcomeNotAttempted
			m.Databases = append(m.Databases, dp)
			continue
		}
		progress.Report(ctx, "applying database %d of %d (%q)", i+1, len(names), db)
		res, err := s.applyIn(ctx, sp, db, databaseOptions(sp, names, i), opts)
		if res != nil {
			dp.Plan, dp.Statements = res.Plan, res.Statements
		}
		switch {
		case err != nil:
			dp.Outcome, dp.Error = plan.OutcomeFailed, err.Error()
			failure = &MultiApplyError{Database: db, Err: err}
		case res.Committed:
			dp.Outcome = plan.OutcomeApplied
		default:
			dp.Outcome = plan.OutcomeNoChanges
		}
		m.Databases = append(m.Databases, dp)
	}
	if failure != nil {
		failure.Verdict = m.Verdict()
		return m, failure
	}
	return m, nil
}

// applyIn applies database's part of sp through its own connection.
func (s Session) applyIn(ctx context.Context, sp *spec.Spec, db string, po plan.Options, opts apply.Options) (*apply.Result, error) {
	sub, done, err := s.in(ctx, db)
	if err != nil {
		return nil, err
	}
	defer done()
	opts.Plan.Databases, opts.Plan.KeepAbsentRoles = po.Databases, po.KeepAbsentRoles
	return sub.Apply(ctx, sp.ForDatabase(db), opts)
}

// DatabaseReport is check's report for one database.
type DatabaseReport struct {
	Database string `json:"database"`
	*verify.Report
}

// CheckDatabases runs check in each database of a multi-database spec:
// each login role logs in to each database and exercises its rights
// there.
func (s Session) CheckDatabases(ctx context.Context, sp *spec.Spec) ([]DatabaseReport, error) {
	var out []DatabaseReport
	for _, db := range sp.DatabaseNames() {
		sub, done, err := s.in(ctx, db)
		if err != nil {
			return out, err
		}
		r, err := sub.Check(ctx, sp.ForDatabase(db))
		done()
		if err != nil {
			return out, fmt.Errorf("check database %q: %w", db, err)
		}
		out = append(out, DatabaseReport{Database: db, Report: r})
	}
	return out, nil
}

// InspectDatabases describes several databases as one multi-database
// spec: roles once, each database's schemas, privileges and settings, and
// roles' access in it under databases. Each database is read through its
// own connection.
func (s Session) InspectDatabases(ctx context.Context, names []string) (*Inspection, error) {
	names = DatabaseList(names)
	per := map[string]*spec.Spec{}
	notes := map[string][]string{}
	version := ""
	for _, db := range names {
		sub, done, err := s.in(ctx, db)
		if err != nil {
			return nil, err
		}
		in, err := sub.Inspect(ctx)
		done()
		if err != nil {
			return nil, fmt.Errorf("inspect database %q: %w", db, err)
		}
		per[db] = in.Spec
		version = in.ServerVersion
		notes[db] = in.Notes
	}
	combined, kept := spec.Combine(per, notes)
	if kept == nil {
		kept = []string{}
	}
	return &Inspection{Spec: combined, Notes: kept, Databases: names, ServerVersion: version}, nil
}

// DatabaseList returns names without the ones given before: a database
// named twice is inspected once.
func DatabaseList(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// ListDatabases returns the databases of the server that accept
// connections, templates and Amazon RDS's own (rdsadmin) left out, sorted;
// and, apart, those the connected user has no CONNECT on (another team's
// database that revoked it from PUBLIC), which cannot be read.
func (s Session) ListDatabases(ctx context.Context) (names, noConnect []string, err error) {
	rows, err := s.Conn.Query(ctx, "SELECT datname, has_database_privilege(oid, 'CONNECT') FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate AND datname <> 'rdsadmin' ORDER BY datname COLLATE \"C\"")
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases: %w", err)
	}
	var name string
	var canConnect bool
	_, err = pgx.ForEachRow(rows, []any{&name, &canConnect}, func() error {
		if canConnect {
			names = append(names, name)
		} else {
			noConnect = append(noConnect, name)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list the databases: %w", err)
	}
	return names, noConnect, nil
}
