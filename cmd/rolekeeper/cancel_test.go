package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/apply"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// stallProxy forwards connections to the server until the client sends a
// message containing stallOn; that message and everything after it are
// held, so the client waits in that phase. stalled is closed then.
type stallProxy struct {
	ln      net.Listener
	stallOn []byte
	stalled chan struct{}
	once    sync.Once
}

func newStallProxy(t *testing.T, stallOn string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, stallOn: []byte(stallOn), stalled: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", pgtest.Server.Port))
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(c, s); c.Close() }()
			go func() {
				defer s.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 && bytes.Contains(buf[:n], p.stallOn) {
						p.once.Do(func() { close(p.stalled) })
						io.Copy(io.Discard, c) // hold: never forward
						return
					}
					if n > 0 {
						s.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return p
}

func (p *stallProxy) dsn(db *pgtest.DB) string {
	return strings.Replace(db.DSN, fmt.Sprintf(":%d/", pgtest.Server.Port), fmt.Sprintf(":%d/", p.ln.Addr().(*net.TCPAddr).Port), 1)
}

// waitFor polls cond until it holds (true) or 15 s pass (false).
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}

// TestSignalsCancelEveryPhase: SIGINT or SIGTERM while connecting,
// inspecting, waiting for another run and applying ends the process
// within a second, non-zero, saying it was cancelled, with nothing changed
// and no session left on the server.
func TestSignalsCancelEveryPhase(t *testing.T) {
	db := driftedExample(t)
	ctx := context.Background()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := fmt.Sprintf("postgres://postgres@%s/app?sslmode=disable&connect_timeout=30", closed.Addr())
	closed.Close()
	active := func(wait string) func() bool {
		return func() bool {
			return db.Bool(t, "select exists (select 1 from pg_stat_activity where application_name = 'rolekeeper' and wait_event_type = $1)", wait)
		}
	}

	var (
		phasesProxy     *stallProxy
		phasesMigration *pgx.Conn
	)
	phases := []struct {
		name   string
		sig    syscall.Signal
		args   func() []string
		arrive func() bool
		after  func()
	}{
		{name: "connecting", sig: syscall.SIGINT,
			args: func() []string {
				return []string{"plan", "-f", example, "--dsn", unreachable, "--connect-retry", "60s"}
			},
			arrive: func() bool { time.Sleep(700 * time.Millisecond); return true }},
		{name: "inspecting", sig: syscall.SIGTERM,
			args: func() []string {
				px := newStallProxy(t, "from pg_roles")
				phasesProxy = px
				return []string{"plan", "-f", example, "--dsn", px.dsn(db)}
			},
			arrive: func() bool {
				select {
				case <-phasesProxy.stalled:
					return true
				case <-time.After(15 * time.Second):
					return false
				}
			}},
		{name: "waiting for another rolekeeper run", sig: syscall.SIGINT,
			args: func() []string {
				db.Exec(t, "SELECT pg_advisory_lock($1)", apply.LockKey)
				return []string{"apply", "-f", example, "--dsn", db.DSN}
			},
			arrive: func() bool { return waitFor(active("Lock")) },
			after:  func() { db.Exec(t, "SELECT pg_advisory_unlock($1)", apply.LockKey) }},
		{name: "applying, blocked by a migration", sig: syscall.SIGTERM,
			args: func() []string {
				migration := db.ConnectAs(t, "migrator", "")
				if _, err := migration.Exec(ctx, "BEGIN; ALTER TABLE app.orders ADD COLUMN note text"); err != nil {
					t.Fatal(err)
				}
				phasesMigration = migration
				return []string{"apply", "-f", example, "--dsn", db.DSN, "--lock-timeout", "60s"}
			},
			arrive: func() bool { return waitFor(active("Lock")) },
			after:  func() { phasesMigration.Exec(ctx, "ROLLBACK") }},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			before := db.Fingerprint(t)
			cmd := exec.Command(binary, ph.args()...)
			var stderr bytes.Buffer
			cmd.Stderr, cmd.Stdout = &stderr, io.Discard
			cmd.Env = append(os.Environ(), "PGPASSWORD="+pgtest.Server.MasterPassword)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if !ph.arrive() {
				cmd.Process.Kill()
				t.Fatalf("the process never reached the phase %q: %s", ph.name, stderr.String())
			}
			sent := time.Now()
			cmd.Process.Signal(ph.sig)
			err := cmd.Wait()
			took := time.Since(sent)
			if ph.after != nil {
				ph.after()
			}
			code := cmd.ProcessState.ExitCode()
			if err == nil || code == 0 || !strings.Contains(stderr.String(), "cancelled") {
				t.Fatalf("%v while %s: exit %d, stderr: %s", ph.sig, ph.name, code, stderr.String())
			}
			if took > time.Second {
				t.Errorf("%v while %s: the process took %s to end", ph.sig, ph.name, took)
			}
			db.WaitIdle(t, "rolekeeper")
			if db.Fingerprint(t) != before {
				t.Fatalf("cancelled while %s, changes were left behind", ph.name)
			}
			t.Logf("%v while %s: exit %d after %s: %s", ph.sig, ph.name, code, took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
		})
	}
}
