# A build node's clean-up: `petrel gc` on every node, daily. It removes build
# GC roots older than `days`, then collects the Nix store's garbage, keeping
# every path still queued for upload (the uploader's spool and roots).
#
#   nomad job run hcl/gc.hcl
#   nomad job run -var days=3 -var 'cron=0 */6 * * *' hcl/gc.hcl

variable "petrel_command" {
  type        = list(string)
  default     = ["/usr/bin/node", "/opt/petrel/dist/cli.js"]
  description = "How to invoke Petrel on the node, before the `gc` argument."
}

variable "cron" {
  type    = string
  default = "@daily"
}

variable "days" {
  type        = number
  default     = 7
  description = "Age in days after which a build's GC root goes."
}

variable "gcroots" {
  type        = string
  default     = "/nix/var/nix/gcroots/petrel"
  description = "The builds' GC roots: hcl/builder.hcl's gcroots."
}

variable "spool" {
  type        = string
  default     = "/var/spool/petrel/upload"
  description = "The upload spool: hcl/uploader.hcl's spool."
}

variable "upload_gcroots" {
  type        = string
  default     = "/nix/var/nix/gcroots/petrel-upload"
  description = "Where the post-build-hook roots queued outputs: hcl/uploader.hcl's gcroots."
}

variable "node_pool" {
  type        = string
  default     = "all"
  description = "The node pool whose nodes are cleaned."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

job "petrel-gc" {
  # A sysbatch job runs once on every eligible node each time it is launched.
  type        = "sysbatch"
  datacenters = var.datacenters
  node_pool   = var.node_pool

  periodic {
    crons            = [var.cron]
    prohibit_overlap = true
  }

  group "gc" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    # Root on the host: the GC roots, the spool and the store are the node's own.
    task "gc" {
      driver = "raw_exec"
      config {
        command = var.petrel_command[0]
        args = concat(slice(var.petrel_command, 1, length(var.petrel_command)), [
          "gc", "--days", format("%d", var.days), "--gcroots", var.gcroots,
          "--spool", var.spool, "--upload-gcroots", var.upload_gcroots,
        ])
      }
      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
