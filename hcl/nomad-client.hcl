# Nomad client settings of a build node, for hcl/builder.hcl under the exec
# driver: add this file to the client agent's configuration (-config), next to
# its own server and datacenter settings. The agent runs as root.

client {
  enabled = true

  # What a build's chroot holds besides its own task folders. Nomad links or
  # copies every file listed here into each task before it starts; its default
  # list (all of /bin /etc /lib* /sbin /usr) made that ~8 s per build. A build
  # needs a shell, coreutils, git, node for `petrel exec`, and the Nix client
  # with its libraries; not the host's /etc (which may name keys). /bin, /lib
  # and /lib64 are symbolic links into /usr on Debian: the library folder goes
  # to /lib/x86_64-linux-gnu only, where the loader looks without ld.so.cache.
  chroot_env {
    "/bin"                      = "/bin"
    "/usr/bin"                  = "/usr/bin"
    "/usr/lib/x86_64-linux-gnu" = "/lib/x86_64-linux-gnu"
    "/lib64"                    = "/lib64"
    "/usr/lib64"                = "/usr/lib64"
    "/usr/lib/nix"              = "/usr/lib/nix"
    "/usr/lib/git-core"         = "/usr/lib/git-core"
    "/usr/share/git-core"       = "/usr/share/git-core"
    "/etc/ssl"                  = "/etc/ssl"
    "/etc/passwd"               = "/etc/passwd"
    "/etc/group"                = "/etc/group"
    "/etc/hosts"                = "/etc/hosts"
    "/etc/resolv.conf"          = "/etc/resolv.conf"
    "/etc/nsswitch.conf"        = "/etc/nsswitch.conf"
  }

  # The builder's volumes. The store and the daemon's socket, read-only: the
  # build talks to the root nix-daemon, whose nix.conf (signing key,
  # post-build-hook) lives outside /nix and outside the chroot.
  host_volume "nix" {
    path      = "/nix"
    read_only = true
  }
  # Petrel itself (npm pack, or a checkout with dist/ and node_modules/).
  host_volume "petrel" {
    path      = "/opt/petrel"
    read_only = true
  }
  # Written by builds, owned by their user (nobody): the per-commit GC roots.
  host_volume "petrel-gcroots" {
    path = "/nix/var/nix/gcroots/petrel"
  }
  # The git mirror cache shared by every build on the node: owned by the
  # builder's checkout_user (petrel-git), the only one who writes it; builds
  # mount it read-only.
  host_volume "petrel-git-cache" {
    path = "/var/cache/petrel/git"
  }
}
