provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      "Environment"                = "Prod"
      "ManagedBy"                  = "rds-provisioner"
      "Owner"                      = "Warehouse Team"
      "rds-provisioner:request-id" = "3f9c2a7e-5b1d-4e8a-9c0f-1a2b3c4d5e6f"
      "rds-provisioner:stack"      = "stacks/prod/inventory"
    }
  }
}
