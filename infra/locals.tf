locals {
  name = "${var.project}-${var.environment}"
  # Zone prefixes in the lake bucket. Firehose appends YYYY/MM/DD/HH/ under raw/ (on AWS and
  # LocalStack alike), so nothing downstream depends on prefix expressions.
  raw_prefix       = "raw/"
  raw_error_prefix = "raw-errors/"
  processor_zip    = "${var.lambda_artifacts_dir}/stream_processor.zip"
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
