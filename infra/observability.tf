# Alarms on what means data is late or lost, and one dashboard. Alarm notifications go to the
# topics in var.alarm_actions (none by default: wire them to your on-call SNS topic).
locals {
  functions = {
    processor = aws_lambda_function.processor.function_name
    builder   = aws_lambda_function.builder.function_name
  }
  dead_letter_queues = {
    processor = aws_sqs_queue.processor_dlq.name
    builder   = aws_sqs_queue.raw_objects_dlq.name
  }
}

resource "aws_cloudwatch_metric_alarm" "iterator_age" {
  alarm_name          = "${local.name}-stream-iterator-age"
  alarm_description   = "The stream processor is falling behind the readings stream."
  namespace           = "AWS/Kinesis"
  metric_name         = "GetRecords.IteratorAgeMilliseconds"
  dimensions          = { StreamName = aws_kinesis_stream.readings.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.alarm_iterator_age_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each            = local.functions
  alarm_name          = "${each.value}-errors"
  alarm_description   = "${each.value} returned errors (its batches are being retried)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each            = local.functions
  alarm_name          = "${each.value}-throttles"
  alarm_description   = "${each.value} was throttled."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = each.value }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each            = local.dead_letter_queues
  alarm_name          = "${each.value}-not-empty"
  alarm_description   = "Something was dead-lettered: see README, Failure modes (petrostream replay-dlq)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "firehose_delivery" {
  alarm_name          = "${local.name}-raw-delivery-failing"
  alarm_description   = "Firehose could not deliver to the raw zone (records go to raw-errors/)."
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.Success"
  dimensions          = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.raw.name }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${local.name}-pipeline"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Records through the stream processor"
          region  = var.region
          stat    = "Sum"
          period  = 60
          metrics = [for m in ["RecordsIn", "RecordsValid", "RecordsQuarantined", "Anomalies", "DeliveryFailures"] : ["PetroStream", m, "service", "stream-processor"]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Stream lag"
          region  = var.region
          stat    = "Maximum"
          period  = 60
          metrics = [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", aws_kinesis_stream.readings.name], ["PetroStream", "IteratorLagMs", "service", "stream-processor"]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Lambda errors and throttles"
          region = var.region
          stat   = "Sum"
          period = 60
          metrics = concat(
            [for f in values(local.functions) : ["AWS/Lambda", "Errors", "FunctionName", f]],
            [for f in values(local.functions) : ["AWS/Lambda", "Throttles", "FunctionName", f]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Dead-letter queues and curated builds"
          region = var.region
          stat   = "Maximum"
          period = 60
          metrics = concat(
            [for q in values(local.dead_letter_queues) : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q]],
            [["PetroStream", "BuildSeconds", "service", "curated-builder"]],
          )
        }
      },
    ]
  })
}
