// Command bench measures rolekeeper against the floor and against ldap2pg:
// for each scenario it starts a sandbox, runs the built binary through a
// counting proxy (wall time of the whole process, round trips, statements
// read and written, peak RSS; each process is started by a small launcher,
// bench/launch, so that its peak RSS is its own), runs a hand-written SQL
// script that reaches the same end state with `psql -1 -f` on the same
// server (the floor), and, with -ldap2pg, runs ldap2pg on the same layout
// from the same starting state (its configuration: peer.go), then prints
// one table with the three side by side. For the L-type scenarios it also
// adopts the converged database as a user would: `rolekeeper inspect`,
// then validate, plan and apply of the spec it wrote.
//
//	go run ./bench -bin bin/rolekeeper -size full -ldap2pg path/to/ldap2pg
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
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/bench/launch"
	"github.com/rolekeeper/rolekeeper/sandbox"
)

type measurement struct {
	wall    time.Duration
	c       counts
	rssKB   int64
	stopped bool // killed at the time limit: wall is the limit
}

// row is one step of a scenario: rolekeeper, ldap2pg and the floor, each
// nil when it does not take that step.
type row struct {
	scenario, step  string
	rk, peer, floor *measurement
	note            string
}

type harness struct {
	bin, psql   string
	peer        string        // ldap2pg binary; "" to leave it out
	peerTimeout time.Duration // bound on one ldap2pg run
	sb          *sandbox.Sandbox
	px          *proxy
	launch      *launch.Launcher // starts the measured processes
	work        string
	rows        []row
	failures    []string
	repeat      int // runs of each no-op step (median)
	repeatS     int // the same at S, whose runs take tens of milliseconds
	rounds      int // runs of each step that writes, floor and rolekeeper in turn (median)
}

func main() {
	bin := flag.String("bin", "bin/rolekeeper", "rolekeeper binary to measure")
	size := flag.String("size", "quick", "quick (CI) or full")
	pgBin := flag.String("pg-bin", "", "PostgreSQL server binaries (default: as the sandbox finds them)")
	psql := flag.String("psql", "", "psql for the floor (default: on PATH or next to the server binaries, else /usr/lib/postgresql/*/bin)")
	only := flag.String("scenarios", "", "comma-separated scenario names to run (default: all)")
	peer := flag.String("ldap2pg", "", "ldap2pg binary to measure beside rolekeeper (default: none)")
	peerTimeout := flag.Duration("ldap2pg-timeout", 60*time.Second, "stop one ldap2pg run after this long (its first run on L takes minutes)")
	flag.Parse()
	if err := run(*bin, *size, *pgBin, *psql, *only, *peer, *peerTimeout); err != nil {
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

func run(bin, size, pgBin, psql, only, peer string, peerTimeout time.Duration) error {
	list, err := scenarios(size)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("build the binary first (make build): %w", err)
	}
	bin, _ = filepath.Abs(bin)
	if peer != "" {
		if _, err := os.Stat(peer); err != nil {
			return fmt.Errorf("-ldap2pg: %w", err)
		}
		peer, _ = filepath.Abs(peer)
	}
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
	launcher, err := launch.Start(work, "./bench/launcher")
	if err != nil {
		return err
	}
	defer launcher.Close()
	h := &harness{bin: bin, psql: psql, peer: peer, peerTimeout: peerTimeout, sb: sb, px: px, launch: launcher, work: work, repeat: 5, repeatS: 21, rounds: 3}
	if size == "quick" {
		h.repeat, h.repeatS, h.rounds = 3, 3, 1
	}
	fmt.Printf("rolekeeper bench (%s) on PostgreSQL %d, %s, %s, %d cores\n", size, sb.Major, time.Now().UTC().Format("2006-01-02 15:04 MST"), cpuModel(), numCPU())
	if err := h.startup(); err != nil {
		return err
	}
	for _, sc := range list {
		if only != "" && !contains(strings.Split(only, ","), sc.name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "scenario %s: %d roles, %d schemas x %d tables (%s)\n", sc.name, sc.roles, sc.schema, sc.tables, time.Now().Format("15:04:05"))
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
	base := filepath.Join(h.work, strings.ReplaceAll(sc.name, "/", "-"))
	specFile := base + ".yaml"
	if err := os.WriteFile(specFile, []byte(sc.spec), 0o600); err != nil {
		return err
	}
	first := &row{scenario: sc.name, step: "first apply"}
	noop := &row{scenario: sc.name, step: "no-op apply"}
	plan := &row{scenario: sc.name, step: "plan (no changes)"}
	repair := &row{scenario: sc.name, step: fmt.Sprintf("drift repair (%g%%)", sc.drift*100)}

	// The steps that change the catalog (first apply, drift repair) run
	// once a round, the floor's and rolekeeper's in turn, and keep the
	// median: a single run of seconds moves by a fifth on shared cores
	// (checkpoints, the other tenants). The no-op steps take their own
	// median in the last round.
	var floorFirst, floorRepair, rkFirst, rkRepair []measurement
	secrets := filepath.Join(h.work, "secrets-"+strconv.Itoa(len(h.rows)))
	args := []string{"-f", specFile, "--secrets-dir", secrets}
	for round := 1; round <= h.rounds; round++ {
		last := round == h.rounds
		// The floor, from the starting state, then its drift repair.
		if err := h.reset(ctx, sc.setup); err != nil {
			return err
		}
		floor, err := h.runFloor(sc.floor)
		if err != nil {
			return fmt.Errorf("floor: %w", err)
		}
		floorFirst = append(floorFirst, floor)
		if sc.driftSQL != "" {
			if err := h.super(ctx, sc.driftSQL); err != nil {
				return err
			}
			if err := h.settle(ctx); err != nil {
				return err
			}
			df, err := h.runFloor(sc.driftFloor)
			if err != nil {
				return fmt.Errorf("drift floor: %w", err)
			}
			floorRepair = append(floorRepair, df)
		}
		if last && h.peer != "" {
			if err := h.peerScenario(ctx, sc, base, first, noop, plan, repair); err != nil {
				return err
			}
		}

		// rolekeeper.
		if err := h.reset(ctx, sc.setup); err != nil {
			return err
		}
		fm, err := h.runOnce(append([]string{"apply"}, args...))
		if err != nil {
			return err
		}
		rkFirst = append(rkFirst, fm)
		if last {
			f, m := median(floorFirst), median(rkFirst)
			first.floor, first.rk = &f, &m
			if err := h.noOpSteps(sc, args, noop, plan); err != nil {
				return err
			}
			h.rows = append(h.rows, *first, *noop, *plan)
			if sc.roles > 3 {
				if err := h.inspectSteps(sc, base, secrets); err != nil {
					return err
				}
			}
		}
		if sc.driftSQL == "" {
			continue
		}
		if err := h.super(ctx, sc.driftSQL); err != nil {
			return err
		}
		if err := h.settle(ctx); err != nil {
			return err
		}
		rm, err := h.runOnce(append([]string{"apply"}, args...))
		if err != nil {
			return err
		}
		rkRepair = append(rkRepair, rm)
		if !last {
			continue
		}
		f, m := median(floorRepair), median(rkRepair)
		repair.floor, repair.rk = &f, &m
		h.rows = append(h.rows, *repair)
		after, err := h.runOnce(append([]string{"plan"}, args...))
		if err != nil {
			return err
		}
		if after.c.Writes > 0 {
			h.failures = append(h.failures, sc.name+": plan after the repair wrote something")
		}
		// The repair re-grants on single tables, so their ACLs list the
		// same entries in another order and no longer group with the
		// rest: the next no-op reads and parses more ACLs.
		am, err := h.runMedian(sc, append([]string{"apply"}, args...))
		if err != nil {
			return err
		}
		h.rows = append(h.rows, row{scenario: sc.name, step: "no-op apply (after repair)", rk: &am})
	}
	return nil
}

// runs is how many runs of each no-op step make its median in sc: a median
// of five moves by a tenth at S (runs of 20-50 ms on shared cores), so S
// takes more runs, of both tools.
func (h *harness) runs(sc *scenario) int {
	if sc.name == "S" {
		return h.repeatS
	}
	return h.repeat
}

// rounds says how the steps that write were measured.
func rounds(n int) string {
	if n == 1 {
		return "one run each"
	}
	return fmt.Sprintf("median of %d rounds", n)
}

// peerScenario measures ldap2pg on the floor's end state: its no-op and
// its check, then its repair of the same drift, and its first run from
// the starting state.
func (h *harness) peerScenario(ctx context.Context, sc *scenario, base string, first, noop, plan, repair *row) error {
	if err := h.peerSteps(ctx, sc, base, noop, plan); err != nil {
		return err
	}
	for _, step := range []struct {
		before func() error
		into   **measurement
	}{
		{func() error { return h.super(ctx, sc.driftSQL) }, &repair.peer},
		{func() error { return h.reset(ctx, sc.setup) }, &first.peer},
	} {
		if step.into == &repair.peer && sc.driftSQL == "" {
			continue
		}
		if err := step.before(); err != nil {
			return err
		}
		if err := h.settle(ctx); err != nil {
			return err
		}
		m, err := h.runPeer(base, "--real")
		if err != nil {
			return err
		}
		*step.into = &m
	}
	return nil
}

// noOpSteps measures rolekeeper's no-op apply and plan on the converged
// database (medians).
func (h *harness) noOpSteps(sc *scenario, args []string, noop, plan *row) error {
	nm, err := h.runMedian(sc, append([]string{"apply"}, args...))
	if err != nil {
		return err
	}
	noop.rk = &nm
	if nm.c.Writes > 0 {
		h.failures = append(h.failures, fmt.Sprintf("%s: the no-op apply sent %d writes", sc.name, nm.c.Writes))
	}
	if sc.name == "S" && nm.c.RoundTrips > 3 {
		h.failures = append(h.failures, fmt.Sprintf("S: the no-op apply took %d round trips (at most 3)", nm.c.RoundTrips))
	}
	pm, err := h.runMedian(sc, append([]string{"plan"}, args...))
	if err != nil {
		return err
	}
	plan.rk = &pm
	return nil
}

// inspectSteps adopts the converged database as a user would: the spec
// `rolekeeper inspect` writes, then validate, plan and apply of that spec.
func (h *harness) inspectSteps(sc *scenario, base, secrets string) error {
	cmd := exec.Command(h.bin, "inspect")
	cmd.Env = append(os.Environ(), h.env()...)
	m, res, err := h.measureOut(cmd, 0)
	if err != nil {
		return err
	}
	file := base + "-inspected.yaml"
	if err := os.WriteFile(file, []byte(res.Stdout), 0o600); err != nil {
		return err
	}
	lines := strings.Count(res.Stdout, "\n")
	h.rows = append(h.rows, row{scenario: sc.name, step: "inspect", rk: &m,
		note: fmt.Sprintf("writes a spec of %d lines, %d KB", lines, len(res.Stdout)/1024)})
	if v, err := h.runMedian(sc, []string{"validate", "-f", file}); err != nil {
		return err
	} else {
		h.rows = append(h.rows, row{scenario: sc.name, step: "validate (inspected spec)", rk: &v})
	}
	args := []string{"-f", file, "--secrets-dir", secrets}
	pl, err := h.runMedian(sc, append([]string{"plan"}, args...))
	if err != nil {
		return err
	}
	ap, err := h.runMedian(sc, append([]string{"apply"}, args...))
	if err != nil {
		return err
	}
	h.rows = append(h.rows, row{scenario: sc.name, step: "plan (inspected spec)", rk: &pl},
		row{scenario: sc.name, step: "no-op apply (inspected spec)", rk: &ap})
	if pl.c.Writes > 0 || ap.c.Writes > 0 {
		h.failures = append(h.failures, sc.name+": the inspected spec is not a no-op")
	}
	return nil
}

// peerSteps runs ldap2pg on the converged state: a no-op run and a check.
func (h *harness) peerSteps(ctx context.Context, sc *scenario, base string, noop, plan *row) error {
	if err := os.WriteFile(base+"-ldap2pg.yml", []byte(sc.peer), 0o600); err != nil {
		return err
	}
	// One run first: ldap2pg's configuration covers less than the spec
	// (see peer.go), and what it then changes is its own first run's work.
	if _, err := h.runPeer(base, "--real"); err != nil {
		return err
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		cmd := exec.Command(h.peer, "-c", base+"-ldap2pg.yml", "--check")
		cmd.Env = append(os.Environ(), h.peerEnv()...)
		out, _ := cmd.CombinedOutput()
		fmt.Fprintf(os.Stderr, "%s\n", out)
	}
	var runs, checks []measurement
	for i := 0; i < h.runs(sc); i++ {
		m, err := h.runPeer(base, "--real")
		if err != nil {
			return err
		}
		runs = append(runs, m)
		if m, err = h.runPeer(base, "--check"); err != nil {
			return err
		}
		checks = append(checks, m)
	}
	r, c := median(runs), median(checks)
	noop.peer, plan.peer = &r, &c
	if r.c.Writes > 0 {
		noop.note = fmt.Sprintf("ldap2pg's no-op wrote %d statements", r.c.Writes)
	}
	return nil
}

// runPeer runs ldap2pg with its configuration for the scenario, as the
// superuser (see peer.go), stopped at the time limit.
func (h *harness) runPeer(base, mode string) (measurement, error) {
	cmd := exec.Command(h.peer, "-c", base+"-ldap2pg.yml", mode, "-q")
	cmd.Env = append(os.Environ(), h.peerEnv()...)
	m, res, err := h.measureOut(cmd, h.peerTimeout)
	if res.TimedOut {
		return measurement{wall: h.peerTimeout, c: m.c, stopped: true}, nil
	}
	return m, err
}

func (h *harness) peerEnv() []string {
	return []string{"PGHOST=127.0.0.1", "PGPORT=" + strconv.Itoa(h.px.port()), "PGUSER=" + sandbox.SuperUser,
		"PGPASSWORD=" + h.sb.SuperPassword, "PGDATABASE=app", "PGSSLMODE=disable"}
}

// startup measures process start-up: `rolekeeper version` against
// `ldap2pg --version`, the median of many runs.
func (h *harness) startup() error {
	r := row{scenario: "-", step: "start-up (version)"}
	run := func(bin string, args ...string) (*measurement, error) {
		var ms []measurement
		for i := 0; i < 21; i++ {
			m, err := h.measure(exec.Command(bin, args...))
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		m := median(ms)
		return &m, nil
	}
	var err error
	if r.rk, err = run(h.bin, "version"); err != nil {
		return err
	}
	if h.peer != "" {
		if r.peer, err = run(h.peer, "--version"); err != nil {
			return err
		}
	}
	h.rows = append(h.rows, r)
	return nil
}

func median(ms []measurement) measurement {
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2]
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
	// The cluster-wide catalogs keep the dead rows of every earlier run's
	// roles and grants (a database's own catalogs go with it): vacuum them,
	// so that each run starts on the same catalogs.
	if _, err := conn.Exec(ctx, "VACUUM pg_catalog.pg_authid, pg_catalog.pg_auth_members, pg_catalog.pg_shdepend, pg_catalog.pg_db_role_setting, pg_catalog.pg_database"); err != nil {
		return err
	}
	if err := h.sb.CreateDatabase(ctx, "app"); err != nil {
		return err
	}
	if err := h.super(ctx, setup); err != nil {
		return err
	}
	return h.settle(ctx)
}

// settle writes the changes so far out of the server's buffers before a
// measured run (a checkpoint), so that no run pays for the one before:
// an L first apply writes hundreds of megabytes of WAL, and a checkpoint
// that fell inside one side's run and not the other's moved the ratio by
// a tenth.
func (h *harness) settle(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, h.sb.SuperDSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CHECKPOINT")
	return err
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
func (h *harness) runMedian(sc *scenario, args []string) (measurement, error) {
	var ms []measurement
	for i := 0; i < h.runs(sc); i++ {
		m, err := h.runOnce(args)
		if err != nil {
			return m, err
		}
		ms = append(ms, m)
	}
	return median(ms), nil
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
	m, _, err := h.measureOut(cmd, 0)
	return m, err
}

// measureOut runs cmd in the launcher, stopped after timeout unless 0 (a
// stop is not an error: the result says TimedOut), and returns what it
// wrote with the measurement.
func (h *harness) measureOut(cmd *exec.Cmd, timeout time.Duration) (measurement, launch.Result, error) {
	if cmd.Err != nil {
		return measurement{}, launch.Result{}, cmd.Err
	}
	h.px.take()
	res, err := h.launch.Run(cmd, timeout)
	if err != nil {
		return measurement{}, res, fmt.Errorf("%s: %v", cmd.Path, err)
	}
	code := res.ExitCode
	if code != 0 && !res.TimedOut && !(code == 2 && cmd.Args[1] == "plan") && !(code == 1 && contains(cmd.Args, "--check")) {
		return measurement{}, res, fmt.Errorf("%s: exit status %d\n%s", strings.Join(cmd.Args[:2], " "), code, tail(res.Stdout+res.Stderr))
	}
	m := measurement{wall: res.Wall, rssKB: res.MaxRSSKB}
	if len(cmd.Args) > 1 && (cmd.Args[1] == "version" || cmd.Args[1] == "--version") {
		return m, res, nil
	}
	time.Sleep(20 * time.Millisecond) // let the proxy count the last messages
	m.c = h.px.take()
	return m, res, nil
}

func (h *harness) print() {
	fmt.Println()
	fmt.Println("| scenario | step | rolekeeper | round trips | writes | peak RSS | ldap2pg | round trips | writes | peak RSS | floor | floor writes | vs ldap2pg | vs floor |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range h.rows {
		cells := []string{r.scenario, r.step}
		for _, m := range []*measurement{r.rk, r.peer} {
			if m == nil {
				cells = append(cells, "", "", "", "")
				continue
			}
			cells = append(cells, wall(m), strconv.Itoa(m.c.RoundTrips), strconv.Itoa(m.c.Writes), fmt.Sprintf("%.0f MB", float64(m.rssKB)/1024))
		}
		if r.floor != nil {
			cells = append(cells, wall(r.floor), strconv.Itoa(r.floor.c.Writes))
		} else {
			cells = append(cells, "", "")
		}
		cells = append(cells, ratio(r.rk, r.peer), ratio(r.rk, r.floor))
		line := "| " + strings.Join(cells, " | ") + " |"
		if r.note != "" {
			line += " " + r.note
		}
		fmt.Println(line)
	}
	fmt.Printf("\nWall time of the whole process (median of %d for no-op steps, %d at S, of 21 for start-up; first apply and drift repair: %s, the floor's and rolekeeper's runs in turn, each after a checkpoint); round trips count client Query and Sync messages after the connection is up; writes count statements that change the catalog. The floor is `psql -1 -f` of hand-written SQL (one statement per schema and privilege set, all grantees in each). ldap2pg runs as the superuser with the configuration in bench/peer.go; \">\" marks a run stopped at the time limit (-ldap2pg-timeout).\n", h.repeat, h.repeatS, rounds(h.rounds))
}

func wall(m *measurement) string {
	if m.stopped {
		return "> " + ms(m.wall)
	}
	return ms(m.wall)
}

func ratio(a, b *measurement) string {
	if a == nil || b == nil {
		return ""
	}
	x := float64(a.wall) / float64(b.wall)
	if b.stopped {
		return fmt.Sprintf("< %.2fx", x)
	}
	if x < 0.1 {
		return fmt.Sprintf("%.3fx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
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
