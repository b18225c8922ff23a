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

output "landing_loader_function_name" {
  value = aws_lambda_function.landing.function_name
}

output "ingest_api_function_name" {
  value = aws_lambda_function.ingest.function_name
}

output "api_id" {
  description = "The ingest REST API's id (LocalStack serves it at <endpoint>/_aws/execute-api/<id>/<stage>/)."
  value       = aws_api_gateway_rest_api.ingest.id
}

output "api_url" {
  description = "POST readings here, with the API key as x-api-key (docs/http-api.md)."
  value       = "${aws_api_gateway_stage.ingest.invoke_url}/${local.api.path}"
}

output "api_key_id" {
  description = "The gateways' API key; its value: aws apigateway get-api-key --api-key <id> --include-value."
  value       = aws_api_gateway_api_key.gateways.id
}

output "quality_summary_function_name" {
  value = aws_lambda_function.quality_summary.function_name
}

output "schedule_rule_names" {
  description = "Job -> the EventBridge rule that runs it (infra/schedules.tf)."
  value       = { for job, rule in aws_cloudwatch_event_rule.schedule : job => rule.name }
}

output "schedules_dead_letter_queue_url" {
  value = aws_sqs_queue.schedules_dlq.url
}

output "landing_dead_letter_queue_url" {
  value = aws_sqs_queue.landing_objects_dlq.url
}

output "zones" {
  description = "Prefix of each lake zone (from pipeline/lake.json)."
  value       = local.zones
}

output "alerts_queue_url" {
  value = aws_sqs_queue.alerts.url
}

output "alerts_topic_arn" {
  description = "SNS topic of anomaly alerts (attributes: kind, well_id, detector, severity)."
  value       = aws_sns_topic.alerts.arn
}

output "quality_topic_arn" {
  description = "SNS topic of data-quality alerts and, by default, of the alarms."
  value       = aws_sns_topic.quality.arn
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

output "named_query_ids" {
  description = "Athena named query id of each pipeline/sql file (empty without enable_athena)."
  value       = { for name, query in aws_athena_named_query.lake : name => query.id }
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

output "lake_key_arn" {
  description = "The customer-managed key of the stream, the lake and Athena's results: other principals need kms:GenerateDataKey (producers) or kms:Decrypt (readers) on it, as the policies below grant."
  value       = aws_kms_key.lake.arn
}

output "producer_policy_arn" {
  description = "Attach to a producer's user or role: PutRecords into the stream, with the key."
  value       = aws_iam_policy.producer.arn
}

output "reader_policy_arn" {
  description = "Attach to a reader's user or role: the curated and gold tables, the key, and Athena and Glue when enabled."
  value       = aws_iam_policy.reader.arn
}
