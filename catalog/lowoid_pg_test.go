package catalog_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/catalog"
	"github.com/rolekeeper/rolekeeper/connect"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
	"github.com/rolekeeper/rolekeeper/state"
)

// TestObjectsMadeInSingleUserModeAreRead: objects made in single-user
// mode (postgres --single) on a cluster no server has run on yet take
// OIDs below FirstNormalObjectId (16384), after initdb's own (the OID
// counter is forced up to 16384 only under a postmaster). The objects
// and column_acls queries skipped every OID below 16384, so such a table,
// sequence, function and column privilege in a user schema (public too)
// were not read: their grants were neither revoked nor reported. This
// test makes its own cluster with the package server's binaries.
func TestObjectsMadeInSingleUserModeAreRead(t *testing.T) {
	if pgtest.Server == nil {
		t.Skip("no PostgreSQL server in -short mode")
	}
	bin := pgtest.Server.BinDir
	dir, err := os.MkdirTemp("", "rolekeeper-lowoid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := func(stdin string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if os.Geteuid() == 0 { // PostgreSQL refuses to run as root
			cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(bin, name)}, args...)...)
		}
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	run("", "initdb", "-D", data, "-U", "rk", "--auth=trust", "--no-sync")
	out := run(strings.Join([]string{
		"CREATE ROLE r",
		"CREATE SCHEMA s",
		"CREATE TABLE s.early (id int, secret text)",
		"GRANT SELECT ON s.early TO r",
		"GRANT UPDATE (secret) ON s.early TO r",
		"CREATE SEQUENCE s.q",
		"GRANT USAGE ON s.q TO r",
		"CREATE FUNCTION s.f() RETURNS int LANGUAGE sql AS 'select 1'",
		"CREATE TABLE public.p (id int)",
		"GRANT INSERT ON public.p TO r",
		"SELECT 'below ' || count(*) FROM pg_class WHERE relname IN ('early', 'q', 'p') AND oid < 16384",
	}, "\n")+"\n", "postgres", "--single", "-D", data, "postgres")
	if !strings.Contains(out, `below 3`) {
		t.Fatalf("the premise (three relations below OID 16384) does not hold:\n%s", out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	run("", "pg_ctl", "start", "-w", "-D", data, "-l", filepath.Join(dir, "log"),
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, dir))
	t.Cleanup(func() { run("", "pg_ctl", "stop", "-m", "immediate", "-D", data) })

	ctx := context.Background()
	conn, err := connect.Connect(ctx, connect.Options{DSN: fmt.Sprintf("host=127.0.0.1 port=%d user=rk dbname=postgres sslmode=disable", port)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	snap, err := catalog.Inspect(ctx, conn, catalog.Scope{Schemas: []string{"s", "public"}, Grantees: []string{"r"}})
	if err != nil {
		t.Fatal(err)
	}
	s, p := snap.DB.Schemas["s"], snap.DB.Schemas["public"]
	if s == nil || p == nil {
		t.Fatal("schemas s and public not read")
	}
	for _, c := range []struct {
		what string
		got  bool
	}{
		{"r's SELECT on s.early", s.Objects[state.Tables].Full["r"].Has("SELECT")},
		{"r's USAGE on s.q", s.Objects[state.Sequences].Full["r"].Has("USAGE")},
		{"PUBLIC's EXECUTE on s.f", s.Objects[state.Functions].Full[state.Public].Has("EXECUTE")},
		{"r's INSERT on public.p", p.Objects[state.Tables].Full["r"].Has("INSERT")},
		{"r's UPDATE (secret) on s.early", len(s.Columns) == 1 && s.Columns[0].Grantee == "r" && s.Columns[0].Privilege == "UPDATE"},
	} {
		if !c.got {
			t.Errorf("%s not read (objects made in single-user mode, OIDs below 16384)", c.what)
		}
	}
}
