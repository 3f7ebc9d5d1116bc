package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/rolekeeper/rolekeeper/progress"
)

// progressDelay is how long a run goes before its progress line appears:
// short runs show nothing. progressTick is how often the elapsed time is
// redrawn.
var (
	progressDelay = time.Second
	progressTick  = 100 * time.Millisecond
)

// progressCommands are the commands whose work the engine reports.
var progressCommands = []string{"plan", "apply", "check", "rotate", "inspect"}

// progressLine shows the engine's current step on a terminal as one line
// that updates in place, with the elapsed time.
type progressLine struct {
	w     io.Writer
	width int
	start time.Time
	mu    sync.Mutex
	step  string
	shown bool
	stop  chan struct{}
	done  chan struct{}
}

// startProgress returns a context that carries a progress listener
// drawing on stderr, and the function that ends it (clearing the line).
// Nothing is drawn when stderr is not a terminal or with --quiet.
func startProgress(ctx context.Context, command string, args []string, stderr io.Writer) (context.Context, func()) {
	if !slices.Contains(progressCommands, command) || quietFlag(args) || !isTerminal(stderr) {
		return ctx, func() {}
	}
	pl := &progressLine{w: stderr, width: 80, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	if w, _, err := term.GetSize(int(stderr.(*os.File).Fd())); err == nil && w > 10 {
		pl.width = w
	}
	go pl.tick()
	return progress.With(ctx, pl.set), pl.end
}

// quietFlag reports whether --quiet is among the arguments (the command's
// flag set defines it; progress starts before the command parses it).
func quietFlag(args []string) bool {
	for _, a := range args {
		switch a {
		case "-quiet", "--quiet", "-quiet=true", "--quiet=true":
			return true
		case "--":
			return false
		}
	}
	return false
}

func (pl *progressLine) set(step string) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pl.step = step
	pl.draw()
}

// draw writes the line once the run has gone on longer than progressDelay.
// The caller holds mu.
func (pl *progressLine) draw() {
	elapsed := time.Since(pl.start)
	if pl.step == "" || elapsed < progressDelay {
		return
	}
	line := fmt.Sprintf("%s (%.1fs)", pl.step, elapsed.Seconds())
	if r := []rune(line); len(r) > pl.width-1 {
		line = string(r[:pl.width-2]) + "…"
	}
	fmt.Fprintf(pl.w, "\r\x1b[K%s", line)
	pl.shown = true
}

func (pl *progressLine) tick() {
	defer close(pl.done)
	t := time.NewTicker(progressTick)
	defer t.Stop()
	for {
		select {
		case <-pl.stop:
			return
		case <-t.C:
			pl.mu.Lock()
			pl.draw()
			pl.mu.Unlock()
		}
	}
}

// end stops the updates and clears the line, so what follows on stderr
// starts on a clean line.
func (pl *progressLine) end() {
	close(pl.stop)
	<-pl.done
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.shown {
		fmt.Fprint(pl.w, "\r\x1b[K")
	}
}
