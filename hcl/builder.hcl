# The Albatros-compatible builder: a parameterized batch job. Its checkout
# task, `petrel fetch`, brings COMMIT of REPO_URL into the node's git mirror
# cache as the only user who may write it; its executor, `petrel exec`,
# started alongside, redeems the build's secrets, waits for the checkout
# task's word, checks the commit out from the mirror (mounted read-only) and
# runs the repository's executable `.albatros` script.
#
#   nomad job run hcl/builder.hcl          # production: exec driver, as nobody, no capabilities,
#                                          # on nodes set up with hcl/nomad-client.hcl
#   nomad job run -var driver=docker -var image=petrel-builder:0.1.0 hcl/builder.hcl
#                                          # the Dockerfile's `builder` target, Petrel inside it
#   nomad job run -var driver=raw_exec hcl/builder.hcl     # dev and test clusters
#
# Petrel dispatches it with meta; `nomad job status builder` lists every build.

variable "driver" {
  type        = string
  default     = "exec"
  description = "Task driver of the executor: exec (isolated, runs as nobody), docker (needs image) or raw_exec (dev clusters)."
  validation {
    condition     = contains(["exec", "docker", "raw_exec"], var.driver)
    error_message = "The driver must be exec, docker or raw_exec."
  }
}

variable "image" {
  type        = string
  default     = ""
  description = "Container image of both tasks with the docker driver: the Dockerfile's `builder` target (petrel as its entrypoint, git, flock, the Nix client, the users named here)."
}

variable "petrel_command" {
  type        = list(string)
  default     = ["/usr/bin/node", "/opt/petrel/dist/cli.js"]
  description = "How the exec and raw_exec drivers invoke Petrel, before the `fetch` or `exec` argument: a path inside the task. The docker driver runs the image's entrypoint."
}

variable "user" {
  type        = string
  default     = "nobody"
  description = "The unprivileged user the isolating drivers run the build as; with docker, a user of the image."
}

variable "checkout_user" {
  type        = string
  default     = "petrel-git"
  description = "The user the isolating drivers run the checkout task as: the owner of the git cache, never the build's user, so no build can write what a later build checks out. With docker, the image's users are not the node's: give the cache owner's uid:gid."
}

variable "cap_drop" {
  type        = list(string)
  default     = ["all"]
  description = "Capabilities the isolating drivers take from the build. Nomad's default set includes dac_override, with which even nobody reads root's 0600 files: keep [\"all\"]."
}

variable "volumes" {
  type = map(object({ path = string, read_only = bool }))
  default = {
    "nix"    = { path = "/nix", read_only = true }
    "petrel" = { path = "/opt/petrel", read_only = true }
  }
  description = "Host volumes of the node (hcl/nomad-client.hcl) the isolated executor mounts, by name, at these paths: the Nix store with the daemon's socket, and Petrel itself (not with docker: it is in the image). The git cache and the GC roots are mounted besides, from the volumes petrel-git-cache and gcroots_volume, and under exec the node's programs, libraries and CA certificates, from the volumes node-bin, node-certs, node-lib, node-lib64 and node-usr."
}

variable "ca_file" {
  type        = string
  default     = ""
  description = "A CA certificate (PEM, a path inside the task) that signs Petrel's HTTPS certificate, e.g. the ca.pem of Petrel's embedded CA; \"\" for one the system already trusts."
}

variable "nix_remote" {
  type        = string
  default     = "daemon"
  description = "NIX_REMOTE of the build: the node's nix-daemon (daemon), or unix://<socket> of another one."
}

variable "untrusted_nix_remote" {
  type        = string
  default     = ""
  description = "NIX_REMOTE of the builds on this builder that are not trusted (approved ones): the node's untrusted nix-daemon, unix://<socket>, so what they build is never signed or queued for the trusted cache. \"\" leaves them on nix_remote."
}

variable "git_cache" {
  type        = string
  default     = "/var/cache/petrel/git"
  description = "The node's git mirror cache, shared by every build on it: owned by checkout_user, read-only to builds."
}

variable "gcroots" {
  type        = string
  default     = "/nix/var/nix/gcroots/petrel"
  description = "Where each build's GCROOT (a per-commit out-link path) goes."
}

variable "gcroots_volume" {
  type        = string
  default     = "petrel-gcroots"
  description = "The node's host volume mounted at gcroots, writable by the build's user. A builder of another user (the untrusted builder) takes one of its own, owned by that user: in the trusted builds' one it could neither root its outputs nor should it touch theirs."
  validation {
    # Mounts go in the lexical order of their volumes' names: the GC roots after /nix, which holds them.
    condition     = var.gcroots_volume != "nix" && sort(["nix", var.gcroots_volume])[0] == "nix"
    error_message = "The GC roots' volume must sort after \"nix\" (e.g. petrel-gcroots-untrusted), or /nix is mounted over it."
  }
}

variable "timeout" {
  type        = number
  default     = 0
  description = "Seconds a build script may run before it is stopped (exit 124); 0 means no limit."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

variable "cpu" {
  type    = number
  default = 1000
}

variable "memory" {
  type    = number
  default = 1024
}

locals {
  isolated = var.driver != "raw_exec"
  docker   = var.driver == "docker"
  # An image brings Petrel and its own system along. Under exec the node's
  # programs, libraries and CA certificates are mounted read-only, not linked
  # into each task's chroot (hcl/nomad-client.hcl).
  node_system = {
    "node-bin"   = "/bin"
    "node-certs" = "/etc/ssl/certs"
    "node-lib"   = "/lib"
    "node-lib64" = "/lib64"
    "node-usr"   = "/usr"
  }
  volumes = merge(
    { for name, mount in var.volumes : name => mount if !(local.docker && name == "petrel") },
    var.driver == "exec" ? { for name, path in local.node_system : name => { path = path, read_only = true } } : {},
  )
  # Volumes mounted in lexical order of their names: /nix before the GC roots inside it.
  mounts = local.isolated ? merge(local.volumes, {
    (var.gcroots_volume) = { path = var.gcroots, read_only = false }
    "petrel-git-cache"   = { path = var.git_cache, read_only = true }
  }) : {}
  # The checkout task sees the same node, but the git cache it alone writes.
  checkout_mounts = local.isolated ? merge(local.volumes, {
    "petrel-git-cache" = { path = var.git_cache, read_only = false }
  }) : {}
  # Both tasks read the same environment: the meta, the cache's place and the
  # file in the allocation's shared folder where the checkout task says it is done
  # ($${…} is a literal ${…}, which Nomad fills in when the task starts).
  env = {
    PETREL_FETCHED   = "$${NOMAD_ALLOC_DIR}/petrel-fetched"
    REPO_URL         = "$${NOMAD_META_REPO_URL}"
    COMMIT           = "$${NOMAD_META_COMMIT}"
    BRANCH           = "$${NOMAD_META_BRANCH}"
    FLAVOR           = "$${NOMAD_META_FLAVOR}"
    HOME             = "$${NOMAD_TASK_DIR}"
    PETREL_GIT_CACHE = var.git_cache
  }
}

job "builder" {
  type        = "batch"
  datacenters = var.datacenters

  parameterized {
    payload       = "forbidden"
    meta_required = ["REPO_URL", "COMMIT", "BRANCH", "FLAVOR"]
    # Petrel's additions: what a restarted Petrel needs to report the build's
    # status to the forge, and the single-use URL a trusted build redeems for
    # its secrets. Secrets themselves never appear here.
    meta_optional = ["SECRETS_URL", "FORGE", "FORGE_URL", "FORGE_REPO", "STATUS_CONTEXT", "SENDER", "DELIVERY", "EVENT", "PR", "PR_AUTHOR", "PR_TARGET", "TRUSTED", "TRUST_REASON"]
  }

  group "runner" {
    # A failed build is a verdict, not something to run again.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    ephemeral_disk {
      size = 2048
    }

    # A volume is writable in the group when a task writes it; each mount says who may.
    dynamic "volume" {
      for_each = merge(local.mounts, local.checkout_mounts)
      labels   = [volume.key]
      content {
        type      = "host"
        source    = volume.key
        read_only = volume.value.read_only
      }
    }

    # Started with the executor, not before it (no prestart): the executor's start overlaps the fetch
    # (PETREL_FETCHED). A failed fetch says why in that word, and the executor fails the build with
    # it, in the build's log.
    task "checkout" {
      driver = var.driver
      user   = local.isolated ? var.checkout_user : ""

      config {
        image        = local.docker ? var.image : null
        network_mode = local.docker ? "host" : null
        cap_drop     = local.isolated ? var.cap_drop : null
        command      = local.docker ? null : var.petrel_command[0]
        args         = concat(local.docker ? [] : slice(var.petrel_command, 1, length(var.petrel_command)), ["fetch"])
      }

      dynamic "volume_mount" {
        for_each = local.checkout_mounts
        content {
          volume      = volume_mount.key
          destination = volume_mount.value.path
          read_only   = volume_mount.value.read_only
        }
      }

      # Node's TLS is not used here (git makes its own connections), so no extra CA is read: a
      # bundle that the node's environment (which Nomad passes to exec tasks) or the image names
      # would cost each start parsing it, 85 ms for Debian's whole bundle on a 2-core node.
      env = merge(local.env, { NODE_EXTRA_CA_CERTS = "" })

      # Its word is its outcome: no log, so Nomad starts no log collector for it, which each
      # build's start waited for.
      logs {
        disabled = true
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }

    task "executor" {
      driver = var.driver
      # raw_exec runs as the agent's user; only the isolating drivers take another.
      user = local.isolated ? var.user : ""

      config {
        # A null attribute is left out, so each driver sees only its own.
        image = local.docker ? var.image : null
        # The node's network, as under exec: Petrel, the forge and the agents
        # are reached at the addresses the node reaches them at.
        network_mode = local.docker ? "host" : null
        cap_drop     = local.isolated ? var.cap_drop : null
        # docker runs the image's entrypoint (petrel) with these arguments.
        command = local.docker ? null : var.petrel_command[0]
        args    = concat(local.docker ? [] : slice(var.petrel_command, 1, length(var.petrel_command)), ["exec"])
      }

      dynamic "volume_mount" {
        for_each = local.mounts
        content {
          volume      = volume_mount.key
          destination = volume_mount.value.path
          read_only   = volume_mount.value.read_only
        }
      }

      # The task's Nomad workload identity, in secrets/nomad_token: `petrel exec`
      # shows it to redeem SECRETS_URL, which opens for this task alone.
      identity {
        file = true
      }

      # The build script's contract (REPO_URL COMMIT BRANCH FLAVOR) and Petrel's knobs.
      # SECRETS_URL comes as NOMAD_META_SECRETS_URL, which Nomad sets only when dispatched with it.
      env = merge(local.env, {
        NIX_REMOTE = var.nix_remote
        # Node's own way to trust one more CA, read by `petrel exec` as it redeems SECRETS_URL.
        NODE_EXTRA_CA_CERTS         = var.ca_file
        PETREL_UNTRUSTED_NIX_REMOTE = var.untrusted_nix_remote
        PETREL_GCROOTS              = var.gcroots
        PETREL_EXEC_TIMEOUT         = var.timeout
      })

      resources {
        cpu    = var.cpu
        memory = var.memory
      }

      logs {
        max_files     = 5
        max_file_size = 50
      }
    }
  }
}
