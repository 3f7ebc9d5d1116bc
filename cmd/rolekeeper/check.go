package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/ops"
	"github.com/rolekeeper/rolekeeper/verify"
)

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, s, conn, err := specCommand(ctx, "check", args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	report, err := verify.Check(ctx, verify.Options{
		Admin:      conn,
		Want:       s.Desired(conn.Config().Database),
		Credential: verify.StoreCredential(storeOf(f.secrets(ctx, conn)), ops.Tokens(awsConfig), conn.Config()),
	})
	if err != nil {
		return err
	}
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = report.WriteText(stdout)
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
	var only []string
	if roles != "" {
		only = strings.Split(roles, ",")
	}
	login := func(ctx context.Context, user, password string) error {
		return connect.Login(ctx, conn.Config(), user, password)
	}
	done, err := apply.Rotate(ctx, conn, s.Desired(conn.Config().Database), f.secrets(ctx, conn), only, login, apply.Options{})
	if f.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if done == nil {
			done = []apply.Rotation{}
		}
		enc.Encode(map[string]any{"rotations": done})
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

// storeOf returns the store of secrets, nil when there is none.
func storeOf(s *apply.Secrets) credentials.Store {
	if s == nil {
		return nil
	}
	return s.Store
}
