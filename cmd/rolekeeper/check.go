package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/rolekeeper/rolekeeper/ops"
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
