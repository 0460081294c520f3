# Targets registered by separate resources: a classic ELB attachment, an Auto Scaling attachment, a
# target group attachment and a listener rule; an Auto Scaling group with a launch configuration.
resource "aws_vpc" "Vpc" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "Sn" {
  vpc_id     = aws_vpc.Vpc.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_security_group" "Sg" {
  description = "all"
  vpc_id      = aws_vpc.Vpc.id
}

resource "aws_elb" "Classic" {
  subnets         = [aws_subnet.Sn.id]
  security_groups = [aws_security_group.Sg.id]
  listener {
    lb_port           = 80
    lb_protocol       = "http"
    instance_port     = 8080
    instance_protocol = "http"
  }
}

resource "aws_instance" "Web" {
  ami                    = "ami-0123456789abcdef0"
  instance_type          = "t3.micro"
  subnet_id              = aws_subnet.Sn.id
  vpc_security_group_ids = [aws_security_group.Sg.id]
}

resource "aws_elb_attachment" "WebInElb" {
  elb      = aws_elb.Classic.id
  instance = aws_instance.Web.id
}

resource "aws_launch_configuration" "Config" {
  image_id        = "ami-0123456789abcdef0"
  instance_type   = "t3.micro"
  security_groups = [aws_security_group.Sg.id]
}

resource "aws_autoscaling_group" "Workers" {
  min_size             = 1
  max_size             = 2
  vpc_zone_identifier  = [aws_subnet.Sn.id]
  launch_configuration = aws_launch_configuration.Config.name
}

resource "aws_lb" "Alb" {
  internal        = true
  subnets         = [aws_subnet.Sn.id]
  security_groups = [aws_security_group.Sg.id]
}

resource "aws_lb_target_group" "Api" {
  port     = 9000
  protocol = "HTTP"
  vpc_id   = aws_vpc.Vpc.id
}

resource "aws_lb_listener" "Https" {
  load_balancer_arn = aws_lb.Alb.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "arn:aws:acm:eu-central-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener_rule" "ToApi" {
  listener_arn = aws_lb_listener.Https.arn
  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.Api.arn
  }
  condition {
    path_pattern {
      values = ["/api/*"]
    }
  }
}

resource "aws_autoscaling_attachment" "WorkersInApi" {
  autoscaling_group_name = aws_autoscaling_group.Workers.name
  lb_target_group_arn    = aws_lb_target_group.Api.arn
}

resource "aws_lb_target_group_attachment" "WebInApi" {
  target_group_arn = aws_lb_target_group.Api.arn
  target_id        = aws_instance.Web.id
  port             = 9001
}
