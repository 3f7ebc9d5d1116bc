package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

func command(dsn string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Args = append(cmd.Args, "--dsn", dsn)
	return cmd
}

// TestTenConcurrentApplyProcesses: ten processes apply the same spec at
// once; all succeed (the advisory lock makes them wait, and the later ones
// find nothing to do), none fails with "tuple concurrently updated" or a
// deadlock, and the result equals a single run's.
func TestTenConcurrentApplyProcesses(t *testing.T) {
	db := pgtest.Fresh(t)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 10)
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := command(db.DSN, "apply", "-f", example, "--format", "json")
			cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
			errs[i] = cmd.Run()
		}(i)
	}
	wg.Wait()
	committed := 0
	for i, err := range errs {
		out := outs[i].String()
		if err != nil || strings.Contains(out, "concurrently") || strings.Contains(out, "deadlock") {
			t.Fatalf("process %d: %v\n%s", i, err, out)
		}
		if strings.Contains(out, `"applied": true`) {
			committed++
		}
	}
	if committed != 1 {
		t.Fatalf("%d processes committed changes; exactly one should have, the others finding nothing to do", committed)
	}
	concurrent := db.Fingerprint(t)
	// The same spec applied once, on a fresh cluster state.
	db = pgtest.Fresh(t)
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatal(errOut)
	}
	if single := db.Fingerprint(t); single != concurrent {
		t.Fatalf("ten concurrent runs ended in another state than one run:\n%s\n---\n%s", concurrent, single)
	}
}

// driftedExample applies the example to a fresh database, adds a table
// app.orders, and drifts: the next apply repairs it in several statements,
// the last of which waits for a migration that holds app.orders.
func driftedExample(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.Fresh(t)
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatal(errOut)
	}
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.orders (id int); RESET ROLE")
	db.Exec(t, "ALTER ROLE app CONNECTION LIMIT 3; ALTER ROLE reporting NOLOGIN; REVOKE SELECT ON app.orders FROM reporting")
	return db
}

// TestSIGKILLMidApplyChangesNothing kills the process while its
// transaction has run some statements and waits on a migration's lock.
func TestSIGKILLMidApplyChangesNothing(t *testing.T) {
	db := driftedExample(t)
	before := db.Fingerprint(t)
	ctx := context.Background()
	migration := db.ConnectAs(t, "migrator", "")
	if _, err := migration.Exec(ctx, "BEGIN; ALTER TABLE app.orders ADD COLUMN note text"); err != nil {
		t.Fatal(err)
	}
	cmd := command(db.DSN, "apply", "-f", example, "--lock-timeout", "60s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the apply is blocked inside its transaction.
	deadline := time.Now().Add(15 * time.Second)
	for !db.Bool(t, "select exists (select 1 from pg_stat_activity where application_name = 'rolekeeper' and wait_event_type = 'Lock')") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the apply never blocked on the migration's lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	migration.Exec(ctx, "ROLLBACK")
	db.WaitIdle(t, "rolekeeper")
	if after := db.Fingerprint(t); after != before {
		t.Fatalf("a killed apply left changes behind:\n%s\n---\n%s", before, after)
	}
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := rk(t, "plan", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatalf("a rerun after the kill did not converge:\n%s", out)
	}
}

// TestServerRestartBetweenPlanAndApply: each command opens its own
// connection, so a restart in between is invisible.
func TestServerRestartBetweenPlanAndApply(t *testing.T) {
	db := pgtest.Fresh(t)
	if code, _, errOut := rk(t, "plan", "-f", example, "--dsn", db.DSN); code != 2 {
		t.Fatal(errOut)
	}
	if err := pgtest.Server.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN, "--connect-retry", "10s"); code != 0 {
		t.Fatalf("apply after a restart: %s", errOut)
	}
}
