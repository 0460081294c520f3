# RDS in a VPC with an internet gateway: an instance that leaves publicly_accessible to the provider, its
# read replica, a public MySQL without backups, and an Aurora cluster made public by one of its instances.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "Igw" {
  vpc_id = aws_vpc.Vpc.id
}

resource "aws_route_table" "Public" {
  vpc_id = aws_vpc.Vpc.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.Igw.id
  }
}

resource "aws_subnet" "A" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_subnet" "B" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.2.0/24"
}

resource "aws_route_table_association" "AssocA" {
  subnet_id      = aws_subnet.A.id
  route_table_id = aws_route_table.Public.id
}

resource "aws_security_group" "Db" {
  description = "db"
  vpc_id      = aws_vpc.Vpc.id
  ingress {
    protocol    = "tcp"
    from_port   = 3306
    to_port     = 3306
    cidr_blocks = ["10.0.0.0/16"]
  }
  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_db_subnet_group" "Group" {
  name       = "group"
  subnet_ids = [aws_subnet.A.id, aws_subnet.B.id]
}

resource "aws_db_instance" "Primary" {
  identifier              = "primary"
  engine                  = "postgres"
  instance_class          = "db.t4g.medium"
  allocated_storage       = 20
  username                = "app"
  password                = "not-a-secret-1"
  db_subnet_group_name    = aws_db_subnet_group.Group.name
  vpc_security_group_ids  = [aws_security_group.Db.id]
  backup_retention_period = 7
}

resource "aws_db_instance" "Replica" {
  replicate_source_db    = aws_db_instance.Primary.identifier
  instance_class         = "db.t4g.medium"
  vpc_security_group_ids = [aws_security_group.Db.id]
  publicly_accessible    = false
}

resource "aws_db_instance" "Lost" {
  engine                  = "mysql"
  instance_class          = "db.t3.micro"
  allocated_storage       = 20
  username                = "admin"
  password                = "not-a-secret-1"
  db_subnet_group_name    = aws_db_subnet_group.Group.name
  vpc_security_group_ids  = [aws_security_group.Db.id]
  publicly_accessible     = true
  backup_retention_period = 0
}

resource "aws_rds_cluster" "Aurora" {
  engine                  = "aurora-mysql"
  master_username         = "admin"
  master_password         = "not-a-secret-1"
  db_subnet_group_name    = aws_db_subnet_group.Group.name
  vpc_security_group_ids  = [aws_security_group.Db.id]
  backup_retention_period = 1
  skip_final_snapshot     = true
}

resource "aws_rds_cluster_instance" "Writer" {
  cluster_identifier  = aws_rds_cluster.Aurora.id
  engine              = "aurora-mysql"
  instance_class      = "db.r6g.large"
  publicly_accessible = true
}
