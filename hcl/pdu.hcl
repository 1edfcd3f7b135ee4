# Power control on the gateway: a parameterized batch job that runs
# `petrel pdu` on the node wired to the PDUs. One dispatch, one action:
#
#   nomad job run hcl/pdu.hcl
#   nomad job dispatch -meta PDU=apc1 -meta OUTLET=3 -meta ACTION=cycle pdu
#
# The PDU's address and community sit in Consul KV (<kv_prefix>/pdus/<name>),
# never in meta. A Consul token, when ACLs are on, goes in the Nomad Variable
# nomad/jobs/pdu (key consul_token).

variable "node_class" {
  type        = string
  default     = "gateway"
  description = "Node class of the gateway clients, the machines that reach the PDUs."
}

variable "driver" {
  type        = string
  default     = "raw_exec"
  description = "raw_exec (the virtual and shell PDUs run programs of the gateway) or exec."
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

job "pdu" {
  type        = "batch"
  datacenters = var.datacenters

  constraint {
    attribute = "${node.class}"
    value     = var.node_class
  }

  parameterized {
    payload       = "forbidden"
    meta_required = ["PDU", "OUTLET", "ACTION"]
  }

  group "pdu" {
    # A failed switch is reported, not repeated behind the operator's back:
    # `petrel pdu` already retries what retrying can fix.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "pdu" {
      driver = var.driver

      config {
        command = var.command
        args    = concat(var.args, ["pdu", "--pdu", "${NOMAD_META_PDU}", "--outlet", "${NOMAD_META_OUTLET}", "--action", "${NOMAD_META_ACTION}"])
      }

      env {
        CONSUL_HTTP_ADDR = var.consul_addr
        PETREL_KV_PREFIX = var.kv_prefix
      }

      template {
        destination = "${NOMAD_SECRETS_DIR}/tokens.env"
        env         = true
        data        = <<-EOT
          {{- if nomadVarExists "nomad/jobs/pdu" }}{{ with nomadVar "nomad/jobs/pdu" }}
          {{- if .consul_token }}CONSUL_HTTP_TOKEN={{ .consul_token }}{{ end }}
          {{- end }}{{ end }}
        EOT
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
