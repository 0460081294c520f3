# DocumentDB, Neptune and ElastiCache (a Redis replication group and a Memcached cluster), each in a
# subnet group of the data subnet.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "Data" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.2.0/24"
}

resource "aws_security_group" "Sg" {
  description = "db"
  vpc_id      = aws_vpc.Vpc.id
}

resource "aws_docdb_subnet_group" "DocGroup" {
  name       = "doc"
  subnet_ids = [aws_subnet.Data.id]
}

resource "aws_docdb_cluster" "Doc" {
  master_username         = "admin"
  master_password         = "not-a-secret-1"
  db_subnet_group_name    = aws_docdb_subnet_group.DocGroup.name
  vpc_security_group_ids  = [aws_security_group.Sg.id]
  backup_retention_period = 0
  skip_final_snapshot     = true
}

resource "aws_docdb_cluster_instance" "DocNode" {
  cluster_identifier = aws_docdb_cluster.Doc.id
  instance_class     = "db.t4g.medium"
}

resource "aws_neptune_subnet_group" "GraphGroup" {
  name       = "graph"
  subnet_ids = [aws_subnet.Data.id]
}

resource "aws_neptune_cluster" "Graph" {
  neptune_subnet_group_name = aws_neptune_subnet_group.GraphGroup.name
  vpc_security_group_ids    = [aws_security_group.Sg.id]
  backup_retention_period   = 7
  skip_final_snapshot       = true
}

resource "aws_elasticache_subnet_group" "CacheGroup" {
  name       = "cache"
  subnet_ids = [aws_subnet.Data.id]
}

resource "aws_elasticache_replication_group" "Redis" {
  replication_group_id     = "redis"
  description              = "redis"
  engine                   = "redis"
  node_type                = "cache.t4g.micro"
  port                     = 6380
  subnet_group_name        = aws_elasticache_subnet_group.CacheGroup.name
  security_group_ids       = [aws_security_group.Sg.id]
  snapshot_retention_limit = 3
}

resource "aws_elasticache_cluster" "Memcached" {
  cluster_id         = "memcached"
  engine             = "memcached"
  node_type          = "cache.t4g.micro"
  num_cache_nodes    = 1
  subnet_group_name  = aws_elasticache_subnet_group.CacheGroup.name
  security_group_ids = [aws_security_group.Sg.id]
}
