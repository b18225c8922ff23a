terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = var.region

  # Lets `terraform plan` run without an AWS account (see README, "Deploy to AWS").
  skip_credentials_validation = var.plan_without_credentials
  skip_requesting_account_id  = var.plan_without_credentials
  skip_metadata_api_check     = var.plan_without_credentials

  default_tags {
    tags = {
      project     = var.project
      environment = var.environment
    }
  }
}
