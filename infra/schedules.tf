# Scheduled work, on EventBridge (docs/decisions/0003-scheduling.md): hourly compaction of the
# whole lake by the curated builder, and a daily data-quality summary on the data-quality topic.
# EventBridge invokes both functions asynchronously: Lambda retries a failed run twice and then
# sends the event to the schedules' dead-letter queue (alarmed in infra/observability.tf).
# enable_schedules = false keeps the rules but disables them (e.g. when Airflow drives the jobs).

locals {
  quality_summary_zip = "${var.lambda_artifacts_dir}/quality_summary.zip"
  # job -> the function its rule invokes, the rule's schedule and the constant event it sends
  schedules = {
    compaction = {
      function   = aws_lambda_function.builder
      expression = var.compaction_schedule
      input      = { job = "compact" } # lambda/curated_builder/handler.py: COMPACT_JOB
      about      = "Compact and sweep every partition of the lake (curated builder)."
    }
    quality-summary = {
      function   = aws_lambda_function.quality_summary
      expression = var.quality_summary_schedule
      input      = { job = "quality-summary" }
      about      = "Publish the daily data-quality summary on the data-quality topic."
    }
  }
}

resource "aws_sqs_queue" "schedules_dlq" {
  name                      = "${local.name}-schedules-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each            = local.schedules
  name                = "${local.name}-${each.key}"
  description         = each.value.about
  schedule_expression = each.value.expression
  state               = var.enable_schedules ? "ENABLED" : "DISABLED"
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = local.schedules
  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = each.value.function.arn
  input    = jsonencode(each.value.input)
}

resource "aws_lambda_permission" "schedule" {
  for_each      = local.schedules
  statement_id  = "EventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = each.value.function.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}

# Asynchronous invocations (the schedules): two retries, then the event to the dead-letter queue.
resource "aws_lambda_function_event_invoke_config" "schedule" {
  for_each               = local.schedules
  function_name          = each.value.function.function_name
  maximum_retry_attempts = 2
  destination_config {
    on_failure {
      destination = aws_sqs_queue.schedules_dlq.arn
    }
  }
}

resource "aws_cloudwatch_log_group" "quality_summary" {
  name              = "/aws/lambda/${local.name}-quality-summary"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_lambda_function" "quality_summary" {
  #checkov:skip=CKV_AWS_117:No private resource to reach; a VPC would need NAT or endpoints for S3 and SNS, both IAM-authorised over TLS.
  #checkov:skip=CKV_AWS_116:Its asynchronous invocations have an on-failure destination (aws_lambda_function_event_invoke_config.schedule), which supersedes a dead-letter config.
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secret (AWS encrypts it at rest with its own key); LocalStack 4.14.0 drops KMSKeyArn, so setting it would never converge locally.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles (absent from LocalStack); the zips are built deterministically and their hash pinned by Terraform.
  #checkov:skip=CKV_AWS_115:Runs once a day; reserving concurrency fails on accounts with the default quota of 10.
  function_name    = "${local.name}-quality-summary"
  role             = aws_iam_role.quality_summary.arn
  runtime          = "python3.13"
  handler          = "handler.handler"
  filename         = local.quality_summary_zip
  source_code_hash = filebase64sha256(local.quality_summary_zip)
  timeout          = 300
  memory_size      = 256
  architectures    = [var.lambda_architecture]

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      LAKE_BUCKET                  = aws_s3_bucket.lake.bucket
      QUALITY_TOPIC_ARN            = aws_sns_topic.quality.arn
      SUMMARY_PERIOD_HOURS         = "24"
      SILENT_AFTER_HOURS           = "1"
      POWERTOOLS_SERVICE_NAME      = "quality-summary"
      POWERTOOLS_METRICS_NAMESPACE = "PetroStream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.quality_summary, aws_iam_role_policy.quality_summary, aws_iam_role_policy_attachment.quality_summary_xray]
}

resource "aws_iam_role" "quality_summary" {
  name               = "${local.iam_name}-quality-summary"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "quality_summary" {
  statement {
    sid       = "ReadWhatWasSetAside"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.zones.quarantine}*", "${aws_s3_bucket.lake.arn}/${local.zones.landing_reports}*"]
  }
  statement {
    sid       = "ListZones" # quarantine objects, reports and well states by age
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
  }
  statement {
    sid       = "PublishSummary"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.quality.arn]
  }
  statement {
    sid       = "FailedRunsToDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedules_dlq.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.quality_summary.arn}:*"]
  }
  statement {
    sid       = "LakeKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_role_policy" "quality_summary" {
  name   = "quality-summary"
  role   = aws_iam_role.quality_summary.id
  policy = data.aws_iam_policy_document.quality_summary.json
}

resource "aws_iam_role_policy_attachment" "quality_summary_xray" {
  role       = aws_iam_role.quality_summary.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}
