# DirectPut delivery into the raw zone. No format conversion, dynamic partitioning or prefix
# expressions: LocalStack lacks them, and the lake must have the same layout everywhere.
resource "aws_kinesis_firehose_delivery_stream" "raw" {
  #checkov:skip=CKV_AWS_240:Firehose's own SSE is not emulated by LocalStack 4.14.0 (StartDeliveryStreamEncryption); what it writes is encrypted at once with the lake's CMK (bucket default SSE-KMS).
  #checkov:skip=CKV_AWS_241:As CKV_AWS_240: at rest the data is under the customer-managed key through the bucket.
  name        = "${local.name}-raw"
  destination = "extended_s3"

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = aws_s3_bucket.lake.arn
    prefix              = local.raw_prefix
    error_output_prefix = local.raw_error_prefix
    buffering_interval  = var.firehose_buffering_seconds
    buffering_size      = var.firehose_buffering_mib
    compression_format  = "UNCOMPRESSED"

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = "S3Delivery"
    }
  }

  # Data at rest is encrypted by the bucket's default encryption. Firehose's own SSE
  # (StartDeliveryStreamEncryption) is not emulated by LocalStack 4.14.0.

  # Firehose checks its role's permissions when the stream is created and delivers with them.
  depends_on = [aws_iam_role_policy.firehose]
}

resource "aws_cloudwatch_log_group" "firehose" {
  name              = "/aws/kinesisfirehose/${local.name}-raw"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_cloudwatch_log_stream" "firehose" {
  name           = "S3Delivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}
