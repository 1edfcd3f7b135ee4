# Petrel itself as a Nomad service job, registered in Consul with a health
# check on /healthz, so the webhook receiver is one more thing Nomad keeps alive.
#
#   nomad job run hcl/petrel.hcl
#   nomad job run -var driver=docker -var image=registry.example.org/petrel:0.1.0 hcl/petrel.hcl
#
# Under docker the container shares the node's network, as exec tasks do: the
# node's Consul agent answers on 127.0.0.1 only, and Consul checks and forges
# reach Petrel at the node's address.
#
# Tokens never go in this file: put them in the Nomad Variable nomad/jobs/petrel
# (keys nomad_token and consul_token); the template below hands them to the task.

variable "driver" {
  type        = string
  default     = "exec"
  description = "exec or raw_exec with `petrel` installed on the client, or docker with the image."
  validation {
    condition     = contains(["exec", "docker", "raw_exec"], var.driver)
    error_message = "The driver must be exec, docker or raw_exec."
  }
}

variable "image" {
  type    = string
  default = ""
}

variable "command" {
  type        = string
  default     = "petrel"
  description = "The petrel binary (or node, with the CLI script in args); docker runs the image's entrypoint."
}

variable "args" {
  type        = list(string)
  default     = []
  description = "Arguments before `serve`."
}

variable "nomad_addr" {
  type    = string
  default = "http://127.0.0.1:4646"
}

variable "consul_addr" {
  type    = string
  default = "127.0.0.1:8500"
}

variable "kv_prefix" {
  type    = string
  default = "petrel"
}

variable "public_url" {
  type        = string
  default     = ""
  description = "Public base URL of Petrel, for links to builds; empty means the allocation's address."
}

variable "archive" {
  type        = string
  default     = ""
  description = "Where finished builds are kept (PETREL_ARCHIVE): s3://bucket/prefix; empty keeps none. Its keys: aws_access_key_id and aws_secret_access_key in the Nomad variable nomad/jobs/petrel."
}

variable "archive_endpoint" {
  type        = string
  default     = ""
  description = "The S3 server's address when it is not AWS (AWS_ENDPOINT_URL_S3), e.g. http://garage.service.consul:3900."
}

variable "replicas" {
  type        = number
  default     = 1
  description = "How many Petrels serve; more than one needs public_url: an address in front of all of them (a balancer, a Consul service name)."
}

variable "datacenters" {
  type    = list(string)
  default = ["*"]
}

job "petrel" {
  type        = "service"
  datacenters = var.datacenters

  group "petrel" {
    # Petrel keeps no state: any number of instances can serve side by side.
    count = var.replicas

    network {
      port "http" {}
    }

    service {
      name     = "petrel"
      port     = "http"
      provider = "consul"

      check {
        type     = "http"
        path     = "/healthz"
        interval = "10s"
        timeout  = "3s"
      }
    }

    task "serve" {
      driver = var.driver

      config {
        image        = var.driver == "docker" ? var.image : null
        network_mode = var.driver == "docker" ? "host" : null
        command      = var.driver == "docker" ? null : var.command
        args         = concat(var.args, ["serve"])
      }

      env {
        PETREL_LISTEN       = "${NOMAD_ADDR_http}"
        PETREL_URL          = var.public_url == "" ? "http://${NOMAD_ADDR_http}" : var.public_url
        PETREL_KV_PREFIX    = var.kv_prefix
        NOMAD_ADDR          = var.nomad_addr
        CONSUL_HTTP_ADDR    = var.consul_addr
        PETREL_ARCHIVE      = var.archive
        AWS_ENDPOINT_URL_S3 = var.archive_endpoint
      }

      template {
        destination = "${NOMAD_SECRETS_DIR}/tokens.env"
        env         = true
        data        = <<-EOT
          {{- if nomadVarExists "nomad/jobs/petrel" }}{{ with nomadVar "nomad/jobs/petrel" }}
          {{- if .nomad_token }}NOMAD_TOKEN={{ .nomad_token }}{{ end }}
          {{ if .consul_token }}CONSUL_HTTP_TOKEN={{ .consul_token }}{{ end }}
          {{ if .aws_access_key_id }}AWS_ACCESS_KEY_ID={{ .aws_access_key_id }}{{ end }}
          {{ if .aws_secret_access_key }}AWS_SECRET_ACCESS_KEY={{ .aws_secret_access_key }}{{ end }}
          {{- end }}{{ end }}
        EOT
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
