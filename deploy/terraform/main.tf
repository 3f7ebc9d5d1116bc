# rolekeeper as a Lambda function in the database's VPC, invoked with
# `apply` whenever the spec or the code changes: creating the database and
# its users becomes one `terraform apply`, and the database stays private.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  spec = var.spec_yaml != null ? yamldecode(var.spec_yaml) : var.spec
  # The function reads the spec from its environment too, for `check` and
  # `plan` invocations without a config (rolekeeper invoke).
  spec_json = jsonencode(local.spec)
  roles     = try(local.spec.roles, {})

  iam_users   = [for name, r in local.roles : name if try(r.auth, "none") == "iam" && try(r.state, "present") != "absent"]
  check_users = var.check_users != null ? var.check_users : local.iam_users
  password_secrets = [
    for name, r in local.roles : try(r.password_secret, "rolekeeper/${var.database_name}/${name}")
    if try(r.auth, "none") == "password" && try(r.state, "present") != "absent"
  ]

  region            = data.aws_region.current.name
  account           = data.aws_caller_identity.current.account_id
  partition         = data.aws_partition.current.partition
  dbuser_arn        = "arn:${local.partition}:rds-db:${local.region}:${local.account}:dbuser:${var.cluster_resource_id}"
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = "rolekeeper: PostgreSQL users and privileges for ${var.database_name}"
  role             = aws_iam_role.this.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.package_file
  source_code_hash = filebase64sha256(var.package_file)
  memory_size      = var.memory_size
  timeout          = var.timeout

  # One run at a time; rolekeeper also serializes runs with an advisory lock.
  reserved_concurrent_executions = 1

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  environment {
    # Lambda allows 4 KB of environment: a larger spec is sent only in the
    # apply invocation, and `rolekeeper invoke -f FILE` sends it for plan
    # and check.
    variables = merge({
      PGHOST                  = var.database_host
      PGPORT                  = tostring(var.database_port)
      PGDATABASE              = var.database_name
      PGSSLMODE               = var.sslmode
      ROLEKEEPER_ADMIN_SECRET = var.admin_secret_arn
    }, length(local.spec_json) <= 3072 ? { ROLEKEEPER_SPEC = local.spec_json } : {})
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

# Provisioning is part of `terraform apply`: a failed apply is a function
# error, which fails the plan. The result holds no secret (passwords are
# never in rolekeeper's responses).
resource "aws_lambda_invocation" "apply" {
  count         = var.run_apply ? 1 : 0
  function_name = aws_lambda_function.this.function_name
  input         = jsonencode({ action = "apply", config = local.spec })

  triggers = {
    spec = sha256(local.spec_json)
    code = aws_lambda_function.this.source_code_hash
  }
}
