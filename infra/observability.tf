# Alarms on what means data is late or lost, and one dashboard. Alarm notifications go to the
# topics in var.alarm_actions, by default the data-quality topic (infra/notifications.tf).
locals {
  functions = {
    processor = aws_lambda_function.processor.function_name
    builder   = aws_lambda_function.builder.function_name
    landing   = aws_lambda_function.landing.function_name
    summary   = aws_lambda_function.quality_summary.function_name
    ingest    = aws_lambda_function.ingest.function_name
  }
  dead_letter_queues = {
    processor = aws_sqs_queue.processor_dlq.name
    builder   = aws_sqs_queue.raw_objects_dlq.name
    landing   = aws_sqs_queue.landing_objects_dlq.name
    schedules = aws_sqs_queue.schedules_dlq.name
  }

  # Every alarm, keyed by its name. Each compares one statistic with a threshold; all treat
  # missing data as fine (an idle pipeline is not broken) and notify local.alarm_actions.
  alarms = merge(
    {
      "${local.name}-stream-iterator-age" = {
        description = "The stream processor is falling behind the readings stream."
        namespace   = "AWS/Kinesis", metric = "GetRecords.IteratorAgeMilliseconds"
        dimensions  = { StreamName = aws_kinesis_stream.readings.name }
        statistic   = "Maximum", period = 60, periods = 5
        threshold   = var.alarm_iterator_age_ms, comparison = "GreaterThanThreshold"
      }
      "${local.name}-raw-delivery-failing" = {
        description = "Firehose could not deliver to the raw zone (records go to raw-errors/)."
        namespace   = "AWS/Firehose", metric = "DeliveryToS3.Success"
        dimensions  = { DeliveryStreamName = aws_kinesis_firehose_delivery_stream.raw.name }
        statistic   = "Minimum", period = 300, periods = 1
        threshold   = 1, comparison = "LessThanThreshold"
      }
    },
    { for f in values(local.functions) : "${f}-errors" => {
      description = "${f} returned errors (its batches are being retried)."
      namespace   = "AWS/Lambda", metric = "Errors", dimensions = { FunctionName = f }
      statistic   = "Sum", period = 60, periods = 1, threshold = 0, comparison = "GreaterThanThreshold"
    } },
    { for f in values(local.functions) : "${f}-throttles" => {
      description = "${f} was throttled."
      namespace   = "AWS/Lambda", metric = "Throttles", dimensions = { FunctionName = f }
      statistic   = "Sum", period = 300, periods = 1, threshold = 0, comparison = "GreaterThanThreshold"
    } },
    { for q in values(local.dead_letter_queues) : "${q}-not-empty" => {
      description = "Something was dead-lettered: see README, Failure modes (petrostream replay-dlq)."
      namespace   = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", dimensions = { QueueName = q }
      statistic   = "Maximum", period = 60, periods = 1, threshold = 0, comparison = "GreaterThanThreshold"
    } },
  )
}

resource "aws_cloudwatch_metric_alarm" "pipeline" {
  for_each            = local.alarms
  alarm_name          = each.key
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${local.name}-pipeline"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Records through the stream processor"
          region  = local.region
          stat    = "Sum"
          period  = 60
          metrics = [for m in ["RecordsIn", "RecordsValid", "RecordsQuarantined", "Anomalies", "DeliveryFailures"] : ["PetroStream", m, "service", "stream-processor"]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Stream lag"
          region  = local.region
          stat    = "Maximum"
          period  = 60
          metrics = [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", aws_kinesis_stream.readings.name], ["PetroStream", "IteratorLagMs", "service", "stream-processor"]]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Lambda errors and throttles"
          region = local.region
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
          region = local.region
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
