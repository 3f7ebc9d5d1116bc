# terraform test with a mocked AWS provider: nothing is created. It proves
# the function's IAM policy grants only what the module promises, and that
# the apply invocation reruns exactly when the spec changes.

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
  spec_yaml                  = file("../../examples/app.yaml")
}

run "policy_grants_only_what_is_listed" {
  command = apply

  assert {
    condition = toset([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid]) == toset([
      "Logs", "VpcNetworkInterfaces", "ReadAdminSecret", "ConnectAsCheckedUsers", "ManagePasswordSecrets",
    ])
    error_message = "unexpected policy statements"
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
    s.Effect == "Allow" && !contains(s.Action, "*") && !anytrue([for a in s.Action : endswith(a, ":*")])])
    error_message = "a statement allows a wildcard action"
  }
  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
    s.Sid == "VpcNetworkInterfaces" || !contains(s.Resource, "*")])
    error_message = "only the VPC network interface statement may name every resource (EC2 offers no narrower one)"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadAdminSecret"]).Resource == [var.admin_secret_arn]
    error_message = "the function may read only the admin secret"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ReadAdminSecret"]).Action == ["secretsmanager:GetSecretValue"]
    error_message = "the admin secret is only read"
  }
  assert {
    condition = toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ConnectAsCheckedUsers"]).Resource) == toset([
      "arn:aws:rds-db:us-east-1:123456789012:dbuser:cluster-ABCDEFGHIJ/app",
      "arn:aws:rds-db:us-east-1:123456789012:dbuser:cluster-ABCDEFGHIJ/migrator",
    ])
    error_message = "rds-db:connect must name exactly the IAM users of the spec"
  }
  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ManagePasswordSecrets"]).Resource == [
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/reporting-??????",
    ]
    error_message = "secret writes must be limited to the password users' secrets"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "Logs"]).Resource == ["arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/rk:*"]
    error_message = "logs may be written only to the function's own log group"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1 && aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.architectures[0] == "arm64"
    error_message = "the function must be provided.al2023, arm64, with reserved concurrency 1"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.database_from_function.from_port == 5432 && aws_vpc_security_group_ingress_rule.database_from_function.security_group_id == "sg-database"
    error_message = "the database must admit the function on its port"
  }
  assert {
    condition     = keys(output.iam_connect_policies) == ["app", "migrator"]
    error_message = "one rds-db:connect policy per IAM user"
  }
  assert {
    condition     = aws_lambda_invocation.apply[0].triggers.spec == output.spec_hash
    error_message = "the invocation must be triggered by the spec's hash"
  }
  assert {
    condition     = length(aws_vpc_endpoint.secretsmanager) == 0 && length(aws_iam_role_policy.this.policy) > 0
    error_message = "no VPC endpoint unless asked for"
  }
}

run "same_spec_same_trigger" {
  command = apply
  assert {
    condition     = output.spec_hash == run.policy_grants_only_what_is_listed.spec_hash
    error_message = "the same spec must not rerun the apply"
  }
}

run "spec_change_reruns_apply" {
  command = apply
  variables {
    spec_yaml = "${file("../../examples/app.yaml")}\nextensions: [pgcrypto]\n"
  }
  assert {
    condition     = output.spec_hash != run.policy_grants_only_what_is_listed.spec_hash
    error_message = "a changed spec must change the trigger"
  }
  assert {
    condition     = aws_lambda_invocation.apply[0].triggers.spec == output.spec_hash
    error_message = "the invocation's trigger must follow the spec"
  }
}

run "kms_and_endpoint_only_when_asked" {
  command = apply
  variables {
    admin_secret_kms_key_arn       = "arn:aws:kms:us-east-1:123456789012:key/1111"
    create_secretsmanager_endpoint = true
    check_users                    = ["app"]
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "DecryptAdminSecret"]).Resource == ["arn:aws:kms:us-east-1:123456789012:key/1111"]
    error_message = "decrypt only the admin secret's key"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ConnectAsCheckedUsers"]).Resource == ["arn:aws:rds-db:us-east-1:123456789012:dbuser:cluster-ABCDEFGHIJ/app"]
    error_message = "check_users narrows rds-db:connect"
  }
  assert {
    condition     = length(aws_vpc_endpoint.secretsmanager) == 1
    error_message = "the Secrets Manager endpoint was asked for"
  }
}
