// Package launch starts the processes the bench measures from a small
// launcher process (bench/launcher), one at a time, and reports each one's
// wall time, exit and peak RSS. Requests and results are JSON lines on the
// launcher's standard input and output.
//
// A process that Go starts reports as its peak RSS at least its parent's:
// Linux records the parent's high-water mark when the child, which shares
// the parent's memory until then, calls exec. The bench holds specs and
// catalogs of tens of megabytes, so the processes it started itself read
// as large as the bench (`rolekeeper version` as 18 MB rather than 10); the
// launcher holds about 3 MB, which is then the smallest peak it can report.
package launch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Request is one process to run.
type Request struct {
	Path    string
	Args    []string // with Args[0]
	Env     []string // nil: the launcher's
	Timeout time.Duration
}

// Result is what the launcher saw of it.
type Result struct {
	Wall           time.Duration
	MaxRSSKB       int64
	ExitCode       int
	TimedOut       bool // stopped at the request's Timeout
	Stdout, Stderr string
	Err            string // the process could not be started or waited for
}

// Serve runs the requests read from in, writing each result to out: the
// launcher's main loop.
func Serve(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 16<<20)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var req Request
		res := Result{}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			res.Err = err.Error()
		} else {
			res = run(req)
		}
		if err := enc.Encode(res); err != nil {
			return err
		}
	}
	return sc.Err()
}

func run(req Request) Result {
	if len(req.Args) == 0 {
		return Result{Err: "a request without Args"}
	}
	ctx := context.Background()
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, req.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, req.Path, req.Args[1:]...)
	cmd.Env = req.Env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := Result{Wall: time.Since(start), Stdout: stdout.String(), Stderr: stderr.String(), TimedOut: ctx.Err() != nil}
	if cmd.ProcessState == nil {
		res.Err = err.Error()
		return res
	}
	res.ExitCode = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.MaxRSSKB = ru.Maxrss
	}
	return res
}

// Launcher is the bench's side of a running launcher.
type Launcher struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *json.Decoder
}

// Start builds the launcher (the Go package pkg, "./bench/launcher" from
// the repository's root) into dir and starts it.
func Start(dir, pkg string) (*Launcher, error) {
	bin := filepath.Join(dir, "launcher")
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the launcher %s (run the bench from the repository's root): %v\n%s", pkg, err, out)
	}
	cmd := exec.Command(bin)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the launcher: %w", err)
	}
	return &Launcher{cmd: cmd, in: in, out: json.NewDecoder(out)}, nil
}

// Run runs cmd (its path, arguments and environment) in the launcher,
// stopped after timeout unless that is 0.
func (l *Launcher) Run(cmd *exec.Cmd, timeout time.Duration) (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	req, err := json.Marshal(Request{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Timeout: timeout})
	if err != nil {
		return Result{}, err
	}
	if _, err := l.in.Write(append(req, '\n')); err != nil {
		return Result{}, fmt.Errorf("launcher: %w", err)
	}
	var res Result
	if err := l.out.Decode(&res); err != nil {
		return Result{}, fmt.Errorf("launcher: %w", err)
	}
	if res.Err != "" {
		return res, errors.New(res.Err)
	}
	return res, nil
}

// Close ends the launcher.
func (l *Launcher) Close() {
	l.in.Close()
	l.cmd.Wait()
}
