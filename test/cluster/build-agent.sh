#!/usr/bin/env bash
# Builds one of the real agents the test cluster runs (nomad, consul, gitea or
# seaweedfs) from its Go module into Petrel's cache and prints the binary's path.
#
# Their go.mod files have replace directives (most of them to local folders
# that the module zips don't carry), so `go install mod@version` is refused.
# Instead a wrapper module is generated that requires the upstream module at
# the pinned version, keeps upstream's dependency versions (its go.mod minus
# the local replaces) and compiles upstream's own main package file.
set -euo pipefail

name="${1:?usage: build-agent.sh nomad|consul|gitea|seaweedfs}"
# As root the agents run as an unprivileged user, who can't enter /root.
if [[ $(id -u) == 0 ]]; then default_cache=/var/cache/petrel; else default_cache="${XDG_CACHE_HOME:-$HOME/.cache}/petrel"; fi
cache="${PETREL_CACHE_DIR:-$default_cache}"

case "$name" in
  nomad)
    module=github.com/hashicorp/nomad version=v1.11.3
    # The api module is not inside the nomad zip; this revision compiles with v1.11.3.
    nomad_api=v0.0.0-20260907080526-08ef8f3d26da
    # cgo: the exec driver (isolated builds as an unprivileged user) is only
    # registered in a cgo build; without it Nomad has raw_exec alone.
    tags="" cgo=1 flavor=-cgo ;;
  consul) module=github.com/hashicorp/consul version=v1.20.6 tags="" cgo=0 ;;
  gitea)  module=code.gitea.io/gitea version=v1.24.6 tags="sqlite sqlite_unlock_notify" cgo=1 ;;
  # A commit of master (a pseudo-version). Its one replace, go-bip39 by a fork,
  # is kept by the wrapper module. The binary is `weed`, from weed/weed.go.
  seaweedfs)
    module=github.com/seaweedfs/seaweedfs version=v0.0.0-20261109003541-7506e5f91cd6
    tags="" cgo=0 binary=weed main=weed/weed.go ;;
  *) echo "build-agent.sh: unknown agent '$name' (nomad, consul, gitea or seaweedfs)" >&2; exit 2 ;;
esac

out="$cache/agents/$name-$version${flavor:-}"
bin="$out/bin/${binary:-$name}"
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
[[ -n "${PETREL_AGENT_LOOKUP_ONLY:-}" ]] && exit 1

command -v go >/dev/null || { echo "build-agent.sh: 'go' is needed to build $name" >&2; exit 1; }
log() { echo "[build-agent] $name $version: $*" >&2; }
started=$SECONDS

log "downloading $module@$version"
src="$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[[ -d "$src" ]] || { log "download failed"; exit 1; }

work="$out/src"
rm -rf "$work" && mkdir -p "$work"
chmod u+w "$work"

case "$name" in
  nomad)
    sed -e "s#^module .*#module petrel.local/agents/nomad#" \
        -e '\#^replace github.com/hashicorp/nomad/api => ./api#d' \
        -e "s#^\(\tgithub.com/hashicorp/nomad/api\) v.*#\1 $nomad_api#" \
        "$src/go.mod" > "$work/go.mod" ;;
  consul)
    # Drop the block of replaces that point at ./api, ./sdk, … (nested modules
    # are served by the proxy at the versions go.mod already names).
    awk '/^replace \($/ {skip=1; next} skip && /^\)$/ {skip=0; next} !skip' "$src/go.mod" |
      sed -e "s#^module .*#module petrel.local/agents/consul#" > "$work/go.mod" ;;
  gitea|seaweedfs)
    sed -e "s#^module .*#module petrel.local/agents/$name#" "$src/go.mod" > "$work/go.mod" ;;
esac
# Upstream's go.sum pins the hashes it was tested with; some of them (e.g.
# consul-awsauth's pseudo-version) are unknown to the checksum database.
cp "$src/go.sum" "$work/go.sum"
printf '\nrequire %s %s\n' "$module" "$version" >> "$work/go.mod"
cp "$src/${main:-main.go}" "$work/main.go"
# weed.go embeds the web UI's files next to it.
[[ "$name" == seaweedfs ]] && cp -r "$src/weed/static" "$work/"
chmod -R u+w "$work"

ldflags=""
[[ "$name" == gitea ]] && ldflags="-X main.Version=${version#v} -X 'main.Tags=$tags'"
# As upstream's release builds: the commit in `weed version`, and no symbol
# table or DWARF (164 MB instead of 232).
[[ "$name" == seaweedfs ]] && ldflags="-s -w -X $module/weed/util/version.COMMIT=${version##*-}"

log "compiling (a few minutes on a cold cache)"
mkdir -p "$out/bin"
( cd "$work" && CGO_ENABLED=$cgo GOFLAGS=-mod=mod go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$bin.tmp" . ) >&2
mv "$bin.tmp" "$bin"

if [[ "$name" == gitea ]]; then
  # Without the bindata tag Gitea reads these from its work path at start.
  rm -rf "$out/share" && mkdir -p "$out/share"
  cp -r "$src/options" "$src/templates" "$out/share/"
  chmod -R u+w "$out/share"
fi
log "built in $((SECONDS - started)) s"
echo "$bin"
