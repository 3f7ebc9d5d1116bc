# Drift is watched (docs/drift-alarms.md): an EventBridge Scheduler
# schedule invokes the function with {"action": "plan", "metrics": true};
# the function writes the plan's pending changes, problems and whether it
# failed as CloudWatch metrics in embedded metric format in its own log
# (no API call, so no IAM action); alarms fire when any is above 0 and
# notify an SNS topic, the module's or a given one.

variable "drift_schedule" {
  description = "Run `plan` on this EventBridge Scheduler expression (e.g. \"rate(1 hour)\", \"cron(0 * * * ? *)\") and write drift metrics; null: no schedule."
  type        = string
  default     = null
}

variable "drift_schedule_timezone" {
  description = "Time zone of a cron drift_schedule."
  type        = string
  default     = "UTC"
}

variable "drift_alarm" {
  description = "Create CloudWatch alarms on the drift metrics (PendingChanges, Problems, PlanFailed > 0). Needs drift_schedule."
  type        = bool
  default     = false
}

variable "drift_alarm_period" {
  description = "Seconds over which each drift alarm looks at the metrics; at least the schedule's interval."
  type        = number
  default     = 3600
}

variable "drift_alarm_topic_arn" {
  description = "SNS topic the drift alarms notify; null: the module creates one (output drift_alarm_topic_arn)."
  type        = string
  default     = null
}

locals {
  drift_alarm_kinds = {
    PendingChanges = "pending changes: the database has drifted from the spec (or the spec changed and was not applied)"
    Problems       = "the plan has problems that keep it from being applied"
    PlanFailed     = "the scheduled plan could not run (database unreachable, spec invalid)"
  }
  # One alarm per metric; for a spec with databases, PendingChanges and
  # Problems per database (the function writes them per database,
  # lambda/metrics.go) and PlanFailed for the database it connects to.
  drift_alarm_metrics = var.drift_schedule != null && var.drift_alarm ? (length(local.spec_databases) == 0 ?
    { for k, d in local.drift_alarm_kinds : k => { metric = k, database = var.database_name, description = d } } :
    merge(
      { PlanFailed = { metric = "PlanFailed", database = var.database_name, description = local.drift_alarm_kinds.PlanFailed } },
      { for pair in setproduct(["PendingChanges", "Problems"], local.spec_databases) :
      "${pair[0]}-${pair[1]}" => { metric = pair[0], database = pair[1], description = local.drift_alarm_kinds[pair[0]] } }
  )) : {}
  drift_topic_arn = length(local.drift_alarm_metrics) == 0 ? null : coalesce(var.drift_alarm_topic_arn, try(aws_sns_topic.drift[0].arn, null))
}

resource "aws_iam_role" "scheduler" {
  count = var.drift_schedule == null ? 0 : 1
  name  = "${var.name}-drift-schedule"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "scheduler.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  count = var.drift_schedule == null ? 0 : 1
  name  = "${var.name}-invoke-plan"
  role  = aws_iam_role.scheduler[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "InvokeTheFunction"
      Effect   = "Allow"
      Action   = ["lambda:InvokeFunction"]
      Resource = [aws_lambda_function.this.arn]
    }]
  })
}

resource "aws_scheduler_schedule" "drift" {
  count                        = var.drift_schedule == null ? 0 : 1
  name                         = "${var.name}-drift"
  description                  = "rolekeeper plan: drift metrics for ${var.database_name}"
  schedule_expression          = var.drift_schedule
  schedule_expression_timezone = var.drift_schedule_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.this.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = jsonencode({ action = "plan", metrics = true })

    retry_policy {
      maximum_retry_attempts = 0 # the next run measures again
    }
  }
}

resource "aws_sns_topic" "drift" {
  count = var.drift_schedule != null && var.drift_alarm && var.drift_alarm_topic_arn == null ? 1 : 0
  name  = "${var.name}-drift"
  tags  = var.tags
}

resource "aws_cloudwatch_metric_alarm" "drift" {
  for_each            = local.drift_alarm_metrics
  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "rolekeeper ${var.name}, database ${each.value.database}: ${each.value.description}."
  namespace           = "rolekeeper"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = aws_lambda_function.this.function_name, Database = each.value.database }
  statistic           = "Maximum"
  period              = var.drift_alarm_period
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.drift_topic_arn]
  ok_actions          = [local.drift_topic_arn]
  tags                = var.tags
}

output "drift_alarm_topic_arn" {
  description = "The SNS topic the drift alarms notify (null without alarms)."
  value       = local.drift_topic_arn
}
