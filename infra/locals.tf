locals {
  name   = "${var.project}-${var.environment}"
  region = data.aws_region.current.name
  # IAM names are global to the account: the region keeps two regions' deployments apart.
  iam_name = "${local.name}-${local.region}"

  # Zone prefixes come from pipeline/lake.json, which the Python side reads too. Firehose
  # appends YYYY/MM/DD/HH/ under raw/ (on AWS and LocalStack alike), so nothing downstream
  # depends on prefix expressions.
  lake             = jsondecode(file("${var.pipeline_dir}/lake.json"))
  zones            = local.lake.zones
  raw_prefix       = local.zones.raw
  raw_error_prefix = local.zones.raw_errors

  # The record schema (pipeline/schema.json): the Glue columns are generated from it.
  schema = jsondecode(file("${var.pipeline_dir}/schema.json"))

  account_id = var.plan_without_credentials ? "123456789012" : data.aws_caller_identity.current[0].account_id

  processor_zip = "${var.lambda_artifacts_dir}/stream_processor.zip"
  builder_zip   = "${var.lambda_artifacts_dir}/curated_builder.zip"
}

data "aws_partition" "current" {}

# The account id names the key's administrator. `make plan-aws` runs without credentials, so it
# plans with a placeholder account instead of asking STS.
data "aws_caller_identity" "current" {
  count = var.plan_without_credentials ? 0 : 1
}
data "aws_region" "current" {}
