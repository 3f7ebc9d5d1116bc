package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// terminal is a pseudo-terminal whose output the test reads.
type terminal struct {
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (term *terminal) Write(p []byte) (int, error) {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.Write(p)
}

func (term *terminal) String() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

// endOfOutput is written last, so that text reads everything before it:
// Linux may drop what is still buffered in a pseudo-terminal when its
// terminal side closes (the reader then gets EIO).
const endOfOutput = "<end of test output>"

func openTerminal(t *testing.T) *terminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120})
	term := &terminal{tty: tty, done: make(chan struct{})}
	go func() {
		io.Copy(term, ptmx) // ends with EIO once the tty side is closed
		ptmx.Close()
		close(term.done)
	}()
	t.Cleanup(func() { tty.Close() })
	return term
}

// text closes the terminal and returns what was written to it (the
// terminal turns "\n" into "\r\n").
func (term *terminal) text() string {
	io.WriteString(term.tty, endOfOutput)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(term.String(), endOfOutput) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	term.tty.Close()
	<-term.done
	out, _, _ := strings.Cut(term.String(), endOfOutput)
	return strings.ReplaceAll(out, "\r\n", "\n")
}

// rkOn runs the CLI in-process with stdout or stderr (or both) on a
// pseudo-terminal; nil means a buffer.
func rkOn(t *testing.T, stdout, stderr *terminal, args ...string) (code int, out, errOut string) {
	t.Helper()
	var outBuf, errBuf bytes.Buffer
	var o, e io.Writer = &outBuf, &errBuf
	if stdout != nil {
		o = stdout.tty
	}
	if stderr != nil {
		e = stderr.tty
	}
	code = run(context.Background(), args, o, e)
	out, errOut = outBuf.String(), errBuf.String()
	if stdout != nil {
		out = stdout.text()
	}
	if stderr != nil {
		errOut = stderr.text()
	}
	return code, out, errOut
}

func TestColorOnlyOnATerminalAndNotWithNoColor(t *testing.T) {
	db := pgtest.Fresh(t)
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	_, out, _ := rkOn(t, openTerminal(t), nil, "plan", "-f", example, "--dsn", db.DSN)
	if !strings.Contains(out, "\x1b[32m+ create role \"app\"") || !strings.Contains(out, "\x1b[1mPlan: ") {
		t.Fatalf("expected green additions and a bold summary on a terminal:\n%q", out)
	}
	cases := []struct {
		name string
		env  string
		args []string
		tty  bool
	}{
		{"NO_COLOR", "1", nil, true},
		{"--no-color", "", []string{"--no-color"}, true},
		{"not a terminal", "", nil, false},
	}
	for _, c := range cases {
		t.Setenv("NO_COLOR", c.env)
		var term *terminal
		if c.tty {
			term = openTerminal(t)
		}
		code, out, errOut := rkOn(t, term, nil, append([]string{"plan", "-f", example, "--dsn", db.DSN}, c.args...)...)
		if code != 2 || strings.Contains(out, "\x1b[") || !strings.Contains(out, "+ create role \"app\"") {
			t.Errorf("%s: exit %d, expected plain text:\n%q\n%s", c.name, code, out, errOut)
		}
	}
}

func TestMarkdownFormat(t *testing.T) {
	db := pgtest.Fresh(t)
	code, out, errOut := rk(t, "plan", "-f", example, "--dsn", db.DSN, "--format", "markdown")
	if code != 2 || !strings.Contains(out, "### rolekeeper: plan for database `app`") || !strings.Contains(out, "<details><summary>SQL (") ||
		!strings.Contains(out, "- `+` create role \"app\"") || strings.Contains(out, "\x1b[") {
		t.Fatalf("plan --format markdown: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := rk(t, "check", "-f", example, "--dsn", db.DSN, "--format", "markdown"); code != 1 || !strings.Contains(errOut, "--format must be text or json") {
		t.Fatalf("check has no markdown: exit %d %s", code, errOut)
	}
}
