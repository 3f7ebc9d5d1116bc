# The function's own security group: out only to the database port and to
# HTTPS (Secrets Manager, directly or through a VPC endpoint).

resource "aws_security_group" "this" {
  name        = "${var.name}-lambda"
  description = "rolekeeper function: egress to the database and HTTPS only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "database" {
  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to AWS APIs (Secrets Manager)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "database_from_function" {
  security_group_id            = var.database_security_group_id
  description                  = "rolekeeper function ${var.name}"
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
  referenced_security_group_id = aws_security_group.this.id
}

# Optional: Secrets Manager without a NAT gateway.
resource "aws_security_group" "endpoint" {
  count       = var.create_secretsmanager_endpoint ? 1 : 0
  name        = "${var.name}-secretsmanager-endpoint"
  description = "Secrets Manager endpoint for the rolekeeper function"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "endpoint_from_function" {
  count                        = var.create_secretsmanager_endpoint ? 1 : 0
  description                  = "rolekeeper function ${var.name}"
  security_group_id            = aws_security_group.endpoint[0].id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.this.id
}

# The endpoint service's name differs by partition (cn.com.amazonaws... in
# China): ask for it rather than spell it.
data "aws_vpc_endpoint_service" "secretsmanager" {
  count        = var.create_secretsmanager_endpoint ? 1 : 0
  service      = "secretsmanager"
  service_type = "Interface"
}

resource "aws_vpc_endpoint" "secretsmanager" {
  count               = var.create_secretsmanager_endpoint ? 1 : 0
  vpc_id              = var.vpc_id
  service_name        = data.aws_vpc_endpoint_service.secretsmanager[0].service_name
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.endpoint[0].id]
  private_dns_enabled = true
  tags                = var.tags
}

# Or: an existing Secrets Manager endpoint whose security group admits only
# listed groups (template-infra's network: private subnets without NAT,
# interface endpoints behind its aws_services security group). The module
# adds the rule that admits the function.
resource "aws_vpc_security_group_ingress_rule" "existing_endpoint_from_function" {
  for_each                     = toset(var.endpoint_security_group_ids)
  description                  = "rolekeeper function ${var.name}"
  security_group_id            = each.value
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.this.id
}
