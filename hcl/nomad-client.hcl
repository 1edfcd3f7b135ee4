# Nomad client settings of a build node, for hcl/builder.hcl under the exec
# driver: add this file to the client agent's configuration (-config), next to
# its own server and datacenter settings. The agent runs as root.

client {
  enabled = true

  # What a build's chroot holds besides its own task folders and mounts. Nomad
  # links or copies every file listed here into each task before it starts,
  # following a symbolic link it is given (/bin on Debian brings all of
  # /usr/bin): its default list (all of /bin /etc /lib* /sbin /usr) made that
  # ~8 s per build, and even the folders a build needs most of a second. So the
  # node's programs, libraries and CA certificates come read-only from the
  # node-* volumes below, mounted, not linked. Not the host's /etc (which may
  # name keys): only what names users and hosts.
  chroot_env {
    "/etc/passwd"        = "/etc/passwd"
    "/etc/group"         = "/etc/group"
    "/etc/hosts"         = "/etc/hosts"
    "/etc/resolv.conf"   = "/etc/resolv.conf"
    "/etc/nsswitch.conf" = "/etc/nsswitch.conf"
  }

  # A shell, coreutils, git, node for `petrel exec`, the Nix client, their
  # libraries and the CA certificates git trusts, read-only in both tasks
  # under exec. Each folder on its own, for nodes where /bin and /lib are not
  # links into /usr; /etc/ssl/certs without /etc/ssl/private.
  host_volume "node-bin" {
    path      = "/bin"
    read_only = true
  }
  host_volume "node-certs" {
    path      = "/etc/ssl/certs"
    read_only = true
  }
  host_volume "node-lib" {
    path      = "/lib"
    read_only = true
  }
  host_volume "node-lib64" {
    path      = "/lib64"
    read_only = true
  }
  host_volume "node-usr" {
    path      = "/usr"
    read_only = true
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
