provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Application = "serverless-messenger"
      Stage       = var.stage
      ManagedBy   = "terraform"
    })
  }
}
