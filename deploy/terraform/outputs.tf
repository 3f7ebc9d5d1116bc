output "function_name" {
  description = "Name of the function (for rolekeeper invoke --function)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the function's IAM role (to attach more policies)."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "The function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "spec_in_environment" {
  description = "Whether the spec fits in the function's environment (Lambda's 4 KB limit on the serialized variables); when false, plan and check need the spec in the event (rolekeeper invoke -f FILE)."
  value       = local.spec_in_environment
}

output "environment_bytes" {
  description = "Size of the function's environment with the spec, as Lambda measures it (the variables serialized as one JSON object)."
  value       = local.environment_bytes
}

output "security_group_id" {
  description = "The function's security group."
  value       = aws_security_group.this.id
}

output "iam_connect_policies" {
  description = "For each IAM-authenticated user, a policy document allowing rds-db:connect as that user: attach it to the role of the service or migration task that logs in as it."
  value = {
    for u in local.iam_users : u => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect   = "Allow"
        Action   = "rds-db:connect"
        Resource = "${local.dbuser_arn}/${u}"
      }]
    })
  }
}

output "spec_hash" {
  description = "SHA-256 of the spec the function applies; the apply invocation reruns when it changes."
  value       = sha256(local.spec_json)
}

output "apply_result" {
  description = "The apply's result document (changes made; no secrets)."
  value       = var.run_apply ? jsondecode(aws_lambda_invocation.apply[0].result) : null
}
