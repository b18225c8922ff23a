# Curated builder: every raw object Firehose writes is announced on a queue; the builder commits
# the new rows of batches of them as new curated and gold files (pipeline/build.py). A queue
# rather than a direct S3 -> Lambda trigger, so many objects make one build, failures are
# retried and a build that keeps failing ends in a dead-letter queue. No reserved concurrency:
# concurrent builds are safe (each partition's manifest is committed conditionally), and AWS
# refuses any reservation on accounts with the default concurrency quota of 10.
locals {
  builder_timeout_seconds = 300
}

resource "aws_sqs_queue" "raw_objects_dlq" {
  name                      = "${local.name}-raw-objects-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "raw_objects" {
  name                       = "${local.name}-raw-objects"
  visibility_timeout_seconds = 6 * local.builder_timeout_seconds # AWS asks for at least the function timeout
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.raw_objects_dlq.arn
    maxReceiveCount     = 5
  })
}

data "aws_iam_policy_document" "raw_objects_queue" {
  statement {
    sid       = "LakeAnnouncesRawObjects"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.raw_objects.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.lake.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "raw_objects" {
  queue_url = aws_sqs_queue.raw_objects.id
  policy    = data.aws_iam_policy_document.raw_objects_queue.json
}

# A bucket has one notification configuration: it announces the landing zone's files too
# (infra/landing.tf).
resource "aws_s3_bucket_notification" "raw_objects" {
  bucket = aws_s3_bucket.lake.id
  queue {
    queue_arn     = aws_sqs_queue.raw_objects.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.raw_prefix
  }
  queue {
    queue_arn     = aws_sqs_queue.landing_objects.arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.zones.landing
  }
  depends_on = [aws_sqs_queue_policy.raw_objects, aws_sqs_queue_policy.landing_objects]
}

resource "aws_cloudwatch_log_group" "builder" {
  name              = "/aws/lambda/${local.name}-curated-builder"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_lambda_function" "builder" {
  #checkov:skip=CKV_AWS_117:No private resource to reach; a VPC would need NAT or endpoints for Kinesis, Firehose, S3 and SQS, all of which are IAM-authorised over TLS.
  #checkov:skip=CKV_AWS_116:Its queue's redrive keeps failed builds; its one asynchronous caller (the compaction schedule) has an on-failure destination (infra/schedules.tf), which supersedes a dead-letter config.
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secret (AWS encrypts it at rest with its own key); LocalStack 4.14.0 drops KMSKeyArn, so setting it would never converge locally.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles (absent from LocalStack); the zips are built deterministically and their hash pinned by Terraform.
  #checkov:skip=CKV_AWS_115:Concurrent builds are safe (conditional manifest commits, pipeline/table.py); reserving some fails on accounts with the default quota of 10.
  function_name    = "${local.name}-curated-builder"
  role             = aws_iam_role.builder.arn
  runtime          = "python3.13"
  handler          = "handler.handler"
  filename         = local.builder_zip
  source_code_hash = filebase64sha256(local.builder_zip)
  timeout          = local.builder_timeout_seconds
  memory_size      = 1024
  architectures    = [var.lambda_architecture]

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      LAKE_BUCKET                  = aws_s3_bucket.lake.bucket
      POWERTOOLS_SERVICE_NAME      = "curated-builder"
      POWERTOOLS_METRICS_NAMESPACE = "PetroStream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.builder, aws_iam_role_policy.builder, aws_iam_role_policy_attachment.builder_xray]
}

resource "aws_lambda_event_source_mapping" "builder" {
  function_name                      = aws_lambda_function.builder.arn
  event_source_arn                   = aws_sqs_queue.raw_objects.arn
  batch_size                         = var.builder_batch_size
  maximum_batching_window_in_seconds = var.builder_batching_window_seconds
}

resource "aws_iam_role" "builder" {
  name               = "${local.iam_name}-curated-builder"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "builder" {
  statement {
    sid     = "ReadRawTablesAndManifests"
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.lake.arn}/${local.raw_prefix}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.curated}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_well_hourly}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_class_hourly}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.manifests}*",
    ]
  }
  statement {
    sid     = "WriteTablesAndManifests" # new files, manifests (conditionally), symlink lists
    actions = ["s3:PutObject"]
    resources = [
      "${aws_s3_bucket.lake.arn}/${local.zones.curated}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_well_hourly}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_class_hourly}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.manifests}*",
    ]
  }
  statement {
    sid     = "DeleteUnlistedFiles" # a lost commit's own files; the janitor's replaced files
    actions = ["s3:DeleteObject"]
    resources = [
      "${aws_s3_bucket.lake.arn}/${local.zones.curated}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_well_hourly}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.gold_class_hourly}*",
    ]
  }
  statement {
    sid       = "ListLake" # a missing manifest must read as 404, not 403; the janitor lists partitions
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
  }
  statement {
    sid       = "FailedCompactionsToDeadLetters" # the schedule's on-failure destination
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedules_dlq.arn]
  }
  statement {
    sid       = "ConsumeRawObjectQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.raw_objects.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.builder.arn}:*"]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role_policy" "builder" {
  name   = "curated-builder"
  role   = aws_iam_role.builder.id
  policy = data.aws_iam_policy_document.builder.json
}
