# The catalog and Athena (AWS only: LocalStack's free edition has neither Glue nor Athena; DuckDB
# stands in locally, see pipeline/queries.py). Every column is generated from pipeline/schema.json,
# and the gold columns follow the same naming as pipeline/gold.py, so the tables describe the
# files the builder writes; `catalog_columns` (below) lets the test suite compare the two.
locals {
  glue_types      = { string = "string", timestamp = "timestamp", double = "double", int = "int", bool = "boolean" }
  record_fields   = [for f in local.schema.fields : f if !try(f.partition, false)]
  partition_field = [for f in local.schema.fields : f if try(f.partition, false)]
  sensors         = [for f in local.schema.fields : f if try(f.source, null) != null]
  anomaly_types   = local.schema.detection.anomaly_types

  catalog_columns = {
    curated_readings = [for f in local.record_fields : { name = f.name, type = local.glue_types[f.type] }]
    gold_well_hourly = concat(
      [{ name = "well_id", type = "string" }, { name = "readings", type = "bigint" }],
      flatten([for s in local.sensors : [
        { name = "${s.name}_sum", type = "double" }, { name = "${s.name}_count", type = "bigint" },
        { name = "${s.name}_min", type = "double" }, { name = "${s.name}_max", type = "double" },
      ] if contains(["pressure", "temperature"], s.kind)]),
      [{ name = "anomalies", type = "bigint" }],
      [for t in local.anomaly_types : { name = "${t}_anomalies", type = "bigint" }],
      [for c in ["frozen_readings", "set_aside_readings"] : { name = c, type = "bigint" }],
      [{ name = "first_reading", type = "timestamp" }, { name = "last_reading", type = "timestamp" }],
    )
    gold_class_hourly = concat(
      [for c in ["event_class"] : { name = c, type = "int" }],
      [for c in ["readings", "event_readings", "anomalies", "flagged_event_readings", "flagged_normal_readings"] : { name = c, type = "bigint" }],
      [{ name = "first_event_time", type = "timestamp" }, { name = "first_flag_time", type = "timestamp" }],
      flatten([for s in local.sensors : [
        { name = "${s.name}_sum", type = "double" }, { name = "${s.name}_count", type = "bigint" },
      ] if s.kind == "pressure"]),
    )
  }
  table_zones = { curated_readings = "curated", gold_well_hourly = "gold_well_hourly", gold_class_hourly = "gold_class_hourly" }
  named_queries = {
    for file in fileset("${var.pipeline_dir}/sql", "*.sql") : trimsuffix(file, ".sql") => file("${var.pipeline_dir}/sql/${file}")
  }
}

resource "aws_glue_catalog_database" "lake" {
  count = var.enable_athena ? 1 : 0
  name  = replace("${local.name}_lake", "-", "_")
}

resource "aws_glue_catalog_table" "lake" {
  for_each      = var.enable_athena ? local.catalog_columns : {}
  name          = each.key
  database_name = aws_glue_catalog_database.lake[0].name
  table_type    = "EXTERNAL_TABLE"

  # The files each partition has committed, listed by the builder in Athena's symlink format
  # (pipeline/table.py): Athena reads exactly the committed files, never one a build has not
  # committed yet or one compaction has replaced. Partition projection: Athena computes the
  # date=/hour= partitions, no crawler or MSCK needed.
  parameters = {
    "classification"            = "parquet"
    "parquet.compression"       = "ZSTD"
    "projection.enabled"        = "true"
    "projection.date.type"      = "date"
    "projection.date.format"    = "yyyy-MM-dd"
    "projection.date.range"     = "2010-01-01,NOW"
    "projection.hour.type"      = "integer"
    "projection.hour.range"     = "0,23"
    "storage.location.template" = "s3://${aws_s3_bucket.lake.bucket}/${local.zones[local.table_zones[each.key]]}${local.lake.symlink_folder}date=$${date}/hour=$${hour}/"
  }

  dynamic "partition_keys" {
    for_each = local.partition_field
    content {
      name = partition_keys.value.name
      type = local.glue_types[partition_keys.value.type]
    }
  }

  storage_descriptor {
    location      = "s3://${aws_s3_bucket.lake.bucket}/${local.zones[local.table_zones[each.key]]}${local.lake.symlink_folder}"
    input_format  = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }
    dynamic "columns" {
      for_each = each.value
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_athena_workgroup" "lake" {
  count         = var.enable_athena ? 1 : 0
  name          = "${local.name}-lake"
  force_destroy = var.environment != "prod"
  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    result_configuration {
      output_location = "s3://${aws_s3_bucket.lake.bucket}/${local.zones.athena_results}"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.lake.arn
      }
    }
  }
}

# The same files `petrostream query <name>` runs on DuckDB (pipeline/sql/*.sql, Trino dialect).
resource "aws_athena_named_query" "lake" {
  for_each  = var.enable_athena ? local.named_queries : {}
  name      = each.key
  workgroup = aws_athena_workgroup.lake[0].name
  database  = aws_glue_catalog_database.lake[0].name
  query     = each.value
}

output "catalog_columns" {
  description = "Columns of the Glue tables (computed on every deployment, so tests can compare them with the files)."
  value       = local.catalog_columns
}
