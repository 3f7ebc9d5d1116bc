output "function_name" {
  description = "Name of the function (for rolekeeper invoke --function)."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
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
