terraform {
  # 1.10: the S3 backend's use_lockfile (envs/backend.tf.example; experimental in 1.10, GA from 1.11).
  # Terraform's own tests (tests/*.tftest.hcl, mock_provider) need 1.7; tests/terraform/test_versions.py
  # checks these floors against the features the configuration uses.
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.47: global_secondary_index key_schema without the permanent index rebuild (6.32.1, #46442), the
      # "Unmatched indexes" error for an index without a sort key (6.41.0, #47427) and the removal of one
      # index rebuilding all (6.37.0, #46602), with diffs shown for an index key type change (6.47.0, #47867).
      version = "~> 6.47"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.7"
    }
    time = {
      source  = "hashicorp/time"
      version = "~> 0.12"
    }
  }
}
