package sandbox

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReachableNamesTheClosedDirectory(t *testing.T) {
	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} { // testing makes them 0700
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	closed := filepath.Join(base, "private")
	bin := filepath.Join(closed, "postgres", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(closed, 0o700); err != nil {
		t.Fatal(err)
	}
	other := &syscall.Credential{Uid: 54321, Gid: 54321} // owns nothing here
	err := reachable(bin, other)
	if err == nil || !strings.Contains(err.Error(), closed+" is mode -rwx------") || !strings.Contains(err.Error(), "ROLEKEEPER_CACHE") {
		t.Fatalf("a 0700 directory on the way: %v", err)
	}
	if err := os.Chmod(closed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := reachable(bin, other); err != nil {
		t.Fatalf("an open path: %v", err)
	}
}

// As root, the server runs as the postgres OS user: binaries it cannot
// reach are refused before initdb, with the reason.
func TestStartAsRootRefusesBinariesTheServerCannotReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs as root only")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("no postgres OS user")
	}
	real, err := Finder{Discovery: DiscoverSystem}.Find(context.Background())
	if err != nil {
		t.Skip(err)
	}
	private := t.TempDir() // 0700, as mktemp -d makes it
	os.Chmod(private, 0o700)
	bin := filepath.Join(private, "bin")
	if err := os.Symlink(real, bin); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Options{BinDir: bin})
	if err == nil || !strings.Contains(err.Error(), "cannot reach "+bin) {
		t.Fatalf("Start with binaries under a private directory: %v", err)
	}
}
