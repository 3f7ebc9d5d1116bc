# An application's database and its users in one `terraform apply`: the
# rolekeeper function runs in the database's VPC and applies roles.yaml
# whenever it (or the function's code) changes.
#
# Build the package first: make lambda (from the repository root).

terraform {
  required_version = ">= 1.7"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 7.0"
    }
  }
}

variable "vpc_id" { type = string }
variable "database_subnet_ids" { type = list(string) }
variable "cluster_identifier" {
  description = "An Aurora PostgreSQL cluster created with manage_master_user_password = true and iam_database_authentication_enabled = true."
  type        = string
}

data "aws_rds_cluster" "db" {
  cluster_identifier = var.cluster_identifier
}

module "roles" {
  source = "../.."

  name                       = "${var.cluster_identifier}-roles"
  package_file               = "${path.module}/../../../../dist/rolekeeper-arm64.zip"
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.database_subnet_ids
  database_security_group_id = one(data.aws_rds_cluster.db.vpc_security_group_ids)
  database_host              = data.aws_rds_cluster.db.endpoint
  database_port              = data.aws_rds_cluster.db.port
  database_name              = data.aws_rds_cluster.db.database_name
  cluster_resource_id        = data.aws_rds_cluster.db.cluster_resource_id
  admin_secret_arn           = data.aws_rds_cluster.db.master_user_secret[0].secret_arn
  admin_secret_kms_key_arn   = data.aws_rds_cluster.db.master_user_secret[0].kms_key_id
  spec_yaml                  = file("${path.module}/roles.yaml")
}

# Let the application's service role log in as "app".
resource "aws_iam_policy" "app_db_connect" {
  name   = "${var.cluster_identifier}-app-db-connect"
  policy = module.roles.iam_connect_policies["app"]
}

output "function_name" { value = module.roles.function_name }
output "apply_result" { value = module.roles.apply_result }
