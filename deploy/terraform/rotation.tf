# Secrets Manager rotates the password users' secrets on a schedule, with
# this function as their rotation function (docs/rotation.md): one
# aws_secretsmanager_secret_rotation per auth: password role, and the
# permission for Secrets Manager to invoke the function. The rotation
# steps call GetSecretValue, PutSecretValue and UpdateSecretVersionStage
# (granted by ManagePasswordSecrets in iam.tf) and DescribeSecret, which
# only rotation needs: its own statement below, on the rotated secrets
# only. The function generates passwords itself (no
# secretsmanager:GetRandomPassword) and never starts a rotation (no
# secretsmanager:RotateSecret).

variable "rotation_schedule" {
  description = "Rotate the password users' secrets on this schedule (a Secrets Manager schedule expression such as \"rate(30 days)\" or \"cron(0 4 ? * SUN *)\"); null: no scheduled rotation."
  type        = string
  default     = null
}

variable "rotation_window" {
  description = "How long each scheduled rotation may take to start, e.g. \"3h\" (Secrets Manager's default when null)."
  type        = string
  default     = null
}

variable "rotate_immediately" {
  description = "Rotate each secret as soon as rotation is configured, rather than at the first scheduled time."
  type        = bool
  default     = false
}

locals {
  rotated_secrets = var.rotation_schedule == null ? {} : {
    for name, r in local.roles : name => try(r.password_secret, "rolekeeper/${local.spec_database}/${name}")
    if try(r.auth, "none") == "password" && try(r.state, "present") != "absent"
  }
}

resource "aws_iam_role_policy" "rotation" {
  count = length(local.rotated_secrets) == 0 ? 0 : 1
  name  = "${var.name}-rotation"
  role  = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "DescribeRotatedSecrets"
      Effect   = "Allow"
      Action   = ["secretsmanager:DescribeSecret"]
      Resource = [for s in values(local.rotated_secrets) : startswith(s, "arn:") ? s : "${local.secret_arn_prefix}:${s}-??????"]
    }]
  })
}

# Secrets Manager may invoke the function, for secrets of this account only.
resource "aws_lambda_permission" "rotation" {
  count          = length(local.rotated_secrets) == 0 ? 0 : 1
  statement_id   = "SecretsManagerRotation"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "secretsmanager.amazonaws.com"
  source_account = local.account
}

resource "aws_secretsmanager_secret_rotation" "password_users" {
  for_each            = local.rotated_secrets
  secret_id           = each.value
  rotation_lambda_arn = aws_lambda_function.this.arn
  rotate_immediately  = var.rotate_immediately

  rotation_rules {
    schedule_expression = var.rotation_schedule
    duration            = var.rotation_window
  }

  # The function's apply creates the secrets.
  depends_on = [aws_lambda_invocation.apply, aws_lambda_permission.rotation, aws_iam_role_policy.rotation]
}
