# Switches one PDU outlet from the lab's gateway: the node wired to the PDUs.
#
#   nomad job run hcl/pdu.hcl
#   nomad job dispatch -meta PDU=apc1 -meta OUTLET=3 -meta ACTION=cycle pdu
#
# The PDU's address and community come from Consul KV (<prefix>/pdus/<name>).

variable "node_class" {
  type        = string
  default     = "gateway"
  description = "Node class of the gateway that can reach the PDUs."
}

variable "driver" {
  type    = string
  default = "exec"
}

variable "petrel" {
  type        = string
  default     = "/usr/local/bin/petrel"
  description = "The petrel binary on the gateway."
}

variable "consul_addr" {
  type    = string
  default = "127.0.0.1:8500"
}

job "pdu" {
  type = "batch"

  parameterized {
    payload       = "forbidden"
    meta_required = ["PDU", "OUTLET", "ACTION"]
  }

  constraint {
    attribute = "${node.class}"
    value     = var.node_class
  }

  group "pdu" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    task "pdu" {
      driver = var.driver

      config {
        command = var.petrel
        args    = ["pdu", "--pdu", "${NOMAD_META_PDU}", "--outlet", "${NOMAD_META_OUTLET}", "--action", "${NOMAD_META_ACTION}"]
      }

      env {
        CONSUL_HTTP_ADDR = var.consul_addr
      }

      resources {
        cpu    = 100
        memory = 128
      }
    }
  }
}
