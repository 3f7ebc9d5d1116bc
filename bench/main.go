// Command bench measures rolekeeper against the floor: for each scenario it
// starts a sandbox, runs the built binary through a counting proxy (wall
// time of the whole process, round trips, statements read and written, peak
// RSS), and runs a hand-written SQL script that reaches the same end state
// with `psql -1 -f` on the same server, then prints a table with our
// figures as ratios to the floor.
//
//	go run ./bench -bin bin/rolekeeper -size full
//
// -size quick runs reduced scenarios (CI); -size full the ones in the README.
// It exits 1 when a no-op apply writes anything: a correctness regression,
// not a timing one.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/sandbox"
)

type measurement struct {
	scenario, step string
	wall           time.Duration
	c              counts
	rssKB          int64
	floor          *measurement
}

type harness struct {
	bin, psql string
	sb        *sandbox.Sandbox
	px        *proxy
	work      string
	rows      []measurement
	failures  []string
	repeat    int
}

func main() {
	bin := flag.String("bin", "bin/rolekeeper", "rolekeeper binary to measure")
	size := flag.String("size", "quick", "quick (CI) or full")
	pgBin := flag.String("pg-bin", "", "PostgreSQL server binaries (default: as the sandbox finds them)")
	psql := flag.String("psql", "", "psql for the floor (default: on PATH or next to the server binaries, else /usr/lib/postgresql/*/bin)")
	only := flag.String("scenarios", "", "comma-separated scenario names to run (default: all)")
	flag.Parse()
	if err := run(*bin, *size, *pgBin, *psql, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func scenarios(size string) ([]*scenario, error) {
	s, err := standard()
	if err != nil {
		return nil, err
	}
	switch size {
	case "full":
		return []*scenario{s,
			manyRoles("L/4", 500, 10, 50, 0.01),
			manyRoles("L", 1000, 20, 50, 0.01),
			manyRoles("XL", 50, 200, 100, 0),
		}, nil
	case "quick":
		return []*scenario{s,
			manyRoles("L/4", 50, 4, 10, 0.01),
			manyRoles("L", 100, 8, 10, 0.01),
			manyRoles("XL", 10, 40, 25, 0),
		}, nil
	}
	return nil, fmt.Errorf("-size must be quick or full, not %q", size)
}

func run(bin, size, pgBin, psql, only string) error {
	list, err := scenarios(size)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("build the binary first (make build): %w", err)
	}
	bin, _ = filepath.Abs(bin)
	if psql == "" {
		psql = findPsql(pgBin)
	}
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Options{BinDir: pgBin, Settings: map[string]string{
		"max_locks_per_transaction": "1024", // XL's first apply touches 20,000 tables in one transaction
	}})
	if err != nil {
		return err
	}
	defer sb.Stop()
	px, err := newProxy(fmt.Sprintf("127.0.0.1:%d", sb.Port))
	if err != nil {
		return err
	}
	defer px.close()
	work, err := os.MkdirTemp("", "rolekeeper-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	h := &harness{bin: bin, psql: psql, sb: sb, px: px, work: work, repeat: 3}
	fmt.Printf("rolekeeper bench (%s) on PostgreSQL %d, %s, %d cores\n", size, sb.Major, time.Now().UTC().Format("2006-01-02"), numCPU())
	for _, sc := range list {
		if only != "" && !contains(strings.Split(only, ","), sc.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "scenario %s: %d roles, %d schemas x %d tables\n", sc.name, sc.roles, sc.schema, sc.tables)
		if err := h.scenario(ctx, sc); err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
	}
	h.print()
	if len(h.failures) > 0 {
		return fmt.Errorf("regressions:\n  %s", strings.Join(h.failures, "\n  "))
	}
	return nil
}

func (h *harness) scenario(ctx context.Context, sc *scenario) error {
	// Scenario names such as "L/4" are not file names.
	specFile := filepath.Join(h.work, strings.ReplaceAll(sc.name, "/", "-")+".yaml")
	if err := os.WriteFile(specFile, []byte(sc.spec), 0o600); err != nil {
		return err
	}
	// The floor, from the same starting point.
	if err := h.reset(ctx, sc.setup); err != nil {
		return err
	}
	floor, err := h.runFloor(sc.floor)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	var driftFloor measurement
	if sc.driftSQL != "" {
		if err := h.super(ctx, sc.driftSQL); err != nil {
			return err
		}
		if driftFloor, err = h.runFloor(sc.driftFloor); err != nil {
			return fmt.Errorf("drift floor: %w", err)
		}
	}
	// rolekeeper.
	if err := h.reset(ctx, sc.setup); err != nil {
		return err
	}
	secrets := filepath.Join(h.work, "secrets-"+strconv.Itoa(len(h.rows)))
	args := []string{"-f", specFile, "--secrets-dir", secrets}
	first, err := h.runOnce(append([]string{"apply"}, args...))
	if err != nil {
		return err
	}
	h.add(sc.name, "first apply", first, &floor)
	noop, err := h.runMedian(append([]string{"apply"}, args...))
	if err != nil {
		return err
	}
	h.add(sc.name, "no-op apply", noop, nil)
	if noop.c.Writes > 0 {
		h.failures = append(h.failures, fmt.Sprintf("%s: the no-op apply sent %d writes", sc.name, noop.c.Writes))
	}
	if sc.name == "S" && noop.c.RoundTrips > 5 {
		h.failures = append(h.failures, fmt.Sprintf("S: the no-op apply took %d round trips (target: at most 5)", noop.c.RoundTrips))
	}
	pl, err := h.runMedian(append([]string{"plan"}, args...))
	if err != nil {
		return err
	}
	h.add(sc.name, "plan (no changes)", pl, nil)
	if sc.driftSQL != "" {
		if err := h.super(ctx, sc.driftSQL); err != nil {
			return err
		}
		repair, err := h.runOnce(append([]string{"apply"}, args...))
		if err != nil {
			return err
		}
		h.add(sc.name, fmt.Sprintf("drift repair (%g%%)", sc.drift*100), repair, &driftFloor)
		after, err := h.runOnce(append([]string{"plan"}, args...))
		if err != nil {
			return err
		}
		if after.c.Writes > 0 {
			h.failures = append(h.failures, sc.name+": plan after the repair wrote something")
		}
	}
	return nil
}

func (h *harness) add(sc, step string, m measurement, floor *measurement) {
	m.scenario, m.step, m.floor = sc, step, floor
	h.rows = append(h.rows, m)
}

// reset drops everything earlier runs made and runs the setup as the superuser.
func (h *harness) reset(ctx context.Context, setup string) error {
	conn, err := pgx.Connect(ctx, h.sb.SuperDSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS app WITH (FORCE)"); err != nil {
		return err
	}
	rows, _ := conn.Query(ctx, "select rolname from pg_roles where rolname !~ '^(pg_|rds)' and rolname not in ('postgres')")
	roles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		if _, err := conn.Exec(ctx, "DROP ROLE "+strings.Join(quoteAll(roles), ", ")); err != nil {
			return err
		}
	}
	if err := h.sb.CreateDatabase(ctx, "app"); err != nil {
		return err
	}
	return h.super(ctx, setup)
}

func (h *harness) super(ctx context.Context, sql string) error {
	if sql == "" {
		return nil
	}
	conn, err := pgx.Connect(ctx, h.sb.SuperDSN("app"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// runOnce runs the rolekeeper binary through the proxy and measures it.
func (h *harness) runOnce(args []string) (measurement, error) {
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(os.Environ(), h.env()...)
	return h.measure(cmd)
}

// runMedian runs a step that changes nothing several times and keeps the median wall time.
func (h *harness) runMedian(args []string) (measurement, error) {
	var ms []measurement
	for i := 0; i < h.repeat; i++ {
		m, err := h.runOnce(args)
		if err != nil {
			return m, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2], nil
}

func (h *harness) runFloor(sql string) (measurement, error) {
	f := filepath.Join(h.work, "floor.sql")
	if err := os.WriteFile(f, []byte(sql), 0o600); err != nil {
		return measurement{}, err
	}
	cmd := exec.Command(h.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", f)
	cmd.Env = append(os.Environ(), h.env()...)
	return h.measure(cmd)
}

func (h *harness) env() []string {
	return []string{"PGHOST=127.0.0.1", "PGPORT=" + strconv.Itoa(h.px.port()), "PGUSER=" + sandbox.MasterUser,
		"PGPASSWORD=" + h.sb.MasterPassword, "PGDATABASE=app", "PGSSLMODE=disable"}
}

func (h *harness) measure(cmd *exec.Cmd) (measurement, error) {
	h.px.take()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); err != nil && !(code == 2 && cmd.Args[1] == "plan") {
		return measurement{}, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args[:2], " "), err, tail(out.String()))
	}
	time.Sleep(20 * time.Millisecond) // let the proxy count the last messages
	m := measurement{wall: wall, c: h.px.take()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssKB = ru.Maxrss
	}
	return m, nil
}

func (h *harness) print() {
	fmt.Println()
	fmt.Printf("| scenario | step | wall | round trips | reads | writes | peak RSS | floor wall | floor round trips | floor writes | wall vs floor |\n")
	fmt.Printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, m := range h.rows {
		fl := "| | | |"
		if m.floor != nil {
			fl = fmt.Sprintf("| %s | %d | %d | %.2fx |", ms(m.floor.wall), m.floor.c.RoundTrips, m.floor.c.Writes, float64(m.wall)/float64(m.floor.wall))
		} else {
			fl += " |"
		}
		fmt.Printf("| %s | %s | %s | %d | %d | %d | %.0f MB %s\n", m.scenario, m.step, ms(m.wall), m.c.RoundTrips, m.c.Reads, m.c.Writes, float64(m.rssKB)/1024, fl)
	}
	fmt.Println("\nRound trips count client Query and Sync messages after the connection is up; reads and writes count statements; the floor is `psql -1 -f` of hand-written SQL (one statement per schema and privilege set, all grantees in each) on the same server from the same state.")
}

func ms(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = pgx.Identifier{n}.Sanitize()
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func findPsql(pgBin string) string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	if pgBin != "" {
		if _, err := os.Stat(filepath.Join(pgBin, "psql")); err == nil {
			return filepath.Join(pgBin, "psql")
		}
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql"); len(m) > 0 {
		return m[len(m)-1]
	}
	return "psql"
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "processor\t:")
}
