package lambda_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestSlowDatabaseEndsWithOwnErrorBeforeTheTimeout: under the emulator
// with a 5 s function timeout, an apply that waits for another run's lock,
// and a connection to a server that never answers, both end with
// rolekeeper's own error inside the timeout (never "Task timed out"), and
// nothing changes.
func TestSlowDatabaseEndsWithOwnErrorBeforeTheTimeout(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	var env []string
	for _, e := range rdsEnv(t, aws) {
		if !strings.HasPrefix(e, "ROLEKEEPER_CONNECT_RETRY=") {
			env = append(env, e) // the retry comes from the deadline
		}
	}
	fn := startFunction(t, append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT=5"))
	before := db.Fingerprint(t)
	db.Exec(t, "select pg_advisory_lock($1)", apply.LockKey) // another run holds the lock
	start := time.Now()
	_, errMsg := fn.invoke(t, `{"action": "apply", "config": `+exampleJSON(t)+`}`)
	took := time.Since(start)
	if !strings.Contains(errMsg, "rolekeeper lock") || strings.Contains(errMsg, "Task timed out") || took > 5*time.Second {
		t.Fatalf("after %s: %q\n%s", took, errMsg, fn.logs.String())
	}
	db.Exec(t, "select pg_advisory_unlock($1)", apply.LockKey)
	if db.Fingerprint(t) != before {
		t.Fatal("a timed-out apply changed the database")
	}

	// A server that does not answer: the retries stop in time.
	var dead []string
	for _, e := range env {
		if strings.HasPrefix(e, "PGPORT=") {
			e = "PGPORT=1"
		}
		dead = append(dead, e)
	}
	fn = startFunction(t, append(dead, "AWS_LAMBDA_FUNCTION_TIMEOUT=5"))
	start = time.Now()
	_, errMsg = fn.invoke(t, `{"action": "plan", "config": `+exampleJSON(t)+`}`)
	took = time.Since(start)
	if !strings.Contains(errMsg, "connect to 127.0.0.1:1") || strings.Contains(errMsg, "Task timed out") || took > 5*time.Second || !strings.Contains(fn.logs.String(), "retrying") {
		t.Fatalf("after %s: %q\n%s", took, errMsg, fn.logs.String())
	}
}
