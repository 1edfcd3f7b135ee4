# Petrel's Nix cache uploader: one per node (a system job). A prestart task
# writes the nix-daemon's post-build-hook, which only enqueues each built
# derivation into the spool; the uploader task drains the spool to the binary
# cache. The daemon signs what it builds (`secret-key-files` in its root-only
# nix.conf), so neither task ever holds the signing key.
#
#   nomad job run -var cache=file:///srv/nix-cache hcl/uploader.hcl
#
# The node's nix.conf then names the hook: `post-build-hook = <hook>`.
#
# Untrusted builds go through a second nix-daemon on the same store, whose
# nix.conf has no signing key (README, "Untrusted builds"). Its outputs go to
# a cache of their own, drained from a spool of their own, or nowhere:
#
#   nomad job run -var cache=file:///srv/nix-cache -var untrusted_cache=file:///srv/nix-cache-untrusted hcl/uploader.hcl
#
# and the untrusted daemon's nix.conf names `post-build-hook = <untrusted_hook>`.
# With untrusted_cache left empty, the untrusted daemon has no hook and this
# job drains only the trusted spool.

variable "cache" {
  type        = string
  description = "The binary cache's store URI: file:///…, http(s)://…, or s3://… where the node's Nix supports it."
}

variable "petrel_command" {
  type        = list(string)
  default     = ["petrel"]
  description = "How to invoke Petrel, before the `upload` argument, e.g. [\"node\", \"/opt/petrel/dist/cli.js\"]."
}

variable "hook" {
  type    = string
  default = "/etc/petrel/post-build-hook"
}

variable "spool" {
  type    = string
  default = "/var/spool/petrel/upload"
}

variable "gcroots" {
  type        = string
  default     = "/nix/var/nix/gcroots/petrel-upload"
  description = "Where the hook roots each queued output until it is uploaded."
}

variable "parallel" {
  type    = number
  default = 4
}

variable "untrusted_cache" {
  type        = string
  default     = ""
  description = "The untrusted builds' own binary cache; empty: their outputs are uploaded nowhere. Never the trusted cache."
}

variable "untrusted_hook" {
  type    = string
  default = "/etc/petrel/untrusted/post-build-hook"
}

variable "untrusted_spool" {
  type    = string
  default = "/var/spool/petrel/upload-untrusted"
}

variable "untrusted_gcroots" {
  type    = string
  default = "/nix/var/nix/gcroots/petrel-upload-untrusted"
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

locals {
  petrel = var.petrel_command[0]
  # The hook and the uploader must agree on these two folders.
  petrel_args = concat(slice(var.petrel_command, 1, length(var.petrel_command)), ["upload", "--spool", var.spool, "--gcroots", var.gcroots])
  # One element when untrusted outputs have a cache to go to, none otherwise:
  # the `for_each` of the untrusted tasks below.
  untrusted = var.untrusted_cache == "" ? [] : [var.untrusted_cache]
  # Untrusted outputs must never reach the trusted side: a place both sides
  # name stops the parse with "Duplicate object key" and this sentence.
  kept_apart = var.untrusted_cache == "" ? {} : {
    for place in [var.cache, var.untrusted_cache, var.hook, var.untrusted_hook, var.spool, var.untrusted_spool, var.gcroots, var.untrusted_gcroots] :
    "${place} is named for trusted and untrusted builds alike" => place
  }
  untrusted_args = concat(slice(var.petrel_command, 1, length(var.petrel_command)), ["upload", "--spool", var.untrusted_spool, "--gcroots", var.untrusted_gcroots])
}

job "petrel-uploader" {
  type        = "system"
  datacenters = var.datacenters

  group "uploader" {
    # Root on the host: the spool, the GC roots and the store are the node's own.
    task "install-hook" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = local.petrel
        args    = concat(local.petrel_args, ["--install-hook", var.hook])
      }
    }

    task "upload" {
      driver = "raw_exec"
      config {
        command = local.petrel
        args    = concat(local.petrel_args, ["--to", var.cache, "--parallel", format("%d", var.parallel)])
      }
      resources {
        cpu    = 200
        memory = 256
      }
    }

    dynamic "task" {
      for_each = local.untrusted
      labels   = ["install-untrusted-hook"]
      content {
        driver = "raw_exec"
        lifecycle {
          hook = "prestart"
        }
        config {
          command = local.petrel
          args    = concat(local.untrusted_args, ["--install-hook", var.untrusted_hook])
        }
      }
    }

    dynamic "task" {
      for_each = local.untrusted
      labels   = ["upload-untrusted"]
      content {
        driver = "raw_exec"
        config {
          command = local.petrel
          args    = concat(local.untrusted_args, ["--to", task.value, "--parallel", format("%d", var.parallel)])
        }
        resources {
          cpu    = 200
          memory = 256
        }
      }
    }
  }
}
