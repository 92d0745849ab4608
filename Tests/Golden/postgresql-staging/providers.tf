provider "aws" {
  region = "eu-west-1"

  assume_role {
    role_arn     = "arn:aws:iam::123456789012:role/rds-provisioner-deploy"
    session_name = "rds-provisioner"
  }

  default_tags {
    tags = {
      "CostCentre"                 = "4711"
      "Environment"                = "Staging"
      "ManagedBy"                  = "rds-provisioner"
      "Owner"                      = "finance@example.com"
      "Tier"                       = "staging"
      "rds-provisioner:request-id" = "3f9c2a7e-5b1d-4e8a-9c0f-1a2b3c4d5e6f"
      "rds-provisioner:stack"      = "stacks/staging/billing_eu"
    }
  }
}
