# The Albatros-compatible builder: a parameterized batch job whose executor,
# `petrel exec`, redeems the build's secrets, checks out REPO_URL at COMMIT
# through the node's git mirror cache and runs the repository's executable
# `.albatros` script.
#
#   nomad job run hcl/builder.hcl                          # production: exec driver
#   nomad job run -var driver=docker -var image=… hcl/builder.hcl   # an image with sh and git
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
  default     = ["petrel"]
  description = "How the executor invokes Petrel, before the `exec` argument, e.g. [\"node\", \"/opt/petrel/dist/cli.js\"]."
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

variable "nix_remote" {
  type        = string
  default     = "daemon"
  description = "The nix-daemon builds go through (NIX_REMOTE): an untrustedBuilder job names the node's untrusted daemon, e.g. unix:///nix/var/nix/daemon-socket/untrusted."
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

    task "executor" {
      driver = var.driver

      config {
        # A null attribute is left out, so exec and raw_exec never see `image`.
        image   = var.driver == "docker" ? var.image : null
        command = var.petrel_command[0]
        args    = concat(slice(var.petrel_command, 1, length(var.petrel_command)), ["exec"])
      }

      # The build script's contract: these four, as environment variables.
      env {
        REPO_URL = "${NOMAD_META_REPO_URL}"
        COMMIT   = "${NOMAD_META_COMMIT}"
        BRANCH   = "${NOMAD_META_BRANCH}"
        FLAVOR   = "${NOMAD_META_FLAVOR}"
        HOME     = "${NOMAD_TASK_DIR}"
        # SECRETS_URL comes as NOMAD_META_SECRETS_URL, which Nomad sets only when dispatched with it.
        PETREL_GIT_CACHE    = var.git_cache
        PETREL_GCROOTS      = var.gcroots
        PETREL_EXEC_TIMEOUT = var.timeout
        NIX_REMOTE          = var.nix_remote
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
