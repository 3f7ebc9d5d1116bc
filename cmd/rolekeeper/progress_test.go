package main

import (
	"strings"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// withProgressDelay makes every run count as long enough to show progress.
func withProgressDelay(t *testing.T, d time.Duration) {
	old := progressDelay
	progressDelay = d
	t.Cleanup(func() { progressDelay = old })
}

func TestProgressOnATerminalOnly(t *testing.T) {
	db := pgtest.Fresh(t)
	withProgressDelay(t, 0)
	code, out, errOut := rkOn(t, nil, openTerminal(t), "apply", "-f", example, "--dsn", db.DSN)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, errOut)
	}
	for _, step := range []string{"\r\x1b[Kconnecting (", "\r\x1b[Kwaiting for the rolekeeper lock (", "inspecting the catalog (",
		"planning: inspected ", "applying batch 1 of 1 (", "committing ("} {
		if !strings.Contains(errOut, step) {
			t.Errorf("stderr on a terminal lacks %q:\n%q", step, errOut)
		}
	}
	if !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("the progress line is not cleared at the end:\n%q", errOut)
	}
	if strings.Contains(out, "\r") || !strings.Contains(out, "Applied in one transaction") {
		t.Errorf("progress leaked into stdout:\n%q", out)
	}
	_, _, errOut = rkOn(t, nil, openTerminal(t), "check", "-f", example, "--dsn", db.DSN)
	if !strings.Contains(errOut, `checking user 1 of 3: logging in as "app" (`) || !strings.Contains(errOut, `checking schema 1 of 1: "app"`) {
		t.Errorf("check's progress:\n%q", errOut)
	}
	// Not a terminal, --quiet: nothing.
	if _, _, errOut := rkOn(t, nil, nil, "plan", "-f", example, "--dsn", db.DSN); errOut != "" {
		t.Errorf("stderr not a terminal got %q", errOut)
	}
	if _, _, errOut := rkOn(t, nil, openTerminal(t), "plan", "--quiet", "-f", example, "--dsn", db.DSN); errOut != "" {
		t.Errorf("--quiet on a terminal got %q", errOut)
	}
}

func TestNoProgressForRunsUnderASecond(t *testing.T) {
	db := pgtest.Fresh(t)
	withProgressDelay(t, time.Second)
	start := time.Now()
	_, _, errOut := rkOn(t, nil, openTerminal(t), "plan", "-f", example, "--dsn", db.DSN)
	if time.Since(start) < 900*time.Millisecond && errOut != "" {
		t.Errorf("a short run drew progress: %q", errOut)
	}
}
