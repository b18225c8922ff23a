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

output "function_names" {
  value = [aws_lambda_function.processor.function_name]
}

output "dead_letter_queue_url" {
  value = aws_sqs_queue.processor_dlq.url
}

output "region" {
  value = data.aws_region.current.name
}
