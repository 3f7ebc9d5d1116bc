variable "name" {
  description = "Name of the function, and prefix of the resources the module creates."
  type        = string
  default     = "rolekeeper"
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
  description = "Database the spec describes."
  type        = string
}

variable "cluster_resource_id" {
  description = "The cluster's (or instance's) resource id (cluster-ABC...), used in rds-db:connect ARNs."
  type        = string
}

variable "admin_secret_arn" {
  description = "ARN of the secret holding the admin credential, e.g. the RDS-managed master user secret ({\"username\",\"password\"})."
  type        = string
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
  description = "Function timeout in seconds (connection retries while an Aurora Serverless cluster resumes are included)."
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
