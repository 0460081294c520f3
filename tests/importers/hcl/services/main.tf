# A VPC with an Aurora cluster, an ECS service on Fargate Spot, EKS with a node group, Lambda in and out of
# the VPC, and backups (AWS Backup and a DLM policy).
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "Igw" {
  vpc_id = aws_vpc.Vpc.id
}

resource "aws_subnet" "A" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_subnet" "B" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.2.0/24"
}

resource "aws_security_group" "Sg" {
  description = "x"
  vpc_id      = aws_vpc.Vpc.id
}

resource "aws_db_subnet_group" "Group" {
  subnet_ids = [aws_subnet.A.id, aws_subnet.B.id]
}

resource "aws_rds_cluster" "Cluster" {
  engine                  = "aurora-postgresql"
  master_username         = "admin"
  master_password         = "not-a-secret-1"
  db_subnet_group_name    = aws_db_subnet_group.Group.name
  vpc_security_group_ids  = [aws_security_group.Sg.id]
  backup_retention_period = 7
  skip_final_snapshot     = true
}

resource "aws_rds_cluster_instance" "Member" {
  cluster_identifier = aws_rds_cluster.Cluster.id
  engine             = "aurora-postgresql"
  instance_class     = "db.r6g.large"
}

resource "aws_rds_cluster_instance" "Stray" {
  cluster_identifier = "other-cluster"
  engine             = "aurora-mysql"
  instance_class     = "db.r6g.large"
}

resource "aws_ecs_service" "Svc" {
  name            = "svc"
  task_definition = "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:1"
  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }
  network_configuration {
    subnets         = [aws_subnet.A.id]
    security_groups = [aws_security_group.Sg.id]
  }
}

resource "aws_eks_cluster" "Eks" {
  name     = "eks"
  role_arn = "arn:aws:iam::123456789012:role/eks"
  vpc_config {
    subnet_ids         = [aws_subnet.B.id]
    security_group_ids = [aws_security_group.Sg.id]
  }
}

resource "aws_eks_node_group" "Nodes" {
  cluster_name    = aws_eks_cluster.Eks.name
  node_role_arn   = "arn:aws:iam::123456789012:role/nodes"
  subnet_ids      = [aws_subnet.B.id]
  instance_types  = ["m5.large"]
  scaling_config {
    desired_size = 1
    max_size     = 1
    min_size     = 1
  }
}

resource "aws_lambda_function" "Fn" {
  function_name = "fn"
  role          = "arn:aws:iam::123456789012:role/fn"
  runtime       = "python3.12"
  handler       = "index.handler"
  s3_bucket     = "code"
  s3_key        = "fn.zip"
  vpc_config {
    subnet_ids         = [aws_subnet.A.id]
    security_group_ids = [aws_security_group.Sg.id]
  }
}

resource "aws_lambda_function" "Outside" {
  function_name = "outside"
  role          = "arn:aws:iam::123456789012:role/fn"
  runtime       = "python3.12"
  handler       = "index.handler"
  s3_bucket     = "code"
  s3_key        = "outside.zip"
}

resource "aws_backup_vault" "Vault" {
  name = "vault"
}

resource "aws_backup_plan" "Plan" {
  name = "daily"
  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.Vault.name
    schedule          = "cron(0 5 * * ? *)"
  }
}

resource "aws_backup_selection" "Selection" {
  name         = "all"
  plan_id      = aws_backup_plan.Plan.id
  iam_role_arn = "arn:aws:iam::123456789012:role/backup"
  resources    = ["*"]
}

resource "aws_dlm_lifecycle_policy" "Snapshots" {
  description        = "daily"
  execution_role_arn = "arn:aws:iam::123456789012:role/dlm"
  state              = "ENABLED"
  policy_details {
    resource_types = ["VOLUME"]
    target_tags    = { Backup = "daily" }
    schedule {
      name = "daily"
      create_rule {
        interval = 24
      }
      retain_rule {
        count = 7
      }
    }
  }
}
