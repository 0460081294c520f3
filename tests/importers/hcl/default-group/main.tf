# Terraform adopts the VPC's default security group (aws_default_security_group) and an instance uses it.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "Net" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_default_security_group" "Default" {
  vpc_id = aws_vpc.Vpc.id
  ingress {
    protocol  = "-1"
    from_port = 0
    to_port   = 0
    self      = true
  }
}

resource "aws_instance" "Web" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.Net.id
  vpc_security_group_ids = [aws_default_security_group.Default.id]
}

resource "aws_security_group" "Own" {
  description = "own"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["10.0.0.0/8"]
  }
}

resource "aws_instance" "Api" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.Net.id
  vpc_security_group_ids = [aws_security_group.Own.id]
}
