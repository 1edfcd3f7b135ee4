# The Albatros-compatible builder: a parameterized batch job that checks out
# REPO_URL at COMMIT and runs the repository's executable `.albatros` script.
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
  description = "Container image of the executor with the docker driver; it needs /bin/sh and git."
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
        command = "/bin/sh"
        args    = ["-c", local.checkout_and_build]
      }

      # The build script's contract: these four, as environment variables.
      env {
        REPO_URL = "${NOMAD_META_REPO_URL}"
        COMMIT   = "${NOMAD_META_COMMIT}"
        BRANCH   = "${NOMAD_META_BRANCH}"
        FLAVOR   = "${NOMAD_META_FLAVOR}"
        HOME     = "${NOMAD_TASK_DIR}"
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

locals {
  checkout_and_build = <<-EOT
    set -eu
    echo "petrel: building $REPO_URL at $COMMIT (branch $BRANCH, flavor $FLAVOR)" >&2
    cd "$NOMAD_TASK_DIR"
    git clone --quiet --no-checkout -- "$REPO_URL" src
    cd src
    git -c advice.detachedHead=false checkout --quiet "$COMMIT"
    if [ ! -x .albatros ]; then
      echo "petrel: no executable .albatros at the root of $REPO_URL at $COMMIT" >&2
      exit 64
    fi
    exec ./.albatros
  EOT
}
