# Scheduled rotation (rotation.tf) with a mocked AWS provider: one rotation
# per password user, Secrets Manager allowed to invoke the function for
# this account only, and no IAM action beyond what the secrets already had.

mock_provider "aws" {
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/rk" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/rk-lambda" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:rk" }
  }
  mock_resource "aws_lambda_invocation" {
    defaults = { result = "{\"format_version\":1,\"changed\":true,\"applied\":true}" }
  }
}

variables {
  name                       = "rk"
  package_file               = "tests/fixtures/package.zip"
  vpc_id                     = "vpc-0123"
  subnet_ids                 = ["subnet-a", "subnet-b"]
  database_security_group_id = "sg-database"
  database_host              = "app.cluster-abc.us-east-1.rds.amazonaws.com"
  database_name              = "app"
  cluster_resource_id        = "cluster-ABCDEFGHIJ"
  admin_secret_arn           = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-Xy12Zw"
  spec = {
    roles = {
      web     = { auth = "password", password_secret = "app/web", rotation = "alternating" }
      reports = { auth = "password" }
      app     = { auth = "iam" }
      gone    = { auth = "password", state = "absent" }
    }
  }
}

run "no_rotation_unless_scheduled" {
  command = apply
  assert {
    condition     = length(aws_secretsmanager_secret_rotation.password_users) == 0 && length(aws_lambda_permission.rotation) == 0
    error_message = "rotation is configured only when rotation_schedule is set"
  }
}

run "one_rotation_per_password_user" {
  command = apply
  variables {
    rotation_schedule = "rate(30 days)"
    rotation_window   = "3h"
  }
  assert {
    condition = { for k, r in aws_secretsmanager_secret_rotation.password_users : k => r.secret_id } == {
      web     = "app/web"
      reports = "rolekeeper/app/reports"
    }
    error_message = "one rotation per present auth: password role, on its secret"
  }
  assert {
    condition = alltrue([for r in aws_secretsmanager_secret_rotation.password_users :
      r.rotation_lambda_arn == aws_lambda_function.this.arn && r.rotation_rules[0].schedule_expression == "rate(30 days)" &&
    r.rotation_rules[0].duration == "3h" && r.rotate_immediately == false])
    error_message = "each rotation uses the function, the schedule and the window"
  }
  assert {
    condition = (aws_lambda_permission.rotation[0].principal == "secretsmanager.amazonaws.com" &&
      aws_lambda_permission.rotation[0].action == "lambda:InvokeFunction" &&
    aws_lambda_permission.rotation[0].source_account == "123456789012")
    error_message = "Secrets Manager may invoke the function, for this account's secrets only"
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "ManagePasswordSecrets"])) == toset([
      "secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
      "secretsmanager:UpdateSecretVersionStage", "secretsmanager:DescribeSecret", "secretsmanager:TagResource",
    ])
    error_message = "rotation needs no IAM action beyond the password secrets' statement"
  }
  assert {
    condition = toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ManagePasswordSecrets"]).Resource) == toset([
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/web-??????",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:rolekeeper/app/reports-??????",
    ])
    error_message = "rotation reaches only the password users' secrets"
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if contains(s.Action, "secretsmanager:RotateSecret") || contains(s.Action, "secretsmanager:GetRandomPassword")]) == 0
    error_message = "the function neither starts rotations nor asks Secrets Manager for passwords"
  }
}
