output "lake_bucket" {
  value = aws_s3_bucket.lake.bucket
}

output "raw_prefix" {
  value = local.raw_prefix
}

output "stream_name" {
  value = aws_kinesis_stream.readings.name
}

output "delivery_stream_name" {
  value = aws_kinesis_firehose_delivery_stream.raw.name
}

output "stream_processor_function_name" {
  value = aws_lambda_function.processor.function_name
}

output "curated_builder_function_name" {
  value = aws_lambda_function.builder.function_name
}

output "zones" {
  description = "Prefix of each lake zone (from pipeline/lake.json)."
  value       = local.zones
}

output "alerts_queue_url" {
  value = aws_sqs_queue.alerts.url
}

output "raw_objects_queue_url" {
  value = aws_sqs_queue.raw_objects.url
}

output "builder_dead_letter_queue_url" {
  value = aws_sqs_queue.raw_objects_dlq.url
}

output "athena_workgroup" {
  value = var.enable_athena ? aws_athena_workgroup.lake[0].name : null
}

output "glue_database" {
  value = var.enable_athena ? aws_glue_catalog_database.lake[0].name : null
}

output "dead_letter_queue_url" {
  value = aws_sqs_queue.processor_dlq.url
}

output "region" {
  value = data.aws_region.current.name
}

output "alarm_names" {
  value = sort([for alarm in aws_cloudwatch_metric_alarm.pipeline : alarm.alarm_name])
}

output "dashboard_name" {
  value = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
