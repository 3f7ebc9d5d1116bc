package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/credentials"
	"github.com/rolekeeper/rolekeeper/state"
	"github.com/rolekeeper/rolekeeper/verify"
)

// userCredential gives check and rotate each role's password: its secret
// for auth: password, an IAM token for auth: iam when an AWS region is
// configured, and none (the server trusts it, as the sandbox does) otherwise.
func (c *connFlags) userCredential(secrets *apply.Secrets, admin *pgx.Conn) verify.Credential {
	return func(ctx context.Context, r *state.Role) (string, bool, error) {
		switch r.Auth {
		case state.AuthPassword:
			if secrets == nil {
				return "", false, fmt.Errorf("no secret store configured to read the password of %q", r.Name)
			}
			v, err := secrets.Store.Get(ctx, r.PasswordSecret, credentials.StageCurrent)
			if err != nil {
				return "", false, err
			}
			return v.Secret.Password, true, nil
		case state.AuthIAM:
			cfg, err := awsConfig(ctx)
			if err != nil || cfg.Region == "" {
				return "", true, nil
			}
			token, err := credentials.IAMToken(ctx, cfg, admin.Config().Host, admin.Config().Port, r.Name)
			return token, err == nil, err
		}
		return "", false, nil
	}
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, s, conn, err := specCommand(ctx, "check", args, stderr, nil)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	report, err := verify.Check(ctx, verify.Options{
		Admin:      conn,
		Want:       s.Desired(conn.Config().Database),
		Credential: f.userCredential(f.secrets(ctx, conn), conn),
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
