locals {
  name = "${var.project}-${var.environment}"

  # Zone prefixes come from pipeline/lake.json, which the Python side reads too. Firehose
  # appends YYYY/MM/DD/HH/ under raw/ (on AWS and LocalStack alike), so nothing downstream
  # depends on prefix expressions.
  lake             = jsondecode(file("${var.pipeline_dir}/lake.json"))
  zones            = local.lake.zones
  raw_prefix       = local.zones.raw
  raw_error_prefix = local.zones.raw_errors

  # The record schema (pipeline/schema.json): the Glue columns are generated from it.
  schema = jsondecode(file("${var.pipeline_dir}/schema.json"))

  processor_zip = "${var.lambda_artifacts_dir}/stream_processor.zip"
  builder_zip   = "${var.lambda_artifacts_dir}/curated_builder.zip"
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
