terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.47" # global_secondary_index.key_schema without its known bugs (terraform/versions.tf)
    }
  }
}
