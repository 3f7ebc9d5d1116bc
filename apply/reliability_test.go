package apply_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// TestApplyWaitsAtMostLockTimeout: a migration holds the catalog row of a
// table rolekeeper must grant on; apply waits lock_timeout, then fails
// cleanly, naming what it was doing, with nothing half-applied.
func TestApplyWaitsAtMostLockTimeout(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	doApply(t, db, s)
	db.Exec(t, "SET ROLE migrator; CREATE TABLE app.orders (id int); RESET ROLE")
	db.Exec(t, "REVOKE SELECT ON app.orders FROM reporting")
	before := catalogFingerprint(t, db)

	ctx := context.Background()
	migration := db.ConnectAs(t, "migrator", "")
	if _, err := migration.Exec(ctx, "BEGIN; ALTER TABLE app.orders ADD COLUMN note text"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := apply.Apply(ctx, adminConn(t, db), desired(s), apply.Options{LockTimeout: 500 * time.Millisecond, Secrets: testSecrets(t)})
	waited := time.Since(start)
	migration.Exec(ctx, "ROLLBACK")
	if err == nil {
		t.Fatal("apply succeeded while a migration held the table")
	}
	for _, want := range []string{`grant SELECT on all 1 table in "app" to "reporting"`, "lock timeout", "waited 500ms", "rolled back, nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if waited > 5*time.Second {
		t.Errorf("apply waited %s with a 500ms lock timeout", waited)
	}
	if after := catalogFingerprint(t, db); after != before {
		t.Fatal("a timed-out apply changed the catalog")
	}
	doApply(t, db, s)
	expectNoChanges(t, db, s)
}

// cutProxy forwards one connection to the server and closes both sides
// once the client has sent n statements (Query or Parse messages).
type cutProxy struct {
	ln   net.Listener
	n    int32
	sent atomic.Int32
}

func newCutProxy(t *testing.T, target string, n int) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, n: int32(n)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(c, s); c.Close() }()
			go p.forward(c, s)
		}
	}()
	return p
}

func (p *cutProxy) forward(c, s net.Conn) {
	defer c.Close()
	defer s.Close()
	head := make([]byte, 5)
	// Startup message: length-prefixed, no type byte.
	if _, err := io.ReadFull(c, head[:4]); err != nil {
		return
	}
	body := make([]byte, int(uint32(head[0])<<24|uint32(head[1])<<16|uint32(head[2])<<8|uint32(head[3]))-4)
	io.ReadFull(c, body)
	s.Write(head[:4])
	s.Write(body)
	for {
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		body := make([]byte, int(uint32(head[1])<<24|uint32(head[2])<<16|uint32(head[3])<<8|uint32(head[4]))-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if head[0] == 'Q' || head[0] == 'P' {
			if p.sent.Add(1) > p.n {
				return // cut: the server sees the connection drop mid-transaction
			}
		}
		s.Write(head)
		s.Write(body)
	}
}

// TestConnectionCutMidApplyChangesNothing cuts the connection after N
// statements for many N: each time the database is exactly as before,
// and a rerun converges.
func TestConnectionCutMidApplyChangesNothing(t *testing.T) {
	s := exampleSpec(t)
	// The example sends 32: BEGIN, 10 inspection queries, 20 changes, COMMIT.
	for _, n := range []int{1, 2, 5, 8, 10, 11, 13, 16, 20, 24, 27, 30} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			db := pgtest.Fresh(t)
			before := db.Fingerprint(t)
			px := newCutProxy(t, fmt.Sprintf("127.0.0.1:%d", pgtest.Server.Port), n)
			dsn := strings.Replace(db.DSN, fmt.Sprintf(":%d/", pgtest.Server.Port), fmt.Sprintf(":%d/", px.ln.Addr().(*net.TCPAddr).Port), 1)
			conn, err := connect.Connect(context.Background(), connect.Options{DSN: dsn})
			if err != nil {
				t.Fatal(err)
			}
			secrets := testSecrets(t)
			_, err = apply.Apply(context.Background(), conn, desired(s), apply.Options{Secrets: secrets})
			conn.Close(context.Background())
			if err == nil {
				t.Fatalf("apply through a connection cut after %d statements succeeded", n)
			}
			db.WaitIdle(t, "rolekeeper")
			if after := db.Fingerprint(t); after != before {
				t.Fatalf("the cut after %d statements left changes behind (%v)", n, err)
			}
			doApplyWith(t, db, s, secrets)
			expectNoChanges(t, db, s)
		})
	}
}

// TestConcurrentAppliesSerialize runs ten applies at once in one process
// (separate connections); the process-level version is in cmd/rolekeeper.
func TestConcurrentAppliesSerialize(t *testing.T) {
	db := pgtest.Fresh(t)
	s := exampleSpec(t)
	secrets := testSecrets(t)
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn, err := connect.Connect(context.Background(), connect.Options{DSN: db.DSN})
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close(context.Background())
			_, errs[i] = apply.Apply(context.Background(), conn, desired(s), apply.Options{Secrets: secrets})
		}(i)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	expectNoChanges(t, db, s)
}
