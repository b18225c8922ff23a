# Notifications people receive: anomaly alerts on one topic, data-quality alerts (sensor faults)
# and alarms on another. Each message carries attributes (kind, well_id, detector, severity) that
# subscriptions filter on. Both topics are encrypted with the lake key; the key policy lets
# CloudWatch alarms publish to them.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-anomaly-alerts"
  kms_master_key_id = aws_kms_key.lake.arn
}

resource "aws_sns_topic" "quality" {
  name              = "${local.name}-data-quality"
  kms_master_key_id = aws_kms_key.lake.arn
}

locals {
  topics = { alerts = aws_sns_topic.alerts.arn, quality = aws_sns_topic.quality.arn }
  # The alarms notify these: var.alarm_actions if given, else the data-quality topic.
  alarm_actions = length(var.alarm_actions) > 0 ? var.alarm_actions : [aws_sns_topic.quality.arn]
}

# The alerts queue keeps every alert of both topics for programs that poll (raw delivery: the
# message is the alert's JSON, as published).
resource "aws_sns_topic_subscription" "alerts_queue" {
  for_each             = local.topics
  topic_arn            = each.value
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.alerts.arn
  raw_message_delivery = true
}

data "aws_iam_policy_document" "alerts_queue" {
  statement {
    sid       = "TopicsDeliver"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = values(local.topics)
    }
  }
}

resource "aws_sqs_queue_policy" "alerts" {
  queue_url = aws_sqs_queue.alerts.id
  policy    = data.aws_iam_policy_document.alerts_queue.json
}

# E-mail for people, on AWS (each address confirms its subscription by following a link).
resource "aws_sns_topic_subscription" "email" {
  for_each  = var.alert_email == null ? {} : local.topics
  topic_arn = each.value
  protocol  = "email"
  endpoint  = var.alert_email
}
