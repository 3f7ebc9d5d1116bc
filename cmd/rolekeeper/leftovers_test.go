package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestKilledCheckLeavesNothingTheNextRemoves kills check (SIGKILL) at
// several points: while its test table exists, while a user tries its
// privileges on it, and while its throwaway login role exists. Each time
// something is left; the next check removes it, passes, and the database
// is as before the killed check.
func TestKilledCheckLeavesNothingTheNextRemoves(t *testing.T) {
	db := pgtest.Fresh(t)
	if code, _, errOut := rk(t, "apply", "-f", example, "--dsn", db.DSN); code != 0 {
		t.Fatal(errOut)
	}
	leftovers := func() []string {
		return db.Strings(t, `select rolname::text from pg_roles where rolname like 'rolekeeper\_check\_%'
			union all select relname::text from pg_class where relname like 'rolekeeper\_check\_%' order by 1`)
	}
	for _, at := range []string{"INSERT INTO", "DROP TABLE", "DROP ROLE"} {
		t.Run(at, func(t *testing.T) {
			before := db.Fingerprint(t)
			px := newStallProxy(t, at)
			cmd := exec.Command(binary, "check", "-f", example, "--dsn", px.dsn(db))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.Env = os.Environ()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if !waitFor(func() bool {
				select {
				case <-px.stalled:
					return true
				default:
					return false
				}
			}) {
				cmd.Process.Kill()
				t.Fatalf("check never sent %q: %s", at, out.String())
			}
			cmd.Process.Kill() // SIGKILL
			cmd.Wait()
			db.WaitIdle(t, "rolekeeper")
			db.WaitIdle(t, "rolekeeper check")
			left := leftovers()
			if len(left) == 0 {
				t.Fatalf("killed at %q, check left nothing: the test does not reach its point", at)
			}
			code, stdout, errOut := rk(t, "check", "-f", example, "--dsn", db.DSN)
			if code != 0 || !strings.Contains(stdout, "an interrupted check left") {
				t.Fatalf("the next check: exit %d\n%s%s", code, stdout, errOut)
			}
			if again := leftovers(); len(again) > 0 {
				t.Fatalf("the next check left %q (the killed one left %q)", again, left)
			}
			if after := db.Fingerprint(t); after != before {
				t.Fatalf("after a killed check and a full one, the database differs:\n%s\n---\n%s", before, after)
			}
			t.Logf("killed at %s: left %q, removed by the next check", at, left)
		})
	}
}
