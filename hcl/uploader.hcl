# Petrel's Nix cache uploader: one per node (a system job). A prestart task
# writes the nix-daemon's post-build-hook, which only enqueues each built
# derivation into the spool; the uploader task drains the spool to the binary
# cache. The daemon signs what it builds (`secret-key-files` in its root-only
# nix.conf), so neither task ever holds the signing key.
#
#   nomad job run -var cache=file:///srv/nix-cache hcl/uploader.hcl
#
# The node's nix.conf then names the hook: `post-build-hook = <hook>`.

variable "cache" {
  type        = string
  description = "The binary cache's store URI: file:///…, http(s)://…, or s3://… where the node's Nix supports it."
}

variable "petrel_command" {
  type        = list(string)
  default     = ["petrel"]
  description = "How to invoke Petrel, before the `upload` argument, e.g. [\"node\", \"/opt/petrel/dist/cli.js\"]."
}

variable "untrusted_cache" {
  type        = string
  default     = ""
  description = "The cache for what the untrusted builds' nix-daemon built; \"\" uploads those paths nowhere."
}

variable "hook" {
  type        = string
  default     = "/etc/petrel/post-build-hook"
  description = "The post-build-hook of the node's nix-daemon (its nix.conf names it)."
}

variable "untrusted_hook" {
  type        = string
  default     = "/etc/petrel/post-build-hook-untrusted"
  description = "The post-build-hook of the nix-daemon untrusted builds use, if the node runs one."
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

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

locals {
  petrel = var.petrel_command[0]
  # The hook and the uploader must agree on these two folders.
  petrel_args = concat(slice(var.petrel_command, 1, length(var.petrel_command)), ["upload", "--spool", var.spool, "--gcroots", var.gcroots])
}

job "petrel-uploader" {
  type        = "system"
  datacenters = var.datacenters

  group "uploader" {
    network {
      port "metrics" {}
    }

    # Prometheus finds every node's uploader through Consul.
    service {
      name     = "petrel-uploader"
      port     = "metrics"
      tags     = ["metrics"]
      provider = "consul"
    }

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

    task "install-untrusted-hook" {
      driver = "raw_exec"
      lifecycle {
        hook = "prestart"
      }
      config {
        command = local.petrel
        args    = concat(local.petrel_args, ["--install-hook", var.untrusted_hook, "--untrusted"])
      }
    }

    task "upload" {
      driver = "raw_exec"
      config {
        command = local.petrel
        args = concat(local.petrel_args, ["--to", var.cache, "--parallel", format("%d", var.parallel), "--metrics", "${NOMAD_ADDR_metrics}"],
        var.untrusted_cache == "" ? [] : ["--untrusted-to", var.untrusted_cache])
      }
      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
