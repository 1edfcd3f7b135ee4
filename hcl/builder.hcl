# The Albatros-compatible builder: a parameterized batch job whose executor,
# `petrel exec`, redeems the build's secrets, checks out REPO_URL at COMMIT
# through the node's git mirror cache and runs the repository's executable
# `.albatros` script.
#
#   nomad job run hcl/builder.hcl          # production: exec driver, as nobody, no capabilities,
#                                          # on nodes set up with hcl/nomad-client.hcl
#   nomad job run -var driver=docker -var image=… -var 'petrel_command=["petrel"]' hcl/builder.hcl
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
  description = "Container image of the executor with the docker driver; it needs petrel, git and flock."
}

variable "petrel_command" {
  type        = list(string)
  default     = ["/usr/bin/node", "/opt/petrel/dist/cli.js"]
  description = "How the executor invokes Petrel, before the `exec` argument: a path inside the task, e.g. [\"petrel\"] in an image."
}

variable "user" {
  type        = string
  default     = "nobody"
  description = "The unprivileged user the exec driver runs the build as."
}

variable "cap_drop" {
  type        = list(string)
  default     = ["all"]
  description = "Capabilities the exec driver takes from the build. Nomad's default set includes dac_override, with which even nobody reads root's 0600 files: keep [\"all\"]."
}

variable "volumes" {
  type = map(object({ path = string, read_only = bool }))
  default = {
    "nix"    = { path = "/nix", read_only = true }
    "petrel" = { path = "/opt/petrel", read_only = true }
  }
  description = "Host volumes of the node (hcl/nomad-client.hcl) the isolated executor mounts, by name, at these paths: the Nix store with the daemon's socket, and Petrel itself. The git cache and the GC roots are mounted besides, from the volumes petrel-git-cache and petrel-gcroots."
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

variable "git_cache" {
  type        = string
  default     = "/var/cache/petrel/git"
  description = "The node's git mirror cache, shared by every build on it: a folder the executor's user may write."
}

variable "gcroots" {
  type        = string
  default     = "/nix/var/nix/gcroots/petrel"
  description = "Where each build's GCROOT (a per-commit out-link path) goes."
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
  # Volumes mounted in lexical order of their names: /nix before the GC roots inside it.
  mounts = var.driver == "raw_exec" ? {} : merge(var.volumes, {
    "petrel-gcroots"   = { path = var.gcroots, read_only = false }
    "petrel-git-cache" = { path = var.git_cache, read_only = false }
  })
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
    meta_optional = ["SECRETS_URL", "FORGE", "FORGE_URL", "FORGE_REPO", "STATUS_CONTEXT", "SENDER", "DELIVERY", "EVENT", "PR", "TRUSTED", "TRUST_REASON"]
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

    dynamic "volume" {
      for_each = local.mounts
      labels   = [volume.key]
      content {
        type      = "host"
        source    = volume.key
        read_only = volume.value.read_only
      }
    }

    task "executor" {
      driver = var.driver
      # raw_exec runs as the agent's user; only the isolating drivers take another.
      user = var.driver == "raw_exec" ? "" : var.user

      config {
        # A null attribute is left out, so each driver sees only its own.
        image    = var.driver == "docker" ? var.image : null
        cap_drop = var.driver == "raw_exec" ? null : var.cap_drop
        command  = var.petrel_command[0]
        args     = concat(slice(var.petrel_command, 1, length(var.petrel_command)), ["exec"])
      }

      dynamic "volume_mount" {
        for_each = local.mounts
        content {
          volume      = volume_mount.key
          destination = volume_mount.value.path
          read_only   = volume_mount.value.read_only
        }
      }

      # The build script's contract: these four, as environment variables.
      env {
        REPO_URL   = "${NOMAD_META_REPO_URL}"
        COMMIT     = "${NOMAD_META_COMMIT}"
        BRANCH     = "${NOMAD_META_BRANCH}"
        FLAVOR     = "${NOMAD_META_FLAVOR}"
        HOME       = "${NOMAD_TASK_DIR}"
        NIX_REMOTE = var.nix_remote
        # Node's own way to trust one more CA, read by `petrel exec` as it redeems SECRETS_URL.
        NODE_EXTRA_CA_CERTS = var.ca_file
        # SECRETS_URL comes as NOMAD_META_SECRETS_URL, which Nomad sets only when dispatched with it.
        PETREL_GIT_CACHE    = var.git_cache
        PETREL_GCROOTS      = var.gcroots
        PETREL_EXEC_TIMEOUT = var.timeout
      }

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
