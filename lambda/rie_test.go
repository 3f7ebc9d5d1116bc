package lambda_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

var bootstrap, rie string

// TestMain builds the function as Lambda runs it (bootstrap, lambda.norpc)
// and finds the AWS Lambda Runtime Interface Emulator (scripts/install-rie.sh).
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rolekeeper-lambda-test-")
	if err != nil {
		panic(err)
	}
	bootstrap = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, "../cmd/rolekeeper")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build bootstrap: %v\n%s", err, out)
		os.Exit(1)
	}
	rie = findRIE()
	if rie == "" {
		fmt.Fprintln(os.Stderr, "the AWS Lambda Runtime Interface Emulator is not installed: run scripts/install-rie.sh (or set ROLEKEEPER_RIE)")
		os.Exit(1)
	}
	pgtest.Main(m)
}

func findRIE() string {
	if p := os.Getenv("ROLEKEEPER_RIE"); p != "" {
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	for _, p := range []string{filepath.Join(os.Getenv("GOPATH"), "bin", "aws-lambda-rie"), filepath.Join(home, "go", "bin", "aws-lambda-rie")} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// function is bootstrap running under the emulator.
type function struct {
	url  string
	cmd  *exec.Cmd
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startFunction runs bootstrap under the emulator with env, and waits
// until the emulator accepts invocations.
func startFunction(t testing.TB, env []string) *function {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", freePort(t)), bootstrap)
	cmd.Env = append(cleanEnv(), env...)
	f := &function{url: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port), cmd: cmd, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = f.logs, f.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not start:\n%s", f.logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// cleanEnv is the test's environment without PG* and AWS* variables.
func cleanEnv() []string {
	var out []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "PG") && !strings.HasPrefix(e, "AWS_") && !strings.HasPrefix(e, "ROLEKEEPER_") {
			out = append(out, e)
		}
	}
	return out
}

// invoke posts an event and returns the decoded response and, for a
// function error, its message.
func (f *function) invoke(t testing.TB, event string) (map[string]any, string) {
	t.Helper()
	resp, err := http.Post(f.url, "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, f.logs.String())
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("response is not a JSON object: %s\nlogs:\n%s", body, f.logs.String())
	}
	if msg, ok := out["errorMessage"].(string); ok {
		return out, msg
	}
	return out, ""
}

// rdsEnv points the function at the test's sandbox database, with the
// admin password served by an in-test Secrets Manager endpoint.
func rdsEnv(t testing.TB, aws *awstest.Server) []string {
	aws.PutSecret("rds!db-0123", fmt.Sprintf(`{"username":"postgres","password":%q}`, pgtest.Server.MasterPassword))
	return append(aws.Env(),
		"PGHOST=127.0.0.1", "PGPORT="+strconv.Itoa(pgtest.Server.Port), "PGUSER=postgres", "PGDATABASE=app", "PGSSLMODE=disable",
		"ROLEKEEPER_ADMIN_SECRET=rds!db-0123", "ROLEKEEPER_CONNECT_RETRY=5s")
}
