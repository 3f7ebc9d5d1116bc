# terraform test with a mocked AWS provider: nothing is created. It proves
# the function's IAM policy grants only what the module promises, and that
# the apply invocation reruns exactly when the spec changes.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_vpc_endpoint_service" {
    defaults = { service_name = "com.amazonaws.us-east-1.secretsmanager" }
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
    condition     = coalesce(aws_lambda_function.this.reserved_concurrent_executions, -1) == -1 && aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.architectures[0] == "arm64"
    error_message = "the function must be provided.al2023, arm64, with no reserved concurrency by default (a new account cannot reserve any)"
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

# Lambda's 4 KB limit is on the whole environment serialized as one JSON
# object. The padding variable brings it to exactly 4096 bytes (fits) and
# 4097 (does not): the spec is then left out of the environment.
run "environment_size_baseline" {
  command = plan
  variables {
    environment = { PAD = "" }
  }
}

run "environment_just_under_the_limit" {
  command = plan
  variables {
    environment = { PAD = format("%${4096 - run.environment_size_baseline.environment_bytes}s", "") }
  }
  assert {
    condition     = output.environment_bytes == 4096 && output.spec_in_environment
    error_message = "an environment of exactly 4096 bytes fits and carries the spec"
  }
  assert {
    condition     = length(jsonencode(aws_lambda_function.this.environment[0].variables)) == 4096 && aws_lambda_function.this.environment[0].variables["ROLEKEEPER_SPEC"] == jsonencode(yamldecode(var.spec_yaml))
    error_message = "the function's variables, serialized, are the 4096 bytes measured"
  }
}

run "environment_just_over_the_limit" {
  command = plan
  variables {
    environment = { PAD = format("%${4097 - run.environment_size_baseline.environment_bytes}s", "") }
  }
  assert {
    condition     = output.environment_bytes == 4097 && !output.spec_in_environment
    error_message = "4097 bytes do not fit"
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.this.environment[0].variables), "ROLEKEEPER_SPEC") && length(jsonencode(aws_lambda_function.this.environment[0].variables)) <= 4096
    error_message = "a spec that does not fit is left out, and what remains fits"
  }
}

run "exactly_one_spec_input_neither" {
  command = plan
  variables {
    spec_yaml = null
  }
  expect_failures = [aws_lambda_function.this]
}

run "exactly_one_spec_input_both" {
  command = plan
  variables {
    spec = { roles = { viewer = { auth = "iam" } } }
  }
  expect_failures = [aws_lambda_function.this]
}

run "names_fit_iam" {
  command = plan
  variables {
    name = "a-name-of-fifty-eight-characters-which-is-one-too-many-xxx"
  }
  expect_failures = [var.name]
}

run "govcloud_arns_and_existing_endpoint" {
  command = apply
  variables {
    name                        = "a-name-of-fifty-seven-characters-which-is-just-enough-xxx"
    admin_secret_arn            = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:rds!cluster-abc-Xy12Zw"
    admin_secret_kms_key_arn    = "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1111"
    endpoint_security_group_ids = ["sg-aws-services"]
    reserved_concurrency        = 1
    wait_for                    = ["arn:aws-us-gov:rds:us-gov-west-1:123456789012:db:app-dev-primary"]
    spec = {
      roles = {
        app       = { auth = "iam" }
        reporting = { auth = "password", password_secret = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:app/reporting-AbCdEf" }
        etl       = { auth = "password" }
      }
    }
    spec_yaml = null
  }
  assert {
    condition     = length(aws_iam_role.this.name) <= 64 && aws_iam_role.this.name == "${var.name}-lambda"
    error_message = "the role's name must fit IAM's 64 characters"
  }
  assert {
    condition = toset(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ManagePasswordSecrets"]).Resource) == toset([
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:app/reporting-AbCdEf",
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:rolekeeper/app/etl-??????",
    ])
    error_message = "a password_secret given as an ARN is that ARN; a default name is rolekeeper/<database>/<role> in the secret's partition"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ManagePasswordSecrets"]).Action == ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
    error_message = "exactly the Secrets Manager calls the code makes"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ConnectAsCheckedUsers"]).Resource == ["arn:aws-us-gov:rds-db:us-gov-west-1:123456789012:dbuser:cluster-ABCDEFGHIJ/app"]
    error_message = "rds-db:connect ARNs follow the partition"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "DecryptAdminSecret"]).Condition.StringEquals["kms:ViaService"] == "secretsmanager.us-gov-west-1.amazonaws.com"
    error_message = "kms:ViaService names the secret's region"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.existing_endpoint_from_function["sg-aws-services"].referenced_security_group_id == aws_security_group.this.id && aws_vpc_security_group_ingress_rule.existing_endpoint_from_function["sg-aws-services"].from_port == 443
    error_message = "an existing endpoint's security group admits the function on 443"
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "reserved concurrency is the variable"
  }
  assert {
    condition     = terraform_data.database_ready.input == var.wait_for
    error_message = "the apply invocation waits for wait_for"
  }
  assert {
    condition     = output.role_name == aws_iam_role.this.name && output.log_group_name == "/aws/lambda/${var.name}" && output.role_arn == aws_iam_role.this.arn && output.log_group_arn == aws_cloudwatch_log_group.this.arn
    error_message = "outputs for the role and the log group"
  }
}

run "china_endpoint_service_name" {
  command = apply
  variables {
    admin_secret_arn               = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:rds!cluster-abc-Xy12Zw"
    admin_secret_kms_key_arn       = "arn:aws-cn:kms:cn-north-1:123456789012:key/1111"
    create_secretsmanager_endpoint = true
  }
  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }
  override_data {
    target = data.aws_vpc_endpoint_service.secretsmanager[0]
    values = { service_name = "cn.com.amazonaws.cn-north-1.secretsmanager" }
  }
  assert {
    condition     = aws_vpc_endpoint.secretsmanager[0].service_name == "cn.com.amazonaws.cn-north-1.secretsmanager"
    error_message = "the endpoint's service name comes from the partition's endpoint service"
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "DecryptAdminSecret"]).Condition.StringEquals["kms:ViaService"] == "secretsmanager.cn-north-1.amazonaws.com.cn"
    error_message = "kms:ViaService uses the partition's DNS suffix"
  }
  assert {
    condition     = startswith(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "Logs"]).Resource[0], "arn:") && startswith(one([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s if s.Sid == "ConnectAsCheckedUsers"]).Resource[0], "arn:aws-cn:rds-db:cn-north-1:")
    error_message = "ARNs are in aws-cn"
  }
}
