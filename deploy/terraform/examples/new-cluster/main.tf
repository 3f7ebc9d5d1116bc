# A new Aurora PostgreSQL cluster and its users in one `terraform apply`.
# The cluster accepts connections only once its writer instance exists, so
# the module waits for it (wait_for); the function reaches Secrets Manager
# through the NAT or endpoint the subnets already have (see
# ../../README.md for a network without either).
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
variable "db_subnet_group_name" { type = string }

resource "aws_security_group" "db" {
  name_prefix = "app-dev-db"
  description = "Database"
  vpc_id      = var.vpc_id
}

resource "aws_rds_cluster" "db" {
  cluster_identifier                  = "app-dev"
  engine                              = "aurora-postgresql"
  engine_mode                         = "provisioned"
  engine_version                      = "16"
  database_name                       = "app"
  master_username                     = "postgres"
  manage_master_user_password         = true
  iam_database_authentication_enabled = true
  storage_encrypted                   = true
  db_subnet_group_name                = var.db_subnet_group_name
  vpc_security_group_ids              = [aws_security_group.db.id]
  skip_final_snapshot                 = true

  serverlessv2_scaling_configuration {
    min_capacity = 0 # pauses when idle: the function's timeout covers the resume
    max_capacity = 1
  }
}

resource "aws_rds_cluster_instance" "writer" {
  identifier         = "app-dev-primary"
  cluster_identifier = aws_rds_cluster.db.id
  instance_class     = "db.serverless"
  engine             = aws_rds_cluster.db.engine
  engine_version     = aws_rds_cluster.db.engine_version
}

module "roles" {
  source = "../.."

  name                       = "app-dev-roles"
  package_file               = "${path.module}/../../../../dist/rolekeeper-arm64.zip"
  vpc_id                     = var.vpc_id
  subnet_ids                 = var.database_subnet_ids
  database_security_group_id = aws_security_group.db.id
  database_host              = aws_rds_cluster.db.endpoint
  database_port              = aws_rds_cluster.db.port
  database_name              = aws_rds_cluster.db.database_name
  cluster_resource_id        = aws_rds_cluster.db.cluster_resource_id
  admin_secret_arn           = aws_rds_cluster.db.master_user_secret[0].secret_arn
  admin_secret_kms_key_arn   = aws_rds_cluster.db.master_user_secret[0].kms_key_id
  spec_yaml                  = file("${path.module}/../../../../examples/template-infra.yaml")

  # The cluster resource is created before its instance; connections wait
  # for the instance.
  wait_for = [aws_rds_cluster_instance.writer.arn]
}

output "function_name" { value = module.roles.function_name }
output "apply_result" { value = module.roles.apply_result }
