import { entryEnd, untrustedPrefix } from "./spool.js";

export type HookPaths = {
  /** One file per built derivation lands here, for `petrel upload` to drain. */
  spool: string;
  /** One GC root per output, so nothing queued is collected before it is uploaded. */
  gcroots: string;
  /** Absolute: Nix runs the hook with an empty PATH. */
  nixStore: string;
  /**
   * The hook of the node's second nix-daemon, the one untrusted builds use:
   * its entries are named `untrusted-…`, and the uploader sends them to the
   * untrusted cache, or nowhere.
   */
  untrusted?: boolean;
};

/**
 * Nix's post-build-hook, as a few lines of sh rather than a Node process:
 * the daemon waits for it after every derivation and builds nothing else
 * meanwhile, so it only enqueues, and starts no process where the shell can
 * do the work (reading the .drv's head under Nix 2.8 is the one left): a GC
 * root per output, then the spool entry, written in place with its last line
 * \`end\`, so the uploader takes it only whole. Store paths hold no
 * shell-special characters, and the hook's output reaches the (maybe
 * untrusted) client, so it prints nothing.
 */
export function hookScript({ spool, gcroots, nixStore, untrusted = false }: HookPaths): string {
  for (const [name, path] of Object.entries({ spool, gcroots, nixStore })) {
    if (!/^\/[A-Za-z0-9_.+\-/]+$/.test(path)) throw new Error(`${name} must be an absolute path of plain characters, not '${path}'`);
  }
  return `#!/bin/sh
# Nix post-build-hook written by \`petrel upload --install-hook\`: enqueues, never uploads.
set -eu
outs=\${OUT_PATHS:-}
if [ -z "$outs" ]; then
  # Nix 2.8 leaves OUT_PATHS empty (nix#6446). The outputs head the .drv file
  # (Derive([("out","/nix/store/…","",""),…],[…): its first bytes are enough,
  # read in one go (sh's read would take the one-line file a byte at a time).
  drv=$(head -c 8192 "$DRV_PATH")
  case $drv in *')],['*) rest=\${drv%%')],['*} ;; *) rest= ;; esac
  while :; do
    case $rest in *'"/'*) ;; *) break ;; esac
    rest=\${rest#*'"/'}
    outs="$outs /\${rest%%'"'*}"
  done
  # Not there (a content-addressed derivation's are computed at build time; more outputs
  # than the first bytes hold): ask the store.
  [ -n "$outs" ] || outs=$(${nixStore} --query --outputs "$DRV_PATH")
fi
# Each output's root is an empty file named after it, which Nix's GC takes for a root of
# that store path: the shell makes it without a process. \`: >\` would open a link's
# target, so a root that is a link already stays as it is.
for out in $outs; do
  root="${gcroots}/\${out##*/}"
  [ -L "$root" ] || : > "$root"
done
{ printf 'drv %s\\n' "$DRV_PATH"; printf 'out %s\\n' $outs; echo ${entryEnd}; } > "${spool}/${untrusted ? untrustedPrefix : ""}\${DRV_PATH##*/}"
`;
}
