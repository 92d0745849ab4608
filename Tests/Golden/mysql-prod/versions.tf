terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # One state object per stack; S3 native locking (a .tflock object beside it).
  backend "s3" {
    bucket       = "rds-provisioner-terraform-state"
    key          = "stacks/prod/inventory/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}
