resource "aws_kinesis_stream" "readings" {
  name             = "${local.name}-readings"
  shard_count      = var.stream_shard_count
  retention_period = var.stream_retention_hours
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.lake.arn

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

resource "aws_sqs_queue" "processor_dlq" {
  name                      = "${local.name}-processor-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Every alert of both topics (infra/notifications.tf), for programs that poll: one message per
# well and detector per batch for anomalies, one per sensor fault.
resource "aws_sqs_queue" "alerts" {
  name                      = "${local.name}-anomaly-alerts"
  message_retention_seconds = 345600
  sqs_managed_sse_enabled   = true
}
