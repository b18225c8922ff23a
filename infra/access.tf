# Access for principals outside this configuration: producers that write the stream and readers
# of the lake (Athena users, notebooks on AWS). Both need the lake's customer-managed key, which
# encrypts the stream, the bucket and Athena's results; its key policy leaves grants to IAM, so
# attaching one of these policies is all a user or role needs. Their ARNs are outputs.

data "aws_iam_policy_document" "producer" {
  statement {
    sid       = "PutReadings"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStreamSummary", "kinesis:ListShards"]
    resources = [aws_kinesis_stream.readings.arn]
  }
  statement {
    sid       = "DropLandingFiles" # petrostream backfill: files into landing/
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.zones.landing}*"]
  }
  statement {
    sid       = "ReadLandingReports" # and waits for their reports
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.zones.landing_reports}*"]
  }
  statement {
    sid       = "ListLandingReports" # a report not written yet must read as 404, not 403
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.zones.landing_reports}*"]
    }
  }
  statement {
    sid       = "ReadReportsThroughS3" # reports are SSE-KMS; decrypting only through S3, whose policy above allows landing-reports/ alone
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.lake.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
  statement {
    sid       = "ReadTheIngestApiKey" # petrostream produce --via api reads the key's value
    actions   = ["apigateway:GET"]
    resources = ["arn:${data.aws_partition.current.partition}:apigateway:${local.region}::/apikeys/${aws_api_gateway_api_key.gateways.id}"]
  }
  statement {
    sid       = "EncryptWithTheLakeKey" # the stream and the bucket are SSE-KMS with the lake key
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
}

resource "aws_iam_policy" "producer" {
  name        = "${local.iam_name}-producer"
  description = "Write readings into ${aws_kinesis_stream.readings.name} (directly or through the ingest API), and 3W files into the landing zone."
  policy      = data.aws_iam_policy_document.producer.json
}

data "aws_iam_policy_document" "reader" {
  statement {
    sid     = "ReadTables"
    actions = ["s3:GetObject"]
    resources = [
      for zone in ["curated", "gold_well_hourly", "gold_class_hourly", "manifests"] :
      "${aws_s3_bucket.lake.arn}/${local.zones[zone]}*"
    ]
  }
  statement {
    sid       = "FindTheBucket" # Athena and SDKs ask where the bucket is; no prefix in that request
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.lake.arn]
  }
  statement {
    sid       = "ListTables"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values = [
        for zone in ["curated", "gold_well_hourly", "gold_class_hourly", "manifests", "athena_results"] :
        "${local.zones[zone]}*"
      ]
    }
  }
  statement {
    sid       = "AthenaResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${aws_s3_bucket.lake.arn}/${local.zones.athena_results}*"]
  }
  statement {
    sid       = "DecryptTablesEncryptResults"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
  dynamic "statement" {
    for_each = var.enable_athena ? [1] : []
    content {
      sid     = "QueryThroughAthena"
      actions = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetNamedQuery", "athena:ListNamedQueries", "athena:GetWorkGroup"]
      resources = [
        "arn:${data.aws_partition.current.partition}:athena:${local.region}:${local.account_id}:workgroup/${aws_athena_workgroup.lake[0].name}"
      ]
    }
  }
  dynamic "statement" {
    for_each = var.enable_athena ? [1] : []
    content {
      sid     = "ReadTheCatalog"
      actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
      resources = [
        "arn:${data.aws_partition.current.partition}:glue:${local.region}:${local.account_id}:catalog",
        "arn:${data.aws_partition.current.partition}:glue:${local.region}:${local.account_id}:database/${aws_glue_catalog_database.lake[0].name}",
        "arn:${data.aws_partition.current.partition}:glue:${local.region}:${local.account_id}:table/${aws_glue_catalog_database.lake[0].name}/*",
      ]
    }
  }
}

resource "aws_iam_policy" "reader" {
  name        = "${local.iam_name}-reader"
  description = "Read the lake's curated and gold tables (and query them through Athena when enabled)."
  policy      = data.aws_iam_policy_document.reader.json
}
