resource "aws_dlm_lifecycle_policy" "volumes" {
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
