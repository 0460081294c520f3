# No VPC and no subnet anywhere: AWS puts everything in the Region's default VPC.
resource "aws_security_group" "Web" {
  description = "web"
  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "App" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  vpc_security_group_ids = [aws_security_group.Web.id]
}

# publicly_accessible not written: the provider sends its default (false)
resource "aws_db_instance" "Db" {
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "admin"
  password                = "not-a-secret-1"
  backup_retention_period = 7
  vpc_security_group_ids  = [aws_security_group.Web.id]
}

resource "aws_db_instance" "NoBackups" {
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "admin"
  password                = "not-a-secret-1"
  publicly_accessible     = false
  backup_retention_period = 0
  vpc_security_group_ids  = [aws_security_group.Web.id]
}
