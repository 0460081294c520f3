# A child module (counted, with inputs and outputs) holds the network; the root refers to it through
# module outputs, and the module's own security group rules reference each other inside it.
module "network" {
  source = "./modules/network"
  count  = 1
  cidr   = "10.4.0.0/16"
}

resource "aws_security_group" "App" {
  description = "app"
  vpc_id      = module.network[0].vpc_id
  egress {
    protocol        = "tcp"
    from_port       = 5432
    to_port         = 5432
    security_groups = [module.network[0].db_group_id]
  }
}

resource "aws_instance" "App" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = module.network[0].subnet_id
  vpc_security_group_ids = [aws_security_group.App.id]
}
