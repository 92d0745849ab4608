terraform {
  # 1.10: S3 state locking with a lock file (use_lockfile) and cross-variable validation.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}
