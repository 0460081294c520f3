variable "cidr" {
  type = string
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr
}

resource "aws_subnet" "this" {
  vpc_id     = aws_vpc.this.id
  cidr_block = cidrsubnet(var.cidr, 8, 1)
}

resource "aws_security_group" "lb" {
  description = "lb"
  vpc_id      = aws_vpc.this.id
}

resource "aws_security_group" "db" {
  description = "db"
  vpc_id      = aws_vpc.this.id
  ingress {
    protocol        = "tcp"
    from_port       = 5432
    to_port         = 5432
    security_groups = [aws_security_group.lb.id]
  }
}

output "vpc_id" {
  value = aws_vpc.this.id
}

output "subnet_id" {
  value = aws_subnet.this.id
}

output "db_group_id" {
  value = aws_security_group.db.id
}

# two blocks that both reference a group of the plan: the plan cannot tell which block has which
resource "aws_security_group" "cache" {
  description = "cache"
  vpc_id      = aws_vpc.this.id
  ingress {
    protocol        = "tcp"
    from_port       = 6379
    to_port         = 6379
    security_groups = [aws_security_group.lb.id]
  }
  ingress {
    protocol        = "tcp"
    from_port       = 11211
    to_port         = 11211
    security_groups = [aws_security_group.db.id]
  }
}
