# A board run on the gateway: a parameterized batch job that runs
# `petrel dut`, which powers the board on, prints its console to stdout (so
# Nomad keeps it and /build?job=… streams it), judges it and powers it off.
# The job's exit code is the verdict: 0 pass, 1 fail, 2 incomplete.
#
#   nomad job run hcl/dut.hcl
#   nomad job dispatch -meta DUT=board7 dut
#
# The board's PDU, outlet, console and markers sit in Consul KV
# (<kv_prefix>/duts/<name>). A Consul token, when ACLs are on, goes in the
# Nomad Variable nomad/jobs/dut (key consul_token).

variable "node_class" {
  type        = string
  default     = "gateway"
  description = "Node class of the gateway clients, the machines that reach the PDUs."
}

variable "driver" {
  type        = string
  default     = "raw_exec"
  description = "raw_exec (serial devices and the PDU's programs are the gateway's) or exec."
  validation {
    condition     = contains(["exec", "raw_exec"], var.driver)
    error_message = "The driver must be exec or raw_exec."
  }
}

variable "command" {
  type        = string
  default     = "petrel"
  description = "The petrel binary (or node, with the CLI script in args)."
}

variable "args" {
  type        = list(string)
  default     = []
  description = "Arguments before `pdu`."
}

variable "consul_addr" {
  type    = string
  default = "127.0.0.1:8500"
}

variable "kv_prefix" {
  type    = string
  default = "petrel"
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

job "dut" {
  type        = "batch"
  datacenters = var.datacenters

  constraint {
    attribute = "${node.class}"
    value     = var.node_class
  }

  parameterized {
    payload       = "forbidden"
    meta_required = ["DUT"]
  }

  group "dut" {
    # A verdict is final: `petrel dut` already boots again when that can help.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "dut" {
      driver = var.driver

      config {
        command = var.command
        args    = concat(var.args, ["dut", "--dut", "${NOMAD_META_DUT}"])
      }

      env {
        CONSUL_HTTP_ADDR = var.consul_addr
        PETREL_KV_PREFIX = var.kv_prefix
      }

      template {
        destination = "${NOMAD_SECRETS_DIR}/tokens.env"
        env         = true
        data        = <<-EOT
          {{- if nomadVarExists "nomad/jobs/dut" }}{{ with nomadVar "nomad/jobs/dut" }}
          {{- if .consul_token }}CONSUL_HTTP_TOKEN={{ .consul_token }}{{ end }}
          {{- end }}{{ end }}
        EOT
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
