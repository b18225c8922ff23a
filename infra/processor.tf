# Stream processor: Kinesis -> Lambda -> Firehose. The zip is built by the project
# (deterministically), so an unchanged function has an unchanged hash and is not redeployed.
resource "aws_cloudwatch_log_group" "processor" {
  name              = "/aws/lambda/${local.name}-stream-processor"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_lambda_function" "processor" {
  #checkov:skip=CKV_AWS_117:No private resource to reach; a VPC would need NAT or endpoints for Kinesis, Firehose, S3 and SQS, all of which are IAM-authorised over TLS.
  #checkov:skip=CKV_AWS_116:Never invoked asynchronously: event source mappings invoke it, with their own failure handling (on-failure destination / queue redrive).
  #checkov:skip=CKV_AWS_173:The environment holds resource names only, no secret (AWS encrypts it at rest with its own key); LocalStack 4.14.0 drops KMSKeyArn, so setting it would never converge locally.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles (absent from LocalStack); the zips are built deterministically and their hash pinned by Terraform.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the event source mapping (one invocation per shard); reserving some can fail on accounts with the default quota.
  function_name    = "${local.name}-stream-processor"
  role             = aws_iam_role.processor.arn
  runtime          = "python3.13"
  handler          = "handler.handler"
  filename         = local.processor_zip
  source_code_hash = filebase64sha256(local.processor_zip)
  timeout          = 60
  memory_size      = 256
  architectures    = [var.lambda_architecture]

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      DELIVERY_STREAM_NAME         = aws_kinesis_firehose_delivery_stream.raw.name
      LAKE_BUCKET                  = aws_s3_bucket.lake.bucket
      QUARANTINE_PREFIX            = local.zones.quarantine
      STATE_PREFIX                 = local.zones.detector_state
      WELL_LIMITS                  = jsonencode(var.well_limits)
      ALERTS_TOPIC_ARN             = aws_sns_topic.alerts.arn
      QUALITY_TOPIC_ARN            = aws_sns_topic.quality.arn
      POWERTOOLS_SERVICE_NAME      = "stream-processor"
      POWERTOOLS_METRICS_NAMESPACE = "PetroStream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.processor, aws_iam_role_policy.processor, aws_iam_role_policy_attachment.processor_xray]
}

resource "aws_lambda_event_source_mapping" "processor" {
  function_name                      = aws_lambda_function.processor.arn
  event_source_arn                   = aws_kinesis_stream.readings.arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.processor_batch_size
  maximum_batching_window_in_seconds = var.processor_batching_window_seconds
  maximum_retry_attempts             = var.processor_max_retry_attempts
  bisect_batch_on_function_error     = true
  function_response_types            = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.processor_dlq.arn
    }
  }

  # Reading starts the moment this mapping exists, and a stream can already hold records (a
  # redeploy, a LocalStack restarted with persistence): a raw object written before the bucket
  # notification exists would never reach the curated builder.
  depends_on = [aws_s3_bucket_notification.raw_objects]
}
