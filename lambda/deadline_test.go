package lambda_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/lambda"
)

// TestDeadlineCancelsAndRollsBack: an apply blocked on a migration's lock
// ends before the function's deadline (the budget of budget.go): the error
// comes before the deadline, says nothing was changed, and nothing was.
func TestDeadlineCancelsAndRollsBack(t *testing.T) {
	db := pgtest.Fresh(t)
	aws := awstest.New(t)
	env := map[string]string{}
	for _, kv := range rdsEnv(t, aws) {
		k, v, _ := strings.Cut(kv, "=")
		if db, ok := strings.CutPrefix(k, "PG"); ok {
			k = "DB_" + map[string]string{"DATABASE": "NAME"}[db] // in-process: the handler's own variables, not libpq's
			if k == "DB_" {
				k += db
			}
		}
		env[k] = v
	}
	h := &lambda.Handler{Getenv: func(k string) string { return env[k] }, Out: io.Discard,
		AWS: func(context.Context) (awssdk.Config, error) { return aws.Config(), nil }}
	event := []byte(`{"action": "apply", "config": ` + exampleJSON(t) + `}`)
	if _, err := h.Invoke(context.Background(), event); err != nil {
		t.Fatal(err)
	}
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.orders (id int); RESET ROLE")
	db.Exec(t, "ALTER ROLE app CONNECTION LIMIT 3; REVOKE SELECT ON app.orders FROM reporting")
	before := db.Fingerprint(t)
	migration := db.ConnectAs(t, "migrator", "")
	if _, err := migration.Exec(context.Background(), "BEGIN; ALTER TABLE app.orders ADD COLUMN note text"); err != nil {
		t.Fatal(err)
	}
	defer migration.Exec(context.Background(), "ROLLBACK")
	deadline := time.Now().Add(3500 * time.Millisecond) // the 2 s reserve, then 1.5 s: less than apply's 5 s lock timeout
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := h.Invoke(ctx, event)
	// budget.go cuts every wait from the deadline: the lock wait ends
	// first, or the work is cancelled; either way in time, rolled back.
	if err == nil || !strings.Contains(err.Error(), "nothing was c") {
		t.Fatalf("apply past the deadline: %v", err)
	}
	if late := time.Since(deadline); late > 0 {
		t.Errorf("the error came %s after the deadline", late)
	}
	db.WaitIdle(t, "rolekeeper")
	if db.Fingerprint(t) != before {
		t.Fatal("a cancelled apply left changes behind")
	}
}
