package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/plan"
	"github.com/rolekeeper/rolekeeper/spec"
)

// dbFlags are the flags shared by commands that read a spec and talk to a database.
type dbFlags struct {
	connFlags
	outputFlags
	file string
}

func (f *dbFlags) register(fs *flag.FlagSet, needFile bool) {
	f.connFlags.register(fs)
	if needFile {
		fs.StringVar(&f.file, "f", "", "spec file (YAML or JSON)")
	}
	f.outputFlags.register(fs, formatsOf(fs.Name()))
}

func (f *dbFlags) check(needFile bool) error {
	if needFile && f.file == "" {
		return &exitError{1, fmt.Errorf("give the spec file with -f FILE")}
	}
	return checkFormat(f.format, formatsOf(f.fsName)...)
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("rolekeeper "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{0, nil}
		}
		suggestFlag(fs, err)
		return &exitError{1, nil}
	}
	if fs.NArg() > 0 {
		return &exitError{1, fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// specCommand parses the flags of a command that works on a spec (extra
// adds the command's own), reads the spec, and connects to the database
// it names. The caller closes the connection.
func specCommand(ctx context.Context, name string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*dbFlags, *spec.Spec, *pgx.Conn, error) {
	f := &dbFlags{}
	fs := newFlagSet(name, stderr)
	f.register(fs, true)
	if extra != nil {
		extra(fs)
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, nil, nil, err
	}
	if err := f.check(true); err != nil {
		return nil, nil, nil, err
	}
	s, err := spec.Load(f.file)
	if err != nil {
		return nil, nil, nil, err
	}
	conn, err := f.connect(ctx, s.Database)
	if err != nil {
		return nil, nil, nil, err
	}
	return f, s, conn, nil
}

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var out string
	f, s, conn, err := specCommand(ctx, "plan", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "also save the plan to this file, for `rolekeeper apply FILE` (docs/saved-plans.md)")
	})
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	sess, err := f.session(ctx, conn)
	if err != nil {
		return err
	}
	if s.MultiDatabase() {
		return planDatabases(ctx, f, sess, s, out, stdout)
	}
	var p *plan.Plan
	if out != "" {
		var saved *plan.Saved
		if saved, p, err = sess.SavePlan(ctx, s, strings.TrimPrefix(versionLine(), "rolekeeper ")); err == nil {
			err = writeSavedPlan(out, saved)
		}
	} else {
		p, err = sess.Plan(ctx, s)
	}
	if err != nil {
		return err
	}
	err = f.writePlan(stdout, p, "Plan")
	if f.format == "text" {
		if err == nil && out != "" {
			fmt.Fprintf(stdout, "\nSaved the plan to %s. To apply exactly this plan: rolekeeper apply %s\n", out, out)
		}
	}
	switch {
	case err != nil:
		return err
	case len(p.Problems) > 0:
		return &exitError{1, fmt.Errorf("the plan has %d problem(s); apply would refuse it", len(p.Problems))}
	case !p.Empty():
		return &exitError{2, nil}
	}
	return nil
}

func runApply(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts apply.Options
	f := &dbFlags{}
	fs := newFlagSet("apply", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: rolekeeper apply -f SPEC [flags]      plan and apply in one transaction")
		fmt.Fprintln(stderr, "       rolekeeper apply [flags] PLANFILE    apply a plan saved by `plan -out PLANFILE`, exactly as reviewed")
		fs.PrintDefaults()
	}
	f.register(fs, true)
	fs.DurationVar(&opts.LockTimeout, "lock-timeout", 5*time.Second, "longest wait for a lock held by another session")
	fs.DurationVar(&opts.StatementTimeout, "statement-timeout", 10*time.Minute, "longest a statement may run")
	fs.DurationVar(&opts.WaitTimeout, "wait-timeout", 2*time.Minute, "longest wait for another rolekeeper run to finish")
	planFile, err := parseFlagsWithArg(fs, args)
	if err != nil {
		return err
	}
	if err := f.check(planFile == ""); err != nil {
		return err
	}
	var current *spec.Spec
	if f.file != "" {
		if current, err = spec.Load(f.file); err != nil {
			return err
		}
	}
	var saved *plan.Saved
	database := ""
	if planFile != "" {
		if saved, err = readSavedPlan(planFile); err != nil {
			return err
		}
		database = saved.Plan.Database
	} else {
		database = current.Database
	}
	conn, err := f.connect(ctx, database)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	sess, err := f.session(ctx, conn)
	if err != nil {
		return err
	}
	if saved == nil && current.MultiDatabase() {
		return applyDatabases(ctx, f, sess, current, opts, stdout)
	}
	var res *apply.Result
	if saved != nil {
		res, err = sess.ApplySaved(ctx, saved, current, opts)
	} else {
		res, err = sess.Apply(ctx, current, opts)
	}
	if res != nil && res.Plan != nil {
		if f.format == "json" {
			doc := res.Plan.Document()
			doc.Applied = &res.Committed
			if werr := plan.WriteDocumentJSON(stdout, doc); werr != nil && err == nil {
				err = werr
			}
		} else if err == nil {
			err = f.writePlan(stdout, res.Plan, "Applied")
		}
	}
	return err
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var file string
	fs := newFlagSet("validate", stderr)
	fs.StringVar(&file, "f", "", "spec file (YAML or JSON)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if file == "" {
		return &exitError{1, fmt.Errorf("give the spec file with -f FILE")}
	}
	s, err := spec.Load(file)
	if err != nil {
		return err
	}
	if s.MultiDatabase() {
		schemas := 0
		for _, d := range s.Databases {
			if d != nil {
				schemas += len(d.Schemas)
			}
		}
		fmt.Fprintf(stdout, "%s: valid (%d roles, %d databases, %d schemas)\n", file, len(s.Roles), len(s.Databases), schemas)
		return nil
	}
	fmt.Fprintf(stdout, "%s: valid (%d roles, %d schemas)\n", file, len(s.Roles), len(s.Schemas))
	return nil
}

func runSchema(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("schema", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	_, err := stdout.Write(spec.JSONSchema())
	return err
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf connFlags
	var database, format string
	var all bool
	fs := newFlagSet("inspect", stderr)
	cf.register(fs)
	fs.StringVar(&database, "database", "", "database to describe (default: the connection's); several, comma-separated, write a spec with databases")
	fs.BoolVar(&all, "all-databases", false, "describe every database of the server that accepts connections, as a spec with databases")
	fs.StringVar(&format, "format", "yaml", "output format: yaml or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkFormat(format, "yaml", "json"); err != nil {
		return err
	}
	names := ops.DatabaseList(ops.RoleList(database))
	if all && database != "" {
		return &exitError{1, fmt.Errorf("give --database or --all-databases, not both")}
	}
	connectTo := ""
	if len(names) == 1 && !all {
		connectTo = names[0]
	}
	conn, err := cf.connect(ctx, connectTo)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	sess := ops.Session{Conn: conn}
	var noConnect []string
	if all {
		if names, noConnect, err = sess.ListDatabases(ctx); err != nil {
			return err
		}
	}
	var in *ops.Inspection
	if len(names) > 1 || all {
		in, err = sess.InspectDatabases(ctx, names)
	} else {
		in, err = sess.Inspect(ctx)
	}
	if err != nil {
		return err
	}
	for _, db := range noConnect {
		in.Notes = append(in.Notes, fmt.Sprintf("left out database %q: %q has no CONNECT on it", db, conn.Config().User))
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(in.Spec)
	}
	out, err := in.YAML()
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// planDatabases is plan for a spec with several databases: one section
// per database, exit codes as for one.
func planDatabases(ctx context.Context, f *dbFlags, sess ops.Session, s *spec.Spec, out string, stdout io.Writer) error {
	if out != "" {
		return &exitError{1, ops.ErrSavedPlanMulti}
	}
	m, err := sess.PlanDatabases(ctx, s)
	if err != nil {
		return err
	}
	if err := f.writePlan(stdout, m, "Plan"); err != nil {
		return err
	}
	switch probs := m.Problems(); {
	case len(probs) > 0:
		return &exitError{1, fmt.Errorf("the plan has %d problem(s); apply would refuse it", len(probs))}
	case !m.Empty():
		return &exitError{2, nil}
	}
	return nil
}

// applyDatabases is apply for a spec with several databases: one
// transaction per database, each one's outcome reported; exit 1 when one
// failed (those before it stay committed).
func applyDatabases(ctx context.Context, f *dbFlags, sess ops.Session, s *spec.Spec, opts apply.Options, stdout io.Writer) error {
	m, err := sess.ApplyDatabases(ctx, s, opts)
	if m == nil {
		return err
	}
	if f.format == "json" || m.Applied {
		if werr := f.writePlan(stdout, m, "Applied"); werr != nil && err == nil {
			err = werr
		}
	}
	var failed *ops.MultiApplyError
	if errors.As(err, &failed) {
		// The report above says what each database did.
		done := "the databases before it stay committed"
		if names := s.DatabaseNames(); len(names) > 0 && names[0] == failed.Database {
			done = "the first: nothing was committed in any database"
		}
		return &exitError{1, fmt.Errorf("apply stopped at database %q, %s (run apply again once the cause is fixed): %v", failed.Database, done, failed.Err)}
	}
	return err
}
