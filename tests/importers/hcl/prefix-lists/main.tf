# Prefix-list peers: a list of the plan (whose entries together are the whole internet) used by an inline
# rule and by a stand-alone rule, and an AWS-managed list whose entries are unknown.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_ec2_managed_prefix_list" "Admins" {
  name           = "admins"
  address_family = "IPv4"
  max_entries    = 2
  entry {
    cidr = "0.0.0.0/1"
  }
  entry {
    cidr = "128.0.0.0/1"
  }
}

resource "aws_security_group" "Sg" {
  description = "ssh"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol        = "tcp"
    from_port       = 22
    to_port         = 22
    prefix_list_ids = [aws_ec2_managed_prefix_list.Admins.id]
  }
  ingress {
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    prefix_list_ids = ["pl-6ea54007"]
  }
}

resource "aws_security_group" "Standalone" {
  description = "ssh"
  vpc_id      = aws_vpc.Vpc.id
}

resource "aws_vpc_security_group_ingress_rule" "In" {
  security_group_id = aws_security_group.Standalone.id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  prefix_list_id    = aws_ec2_managed_prefix_list.Admins.id
}
