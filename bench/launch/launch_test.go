package launch

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ballast is memory the test process holds and touches: 64 MB.
var ballast []byte

func hold() {
	ballast = make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1
	}
}

// TestPeakRSSIsTheChildsOwn: a process started by a large process reads
// as large as its parent (the premise, checked here), and the same process
// started through the launcher reads as small as it is.
func TestPeakRSSIsTheChildsOwn(t *testing.T) {
	l, err := Start(t.TempDir(), "../launcher")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hold()
	direct := exec.Command("/bin/sh", "-c", "true")
	if err := direct.Run(); err != nil {
		t.Fatal(err)
	}
	if kb := direct.ProcessState.SysUsage().(*syscall.Rusage).Maxrss; kb < 64<<10 {
		t.Fatalf("the premise does not hold: started by a process of 64 MB, sh read %d KB", kb)
	}
	res, err := l.Run(exec.Command("/bin/sh", "-c", "true"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxRSSKB <= 0 || res.MaxRSSKB > 16<<10 {
		t.Errorf("through the launcher, sh read %d KB, want its own few", res.MaxRSSKB)
	}
}

// TestExitOutputAndTimeout: the exit code and the output come back apart,
// the environment given is the process's, and a process still running at
// the timeout is stopped and said so.
func TestExitOutputAndTimeout(t *testing.T) {
	l, err := Start(t.TempDir(), "../launcher")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command("/bin/sh", "-c", `echo "out $X"; echo err >&2; exit 3`)
	cmd.Env = []string{"X=given"}
	res, err := l.Run(cmd, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Stdout != "out given\n" || res.Stderr != "err\n" || res.TimedOut || res.Wall <= 0 {
		t.Errorf("got %+v", res)
	}
	start := time.Now()
	res, err = l.Run(exec.Command("/bin/sleep", "10"), 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || time.Since(start) > 5*time.Second {
		t.Errorf("sleep 10 with a 200 ms timeout: %+v after %v", res, time.Since(start))
	}
	if _, err := l.Run(exec.Command("/nonexistent/program"), 0); err == nil || !strings.Contains(err.Error(), "nonexistent") {
		t.Errorf("a program that does not exist: %v", err)
	}
}
