variable "name" {
  description = "Name of the function, and prefix of the resources the module creates (at most 57 characters, so that the role's name, name-lambda, fits IAM's 64)."
  type        = string
  default     = "rolekeeper"
  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,57}$", var.name))
    error_message = "name must be 1 to 57 letters, digits, - or _ (Lambda's function-name characters; IAM's 64-character role name with the -lambda suffix)."
  }
}

variable "package_file" {
  description = "Path to the Lambda zip built by `make lambda` (dist/rolekeeper-arm64.zip or dist/rolekeeper-amd64.zip)."
  type        = string
}

variable "architecture" {
  description = "arm64 (default, cheaper) or x86_64; must match package_file."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets for the function: the database's subnets, or any that reach it."
  type        = list(string)
}

variable "database_security_group_id" {
  description = "Security group of the database: the module adds an ingress rule from the function on database_port."
  type        = string
}

variable "database_host" {
  description = "Database endpoint (the cluster's writer endpoint)."
  type        = string
}

variable "database_port" {
  description = "Database port."
  type        = number
  default     = 5432
}

variable "database_name" {
  description = "Database the spec describes, and the one the function connects to first (PGDATABASE). A spec with databases names its own; this one must exist (e.g. postgres, or one of them)."
  type        = string
}

variable "cluster_resource_id" {
  description = "The cluster's (or instance's) resource id (cluster-ABC...), used in rds-db:connect ARNs."
  type        = string
}

variable "admin_secret_arn" {
  description = "ARN of the secret holding the admin credential, e.g. the RDS-managed master user secret ({\"username\",\"password\"}). Its partition, region and account are those of every ARN the module writes."
  type        = string
  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.admin_secret_arn))
    error_message = "admin_secret_arn must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<suffix>)."
  }
}

variable "admin_secret_kms_key_arn" {
  description = "KMS key that encrypts the admin secret, when it is not the AWS-managed key."
  type        = string
  default     = null
}

variable "spec" {
  description = "The spec as an HCL object (the same fields as the YAML file). Give this or spec_yaml."
  type        = any
  default     = null
}

variable "spec_yaml" {
  description = "The spec as YAML text, e.g. file(\"roles.yaml\"). Give this or spec."
  type        = string
  default     = null
}

variable "check_users" {
  description = "IAM-authenticated users the function may log in as for `check` (rds-db:connect). Default: every auth: iam role in the spec."
  type        = list(string)
  default     = null
}

variable "run_apply" {
  description = "Invoke the function with apply whenever the spec or the code changes, so terraform apply fails if provisioning fails."
  type        = bool
  default     = true
}

variable "wait_for" {
  description = "Anything the apply invocation must wait for, e.g. [aws_rds_cluster_instance.writer.arn] for a new Aurora cluster (the cluster accepts no connection until its writer instance exists), or an existing endpoint's rules. Values are only waited on, never read."
  type        = list(any)
  default     = []
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the function. null (default): none, which works on a new account (whose unreserved concurrency may not fall below 10). 1 caps the function at one run and one database connection at a time; runs are serialized by an advisory lock either way."
  type        = number
  default     = null
}

variable "endpoint_security_group_ids" {
  description = "Security groups of existing interface VPC endpoints the function must reach (Secrets Manager; SSM too when the admin password comes through it): the module adds an ingress rule from the function on 443 to each. template-infra: the network's aws_services security group."
  type        = list(string)
  default     = []
}

variable "ca_bundle_pem" {
  description = "Extra PEM certificates trusted for the database's TLS, besides the Amazon RDS CAs embedded in the binary (ROLEKEEPER_CA_BUNDLE): for regions or partitions whose CA the embedded bundle lacks."
  type        = string
  default     = null
}

variable "environment" {
  description = "More environment variables for the function (e.g. ROLEKEEPER_LOG_LEVEL = \"debug\")."
  type        = map(string)
  default     = {}
}

variable "create_secretsmanager_endpoint" {
  description = "Create an interface VPC endpoint for Secrets Manager, for subnets without a NAT gateway."
  type        = bool
  default     = false
}

variable "sslmode" {
  description = "PGSSLMODE of the admin connection; verify-full checks the server against the Amazon RDS CAs embedded in the binary."
  type        = string
  default     = "verify-full"
}

variable "memory_size" {
  description = "Function memory in MB (128 is enough for the standard layout; more for thousands of grants)."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Function timeout in seconds. rolekeeper derives every wait (connection retries, lock waits, statements) from it, keeping time to roll back and answer; 300 covers an Aurora Serverless v2 cluster resuming from zero capacity (about 15 s, up to a minute) with room for a large apply."
  type        = number
  default     = 300
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
