# Landing zone: 3W files dropped under landing/ are loaded by the landing loader
# (lambda/landing_loader): validated and scored as the stream would, valid rows written to the
# raw zone (where the curated builder takes them), bad rows to discard/, one report per file to
# landing-reports/. S3 announces each file on a queue rather than invoking the function
# directly, so a failed file is retried and, after its last attempt, kept in a dead-letter
# queue (alarmed in infra/observability.tf). docs/landing.md: limits and AWS behaviour relied on.
locals {
  landing_timeout_seconds = 900 # Lambda's maximum: the limits in docs/landing.md are sized to it
}

resource "aws_sqs_queue" "landing_objects_dlq" {
  name                      = "${local.name}-landing-objects-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "landing_objects" {
  name                       = "${local.name}-landing-objects"
  visibility_timeout_seconds = 6 * local.landing_timeout_seconds # AWS asks for at least the function timeout
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.landing_objects_dlq.arn
    maxReceiveCount     = 3
  })
}

data "aws_iam_policy_document" "landing_objects_queue" {
  statement {
    sid       = "LakeAnnouncesLandingObjects"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.landing_objects.arn]
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

resource "aws_sqs_queue_policy" "landing_objects" {
  queue_url = aws_sqs_queue.landing_objects.id
  policy    = data.aws_iam_policy_document.landing_objects_queue.json
}

resource "aws_cloudwatch_log_group" "landing" {
  name              = "/aws/lambda/${local.name}-landing-loader"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

locals {
  landing_zip = "${var.lambda_artifacts_dir}/landing_loader.zip"
}

resource "aws_lambda_function" "landing" {
  #checkov:skip=CKV_AWS_117:No private resource to reach; a VPC would need NAT or endpoints for S3, SNS and SQS, all of which are IAM-authorised over TLS.
  #checkov:skip=CKV_AWS_116:Never invoked asynchronously: its event source mapping invokes it, and the queue's redrive keeps what keeps failing.
  #checkov:skip=CKV_AWS_173:The environment holds resource names and limits only, no secret (AWS encrypts it at rest with its own key); LocalStack 4.14.0 drops KMSKeyArn, so setting it would never converge locally.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles (absent from LocalStack); the zips are built deterministically and their hash pinned by Terraform.
  #checkov:skip=CKV_AWS_115:Files are independent (each is scored from fresh well states); reserving concurrency fails on accounts with the default quota of 10.
  function_name    = "${local.name}-landing-loader"
  role             = aws_iam_role.landing.arn
  runtime          = "python3.13"
  handler          = "handler.handler"
  filename         = local.landing_zip
  source_code_hash = filebase64sha256(local.landing_zip)
  timeout          = local.landing_timeout_seconds
  memory_size      = var.landing_memory_mb
  architectures    = [var.lambda_architecture]

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      LAKE_BUCKET                  = aws_s3_bucket.lake.bucket
      QUALITY_TOPIC_ARN            = aws_sns_topic.quality.arn
      WELL_LIMITS                  = jsonencode(var.well_limits)
      LANDING_MAX_BYTES            = tostring(var.landing_max_bytes)
      LANDING_MAX_ROWS             = tostring(var.landing_max_rows)
      POWERTOOLS_SERVICE_NAME      = "landing-loader"
      POWERTOOLS_METRICS_NAMESPACE = "PetroStream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.landing, aws_iam_role_policy.landing, aws_iam_role_policy_attachment.landing_xray]
}

resource "aws_lambda_event_source_mapping" "landing" {
  function_name           = aws_lambda_function.landing.arn
  event_source_arn        = aws_sqs_queue.landing_objects.arn
  batch_size              = 1 # one file per invocation: its limits are the function's
  function_response_types = ["ReportBatchItemFailures"]
}

resource "aws_iam_role" "landing" {
  name               = "${local.iam_name}-landing-loader"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "landing" {
  statement {
    sid       = "ReadLandingFiles"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.zones.landing}*"]
  }
  statement {
    sid     = "WriteRawDiscardsAndReports"
    actions = ["s3:PutObject"]
    resources = [
      "${aws_s3_bucket.lake.arn}/${local.raw_prefix}landing/*",
      "${aws_s3_bucket.lake.arn}/${local.zones.discard}*",
      "${aws_s3_bucket.lake.arn}/${local.zones.landing_reports}*",
    ]
  }
  statement {
    sid       = "ListLake" # a missing landing object must read as 404, not 403
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
  }
  statement {
    sid       = "ConsumeLandingObjectQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [aws_sqs_queue.landing_objects.arn]
  }
  statement {
    sid       = "AnnounceUncleanFiles"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.quality.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.landing.arn}:*"]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role_policy" "landing" {
  name   = "landing-loader"
  role   = aws_iam_role.landing.id
  policy = data.aws_iam_policy_document.landing.json
}
