# Two VPCs joined by a transit gateway, a site-to-site VPN with a static route, a network ACL written as
# separate rules, stand-alone routes and a main route table association.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "Other" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_internet_gateway" "Igw" {}

resource "aws_internet_gateway_attachment" "IgwAttach" {
  vpc_id              = aws_vpc.Vpc.id
  internet_gateway_id = aws_internet_gateway.Igw.id
}

resource "aws_subnet" "Sn" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_subnet" "OtherSn" {
  vpc_id     = aws_vpc.Other.id
  cidr_block = "10.1.1.0/24"
}

resource "aws_route_table" "Rt" {
  vpc_id = aws_vpc.Vpc.id
}

resource "aws_route" "ToWorld" {
  route_table_id         = aws_route_table.Rt.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.Igw.id
}

resource "aws_route" "ToOther" {
  route_table_id         = aws_route_table.Rt.id
  destination_cidr_block = "10.1.0.0/16"
  transit_gateway_id     = aws_ec2_transit_gateway.Tgw.id
}

resource "aws_route_table_association" "Assoc" {
  subnet_id      = aws_subnet.Sn.id
  route_table_id = aws_route_table.Rt.id
}

resource "aws_route_table" "OtherRt" {
  vpc_id = aws_vpc.Other.id
}

resource "aws_main_route_table_association" "OtherMain" {
  vpc_id         = aws_vpc.Other.id
  route_table_id = aws_route_table.OtherRt.id
}

resource "aws_route" "Back" {
  route_table_id         = aws_route_table.OtherRt.id
  destination_cidr_block = "10.0.0.0/16"
  transit_gateway_id     = aws_ec2_transit_gateway.Tgw.id
}

resource "aws_ec2_transit_gateway" "Tgw" {}

resource "aws_ec2_transit_gateway_vpc_attachment" "AttA" {
  transit_gateway_id = aws_ec2_transit_gateway.Tgw.id
  vpc_id             = aws_vpc.Vpc.id
  subnet_ids         = [aws_subnet.Sn.id]
}

resource "aws_ec2_transit_gateway_vpc_attachment" "AttB" {
  transit_gateway_id = aws_ec2_transit_gateway.Tgw.id
  vpc_id             = aws_vpc.Other.id
  subnet_ids         = [aws_subnet.OtherSn.id]
}

resource "aws_vpn_gateway" "Vgw" {}

resource "aws_vpn_gateway_attachment" "VgwAttach" {
  vpc_id         = aws_vpc.Vpc.id
  vpn_gateway_id = aws_vpn_gateway.Vgw.id
}

resource "aws_customer_gateway" "Cgw" {
  type       = "ipsec.1"
  ip_address = "203.0.113.1"
  bgp_asn    = 65000
}

resource "aws_vpn_connection" "Vpn" {
  vpn_gateway_id      = aws_vpn_gateway.Vgw.id
  customer_gateway_id = aws_customer_gateway.Cgw.id
  type                = "ipsec.1"
  static_routes_only  = true
}

resource "aws_vpn_connection_route" "VpnRoute" {
  vpn_connection_id      = aws_vpn_connection.Vpn.id
  destination_cidr_block = "192.168.0.0/16"
}

resource "aws_network_acl" "Acl" {
  vpc_id = aws_vpc.Vpc.id
}

resource "aws_network_acl_rule" "AclIn" {
  network_acl_id = aws_network_acl.Acl.id
  rule_number    = 100
  protocol       = "6"
  rule_action    = "allow"
  egress         = false
  cidr_block     = "0.0.0.0/0"
  from_port      = 443
  to_port        = 443
}

resource "aws_network_acl_association" "AclAssoc" {
  subnet_id      = aws_subnet.Sn.id
  network_acl_id = aws_network_acl.Acl.id
}

resource "aws_ecs_cluster" "Cluster" {
  name = "cluster"
}

resource "aws_eks_fargate_profile" "Profile" {
  cluster_name           = "eks"
  fargate_profile_name   = "default"
  pod_execution_role_arn = "arn:aws:iam::123456789012:role/pods"
  subnet_ids             = [aws_subnet.Sn.id]
  selector {
    namespace = "default"
  }
}
