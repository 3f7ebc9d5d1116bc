# Least privilege: write its own logs, manage its VPC network interfaces,
# read (and decrypt) the one admin secret, log in with IAM only as the
# users `check` needs, and write only the secrets its password users
# declare.

resource "aws_iam_role" "this" {
  name = "${var.name}-lambda" # var.name is at most 57 characters: IAM's limit is 64
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

locals {
  policy_statements = concat(
    [
      {
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      },
      {
        # Lambda creates and removes the function's network interfaces in the VPC.
        Sid    = "VpcNetworkInterfaces"
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ]
        Resource = ["*"]
      },
      {
        Sid      = "ReadAdminSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [var.admin_secret_arn]
      },
    ],
    var.admin_secret_kms_key_arn == null ? [] : [{
      Sid      = "DecryptAdminSecret"
      Effect   = "Allow"
      Action   = ["kms:Decrypt"]
      Resource = [var.admin_secret_kms_key_arn]
      Condition = {
        StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.${local.dns_suffix}" }
      }
    }],
    length(local.check_users) == 0 ? [] : [{
      Sid      = "ConnectAsCheckedUsers"
      Effect   = "Allow"
      Action   = ["rds-db:connect"]
      Resource = [for u in local.check_users : "${local.dbuser_arn}/${u}"]
    }],
    length(local.password_secrets) == 0 ? [] : [{
      Sid    = "ManagePasswordSecrets"
      Effect = "Allow"
      # Exactly the calls secretsmanager/secretsmanager.go makes: Get,
      # Create (no tags, no KMS key), PutSecretValue (pending),
      # UpdateSecretVersionStage (promote).
      Action = [
        "secretsmanager:CreateSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
      ]
      Resource = local.password_secret_arns
    }],
  )
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.policy_statements })
}
