# The data lake bucket: raw (Firehose NDJSON), quarantine, curated and gold (pipeline/lake.json).
resource "aws_s3_bucket" "lake" {
  #checkov:skip=CKV_AWS_18:Server access logs need a second bucket; the account's CloudTrail data events are the audit trail we rely on.
  #checkov:skip=CKV_AWS_144:Single-region by design; cross-region replication is a disaster-recovery choice for the account, not this module.
  bucket_prefix = "${local.name}-lake-"
  force_destroy = var.environment != "prod"
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration {
    status = "Enabled"
  }
}

# SSE-KMS with a customer-managed key (rotated yearly); the bucket key keeps KMS calls (and
# their cost) down to one per object prefix and hour instead of one per object.
resource "aws_kms_key" "lake" {
  description             = "${local.name} data lake, stream and logs"
  enable_key_rotation     = true
  deletion_window_in_days = var.environment == "prod" ? 30 : 7
  policy                  = data.aws_iam_policy_document.lake_key.json
}

# The account administers the key and grants use through IAM (each role's policy names this key);
# CloudWatch Logs may use it only for this project's log groups.
data "aws_iam_policy_document" "lake_key" {
  #checkov:skip=CKV_AWS_109:A key policy's resource "*" means this key only; administration stays with the account root, as AWS's default key policy has it.
  #checkov:skip=CKV_AWS_111:As CKV_AWS_109: the statement is scoped to this key by being its key policy.
  #checkov:skip=CKV_AWS_356:As CKV_AWS_109: "*" is the only resource a key policy accepts.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsEncryptsProjectLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/*/${local.name}-*"]
    }
  }
  statement {
    # Alarms publish to the encrypted alert topics (infra/notifications.tf); SNS itself delivers
    # them to subscriptions.
    sid       = "AlarmsAndTopicsUseTheKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # in a key policy, "*" is this key
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "sns.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${local.name}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.lake.arn
    }
    bucket_key_enabled = true
  }
}

# Nobody in over plain HTTP: every request without TLS is denied, whoever makes it.
data "aws_iam_policy_document" "lake_bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.lake.arn, "${aws_s3_bucket.lake.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket     = aws_s3_bucket.lake.id
  policy     = data.aws_iam_policy_document.lake_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.lake]
}

# Raw NDJSON is only needed to rebuild curated: it moves to Infrequent Access, then expires.
# Curated and gold are kept, but each rebuild leaves the previous version of a partition file
# (versioning is on), and those old versions expire; so do the old versions of the manifests (one
# per commit) and of the detector states (one per batch that advanced a well).
resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    id     = "raw-to-infrequent-access-then-expire"
    status = "Enabled"
    filter {
      prefix = local.raw_prefix
    }
    transition {
      days          = var.raw_infrequent_access_after_days
      storage_class = "STANDARD_IA"
    }
    expiration {
      days = var.raw_expire_after_days
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_versions_expire_after_days
    }
  }

  rule {
    id     = "quarantine-expire"
    status = "Enabled"
    filter {
      prefix = local.zones.quarantine
    }
    expiration {
      days = var.quarantine_expire_after_days
    }
  }

  rule {
    id     = "discard-expire"
    status = "Enabled"
    filter {
      prefix = local.zones.discard
    }
    expiration {
      days = var.quarantine_expire_after_days
    }
  }

  rule {
    id     = "athena-results-expire"
    status = "Enabled"
    filter {
      prefix = local.zones.athena_results
    }
    expiration {
      days = 30
    }
  }

  dynamic "rule" {
    for_each = toset(["curated", "gold_well_hourly", "gold_class_hourly", "manifests", "detector_state"])
    content {
      id     = "${replace(rule.value, "_", "-")}-old-versions-expire"
      status = "Enabled"
      filter {
        prefix = local.zones[rule.value]
      }
      noncurrent_version_expiration {
        noncurrent_days = var.noncurrent_versions_expire_after_days
      }
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}
