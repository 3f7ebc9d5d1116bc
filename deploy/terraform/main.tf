# rolekeeper as a Lambda function in the database's VPC, invoked with
# `apply` whenever the spec or the code changes: creating the database and
# its users becomes one `terraform apply`, and the database stays private.

# Region, account and partition come from the admin secret's ARN (the
# function reads that secret, so it lives where the function runs): no
# data source whose attributes differ between AWS provider 5.x and 6.x
# (aws_region.name is deprecated in 6.x, aws_region.region absent in 5.x),
# and every ARN below is right in aws-cn and aws-us-gov.
data "aws_partition" "current" {}

locals {
  # Through JSON text, so that the two inputs' different object types never
  # meet in one conditional (a precondition requires exactly one of them).
  spec = jsondecode(var.spec_yaml != null ? jsonencode(yamldecode(var.spec_yaml)) : jsonencode(var.spec))
  # The function reads the spec from its environment too, for `check` and
  # `plan` invocations without a config (rolekeeper invoke).
  spec_json = jsonencode(local.spec)
  roles     = try(local.spec.roles, {})

  iam_users   = [for name, r in local.roles : name if try(r.auth, "none") == "iam" && try(r.state, "present") != "absent"]
  check_users = var.check_users != null ? var.check_users : local.iam_users
  # The secret names the code uses (spec.DefaultSecretName): the role's
  # password_secret, else rolekeeper/<database>/<role>; the database is the
  # spec's own when it names one, and for a spec with databases the first
  # of them by name (one secret per password user for the whole cluster).
  spec_databases = try(sort(keys(local.spec.databases)), [])
  spec_database  = try(local.spec.database, try(local.spec_databases[0], var.database_name))
  password_secrets = [
    for name, r in local.roles : try(r.password_secret, "rolekeeper/${local.spec_database}/${name}")
    if try(r.auth, "none") == "password" && try(r.state, "present") != "absent"
  ]
  # A secret given as a full ARN is that one secret; a name matches the
  # six random characters Secrets Manager appends to its ARN.
  password_secret_arns = [for s in local.password_secrets :
    startswith(s, "arn:") ? s : "${local.secret_arn_prefix}:${s}-??????"
  ]

  admin_arn         = split(":", var.admin_secret_arn)
  partition         = local.admin_arn[1]
  region            = local.admin_arn[3]
  account           = local.admin_arn[4]
  dns_suffix        = data.aws_partition.current.dns_suffix
  dbuser_arn        = "arn:${local.partition}:rds-db:${local.region}:${local.account}:dbuser:${var.cluster_resource_id}"
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret"

  # Lambda refuses an environment whose variables, serialized as one JSON
  # object, exceed 4 KB (4096 bytes). The spec is put there only when the
  # whole map still fits; otherwise it travels in the apply invocation's
  # event, and plan/check get it from `rolekeeper invoke -f FILE`.
  base_environment = merge({
    PGHOST                  = var.database_host
    PGPORT                  = tostring(var.database_port)
    PGDATABASE              = var.database_name
    PGSSLMODE               = var.sslmode
    ROLEKEEPER_ADMIN_SECRET = var.admin_secret_arn
    }, var.ca_bundle_pem == null ? {} : { ROLEKEEPER_CA_BUNDLE = var.ca_bundle_pem },
  var.environment)
  with_spec           = merge(local.base_environment, { ROLEKEEPER_SPEC = local.spec_json })
  environment_bytes   = length(jsonencode(local.with_spec))
  spec_in_environment = local.environment_bytes <= 4096
  environment         = local.spec_in_environment ? local.with_spec : local.base_environment
}

# Waits for what the database needs before it takes connections (the
# cluster's writer instance, its security group rules, the Secrets Manager
# endpoint): the apply invocation runs only after all of wait_for exists.
resource "terraform_data" "database_ready" {
  input = var.wait_for
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

  # null (the default): no reservation, which a new account needs (its
  # unreserved concurrency may not go below 10). rolekeeper serializes runs
  # with an advisory lock either way; a reservation also caps how many
  # database connections the function can open at once.
  reserved_concurrent_executions = var.reserved_concurrency

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.this.id]
  }

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags       = var.tags
  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]

  lifecycle {
    precondition {
      condition     = (var.spec == null) != (var.spec_yaml == null)
      error_message = "Give exactly one of spec (an HCL object) and spec_yaml (YAML text)."
    }
    precondition {
      condition     = length(jsonencode(local.base_environment)) <= 4096
      error_message = "The function's environment exceeds Lambda's 4 KB limit even without the spec: shorten var.environment or ca_bundle_pem."
    }
  }
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

  # The database and the function's network paths must exist first.
  depends_on = [
    terraform_data.database_ready,
    aws_vpc_security_group_ingress_rule.database_from_function,
    aws_vpc_security_group_egress_rule.database,
    aws_vpc_security_group_egress_rule.https,
    aws_vpc_security_group_ingress_rule.endpoint_from_function,
    aws_vpc_security_group_ingress_rule.existing_endpoint_from_function,
    aws_vpc_endpoint.secretsmanager,
  ]
}
