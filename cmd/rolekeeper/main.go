// Command rolekeeper provisions PostgreSQL roles and privileges from a
// declarative file. This file only wires flags to the packages that do the
// work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	"github.com/rolekeeper/rolekeeper/lambda"
	"github.com/rolekeeper/rolekeeper/spec"
)

// exitError carries a process exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

// commands maps each subcommand to its function and one line of help.
var commands = []struct {
	name, help string
	run        func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}{
	{"plan", "show what apply would change (exit 0: nothing, 2: changes)", runPlan},
	{"apply", "converge the database to the spec in one transaction", runApply},
	{"check", "log in as each managed user and prove its rights", runCheck},
	{"rotate", "give password users new passwords (secret first, then server)", runRotate},
	{"inspect", "print the database's current roles and privileges as a spec", runInspect},
	{"validate", "check a spec file offline", runValidate},
	{"schema", "print the JSON Schema of the spec", runSchema},
	{"invoke", "call the deployed function: its log tail and result (exit 1 on a function error)", runInvoke},
	{"sandbox", "start a throwaway RDS-shaped PostgreSQL on loopback", runSandbox},
	{"version", "print the version", runVersion},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rolekeeper: PostgreSQL users and privileges from a declarative file.")
	fmt.Fprintln(w, "\nUsage: rolekeeper <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.help)
	}
	fmt.Fprintln(w, "\nThe database is given by --dsn or the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGSSLMODE.")
	fmt.Fprintln(w, "Run `rolekeeper <command> -h` for its flags.")
}

func main() {
	// In AWS Lambda (runtime provided.al2023, this binary as `bootstrap`),
	// serve events instead of reading the command line.
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") != "" {
		awslambda.Start(&lambda.Handler{})
		return
	}
	// The signal handling is not stopped before the exit: stopping it
	// waits for the runtime's signal goroutine (about a millisecond of
	// thread hand-offs at the end of every run), and the process ends at
	// once either way.
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		pctx, endProgress := startProgress(ctx, c.name, args[1:], stderr)
		err := c.run(pctx, args[1:], stdout, stderr)
		endProgress()
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			if ee.err != nil {
				fmt.Fprintf(stderr, "rolekeeper %s: %v\n", c.name, ee.err)
			}
			return ee.code
		case ctx.Err() != nil:
			// SIGINT or SIGTERM: the connection was closed, so the server
			// rolled back any open transaction.
			fmt.Fprintf(stderr, "rolekeeper %s: cancelled by a signal (%v); nothing was changed: any open transaction was rolled back\n", c.name, err)
			return 130
		default:
			fmt.Fprintf(stderr, "rolekeeper %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "rolekeeper: unknown command %q%s\n\n", args[0], spec.DidYouMean(args[0], commandNames()))
	usage(stderr)
	return 1
}
