# The module's schedules with a mocked AWS provider. (terraform test
# shares no mock provider or variables between files: module.tftest.hcl
# has the same block.)
#
# Scheduled rotation (rotation.tf): one rotation per password user,
# Secrets Manager allowed to invoke the function for this account only,
# and no IAM action but DescribeSecret on the rotated secrets added.
#
# Drift watching (drift.tf): the schedule sends
# the event that makes the function write metrics, its role may only
# invoke the function, the alarms watch the metrics the function writes
# (names, namespace and dimensions as lambda/metrics.go emits them), and
# notify the module's topic or the one given.

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
    defaults = { arn = "arn:aws:iam::123456789012:role/rk-drift-schedule" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:rk" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:rk-drift" }
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

run "nothing_unless_scheduled" {
  command = apply
  variables {
    drift_alarm = true
  }
  assert {
    condition     = length(aws_scheduler_schedule.drift) == 0 && length(aws_cloudwatch_metric_alarm.drift) == 0 && length(aws_sns_topic.drift) == 0 && length(aws_iam_role.scheduler) == 0
    error_message = "no schedule, alarm or topic without drift_schedule"
  }
}

run "schedule_invokes_plan_with_metrics" {
  command = apply
  variables {
    drift_schedule = "rate(1 hour)"
  }
  assert {
    condition     = jsondecode(aws_scheduler_schedule.drift[0].target[0].input) == { action = "plan", metrics = true }
    error_message = "the schedule must send the plan event that asks for metrics"
  }
  assert {
    condition     = aws_scheduler_schedule.drift[0].schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.drift[0].target[0].arn == aws_lambda_function.this.arn
    error_message = "the schedule must invoke the function on the given expression"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.scheduler[0].policy).Statement == [{
      Sid = "InvokeTheFunction", Effect = "Allow", Action = ["lambda:InvokeFunction"], Resource = [aws_lambda_function.this.arn]
    }]
    error_message = "the schedule's role may only invoke the function"
  }
  assert {
    condition     = jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Principal.Service == "scheduler.amazonaws.com" && jsondecode(aws_iam_role.scheduler[0].assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012"
    error_message = "only EventBridge Scheduler of this account assumes the role"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.drift) == 0 && output.drift_alarm_topic_arn == null
    error_message = "no alarm unless asked for"
  }
}

run "alarms_with_the_modules_topic" {
  command = apply
  variables {
    drift_schedule = "rate(1 hour)"
    drift_alarm    = true
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.drift)) == toset(["PendingChanges", "Problems", "PlanFailed"])
    error_message = "one alarm per drift metric"
  }
  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.drift :
      a.namespace == "rolekeeper" && a.metric_name == k && a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold" &&
      a.dimensions == tomap({ FunctionName = "rk", Database = "app" }) && a.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:rk-drift"])
    ])
    error_message = "each alarm fires on its metric above 0, with the function's dimensions, to the module's topic"
  }
  assert {
    condition     = length(aws_sns_topic.drift) == 1 && output.drift_alarm_topic_arn == "arn:aws:sns:us-east-1:123456789012:rk-drift"
    error_message = "the module creates the topic when none is given"
  }
}

run "alarms_with_a_given_topic" {
  command = apply
  variables {
    drift_schedule        = "rate(1 hour)"
    drift_alarm           = true
    drift_alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:platform-alerts"
  }
  assert {
    condition     = length(aws_sns_topic.drift) == 0 && alltrue([for a in aws_cloudwatch_metric_alarm.drift : a.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:platform-alerts"])])
    error_message = "a given topic is used, none created"
  }
}

run "no_rotation_unless_scheduled" {
  command = apply
  variables {
    spec_yaml = null
    spec = {
      roles = {
        web     = { auth = "password", password_secret = "app/web", rotation = "alternating" }
        reports = { auth = "password" }
        app     = { auth = "iam" }
        gone    = { auth = "password", state = "absent" }
      }
    }
  }
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
    spec_yaml         = null
    spec = {
      roles = {
        web     = { auth = "password", password_secret = "app/web", rotation = "alternating" }
        reports = { auth = "password" }
        app     = { auth = "iam" }
        gone    = { auth = "password", state = "absent" }
      }
    }
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
    condition = jsondecode(aws_iam_role_policy.rotation[0].policy).Statement == [{
      Sid      = "DescribeRotatedSecrets", Effect = "Allow", Action = ["secretsmanager:DescribeSecret"],
      Resource = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:app/web-??????", "arn:aws:secretsmanager:us-east-1:123456789012:secret:rolekeeper/app/reports-??????"]
      }] || jsondecode(aws_iam_role_policy.rotation[0].policy).Statement == [{
      Sid      = "DescribeRotatedSecrets", Effect = "Allow", Action = ["secretsmanager:DescribeSecret"],
      Resource = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:rolekeeper/app/reports-??????", "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/web-??????"]
    }]
    error_message = "rotation adds only DescribeSecret, on the rotated secrets"
  }
  assert {
    condition = alltrue([for a in ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"] :
    contains(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action if s.Sid == "ManagePasswordSecrets"]), a)])
    error_message = "the rotation steps' other calls are granted on the password secrets"
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

run "several_databases_alarms_and_secrets" {
  command = apply
  variables {
    drift_schedule    = "rate(1 hour)"
    drift_alarm       = true
    rotation_schedule = "rate(30 days)"
    spec_yaml         = file("../../examples/several-databases.yaml")
  }
  assert {
    condition = { for k, a in aws_cloudwatch_metric_alarm.drift : k => [a.metric_name, a.dimensions.Database] } == {
      "PendingChanges-app"       = ["PendingChanges", "app"]
      "PendingChanges-reporting" = ["PendingChanges", "reporting"]
      "Problems-app"             = ["Problems", "app"]
      "Problems-reporting"       = ["Problems", "reporting"]
      PlanFailed                 = ["PlanFailed", "app"]
    }
    error_message = "a spec with databases gets PendingChanges and Problems alarms per database (as lambda/metrics.go writes them), PlanFailed once"
  }
  assert {
    condition     = { for k, r in aws_secretsmanager_secret_rotation.password_users : k => r.secret_id } == { analyst = "app/analyst" }
    error_message = "one rotation per password user of the cluster"
  }
}

run "several_databases_default_secret_is_the_first_databases" {
  command = apply
  variables {
    rotation_schedule = "rate(30 days)"
    spec_yaml         = null
    spec = {
      roles     = { analyst = { auth = "password" } }
      databases = { zeta = {}, beta = { roles = { analyst = {} } } }
    }
  }
  assert {
    condition     = { for k, r in aws_secretsmanager_secret_rotation.password_users : k => r.secret_id } == { analyst = "rolekeeper/beta/analyst" }
    error_message = "the default secret of a password user is rolekeeper/<first database by name>/<role>, as spec.ForDatabase says"
  }
}
