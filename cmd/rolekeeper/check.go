package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/spec"
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, s, conn, err := specCommand(ctx, "check", args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	sess, err := f.session(ctx, conn)
	if err != nil {
		return err
	}
	if s.MultiDatabase() {
		return checkDatabases(ctx, f, sess, s, stdout)
	}
	report, err := sess.Check(ctx, s)
	if err != nil {
		return err
	}
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = f.writeText(stdout, report.WriteText)
	}
	if err != nil {
		return err
	}
	if !report.OK() {
		return &exitError{1, fmt.Errorf("%d check(s) failed", report.Failed)}
	}
	return nil
}

func runRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var roles string
	f, s, conn, err := specCommand(ctx, "rotate", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&roles, "roles", "", "comma-separated roles to rotate (default: every auth: password role)")
	})
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	sess, err := f.session(ctx, conn)
	if err != nil {
		return err
	}
	done, err := sess.Rotate(ctx, s, ops.RoleList(roles))
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(map[string]any{"rotations": done}); werr != nil && err == nil {
			err = werr
		}
	} else {
		for _, r := range done {
			fmt.Fprintf(stdout, "%s: password %s (secret %s)\n", r.Role, r.Outcome, r.Secret)
		}
		if len(done) == 0 && err == nil {
			fmt.Fprintln(stdout, "no auth: password roles to rotate")
		}
	}
	return err
}

// checkDatabases is check for a spec with several databases: each
// database's report under its name.
func checkDatabases(ctx context.Context, f *dbFlags, sess ops.Session, s *spec.Spec, stdout io.Writer) error {
	reports, err := sess.CheckDatabases(ctx, s)
	if err != nil {
		return err
	}
	failed := 0
	for _, r := range reports {
		failed += r.Failed
	}
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(map[string]any{"databases": reports})
	} else {
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "== Database %s ==\n", pgx.Identifier{r.Database}.Sanitize())
			if err = f.writeText(stdout, r.WriteText); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{1, fmt.Errorf("%d check(s) failed", failed)}
	}
	return nil
}
