# A web tier: an internet-facing ALB in a public subnet forwarding to an Auto Scaling group (launch
# template) in a private subnet, which reaches a PostgreSQL database. Security groups reference each other.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "Igw" {
  vpc_id = aws_vpc.Vpc.id
}

resource "aws_route_table" "PublicRt" {
  vpc_id = aws_vpc.Vpc.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.Igw.id
  }
}

resource "aws_subnet" "Public" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.0.0/24"
}

resource "aws_route_table_association" "PublicAssoc" {
  subnet_id      = aws_subnet.Public.id
  route_table_id = aws_route_table.PublicRt.id
}

resource "aws_subnet" "Private" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "LbSg" {
  description = "lb"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "AppSg" {
  description = "app"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol        = "tcp"
    from_port       = 8080
    to_port         = 8080
    security_groups = [aws_security_group.LbSg.id]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "DbSg" {
  description = "db"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol        = "tcp"
    from_port       = 5432
    to_port         = 5432
    security_groups = [aws_security_group.AppSg.id]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_launch_template" "Lt" {
  image_id               = "ami-0123456789abcdef0"
  instance_type          = "m7g.large"
  vpc_security_group_ids = [aws_security_group.AppSg.id]
}

resource "aws_lb_target_group" "Tg" {
  port     = 8080
  protocol = "HTTP"
  vpc_id   = aws_vpc.Vpc.id
}

resource "aws_lb" "Alb" {
  subnets         = [aws_subnet.Public.id]
  security_groups = [aws_security_group.LbSg.id]
}

resource "aws_lb_listener" "Https" {
  load_balancer_arn = aws_lb.Alb.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.Tg.arn
  }
}

resource "aws_autoscaling_group" "Asg" {
  min_size            = 1
  max_size            = 2
  vpc_zone_identifier = [aws_subnet.Private.id]
  target_group_arns   = [aws_lb_target_group.Tg.arn]
  launch_template {
    id      = aws_launch_template.Lt.id
    version = "$Latest"
  }
}

resource "aws_db_subnet_group" "DbGroup" {
  subnet_ids = [aws_subnet.Private.id]
}

resource "aws_db_instance" "Db" {
  engine                  = "postgres"
  instance_class          = "db.t4g.medium"
  allocated_storage       = 20
  username                = "app"
  password                = "not-a-secret-1"
  db_subnet_group_name    = aws_db_subnet_group.DbGroup.name
  vpc_security_group_ids  = [aws_security_group.DbSg.id]
  publicly_accessible     = false
  backup_retention_period = 7
}
