variable "project" {
  description = "Name prefix for every resource."
  type        = string
  default     = "petrostream"
}

variable "environment" {
  description = "Deployment name (dev, prod, local...), part of resource names."
  type        = string
  default     = "dev"
}

variable "region" {
  description = "AWS region. Null: the provider's usual chain (AWS_REGION, AWS_DEFAULT_REGION, the profile's region)."
  type        = string
  default     = null
}

variable "plan_without_credentials" {
  description = "Skip the provider's credential and account checks so `terraform plan` works with dummy credentials. Never set it for apply."
  type        = bool
  default     = false
}

variable "lambda_architecture" {
  description = "x86_64 or arm64 (Graviton, about 20% cheaper per GB-second). The zips must be built for it: `PETROSTREAM_LAMBDA_ARCH=arm64 make build`."
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture is x86_64 or arm64."
  }
}

variable "lambda_artifacts_dir" {
  description = "Folder with the function zips built by `make build` (services/lambda_build.py)."
  type        = string
  default     = "../build/lambda"
}

variable "stream_shard_count" {
  description = "Shards of the readings stream (partition key: well id). LocalStack's kinesis-mock slows down with the records stored per shard, so more shards also keep local runs fast."
  type        = number
  default     = 4
}

variable "stream_retention_hours" {
  type    = number
  default = 24
}

variable "well_limits" {
  description = "Operating limits that replace a sensor's learned envelope on one well: { \"WELL-00001\" = { p_mon_ckp = { max = 9.5e6 } } }. Sensor names and units as in pipeline/schema.json (Pa, degC, m3/s). Empty: every well learns its own."
  type = map(map(object({
    min = optional(number)
    max = optional(number)
  })))
  default = {}
}

variable "processor_batch_size" {
  description = "Kinesis records per Lambda invocation."
  type        = number
  default     = 500
}

variable "processor_batching_window_seconds" {
  type    = number
  default = 1
}

variable "processor_max_retry_attempts" {
  description = "Retries of a failing batch before it goes to the dead-letter queue."
  type        = number
  default     = 3
}

variable "firehose_buffering_seconds" {
  description = "Firehose buffer interval on AWS (LocalStack writes at once)."
  type        = number
  default     = 60
}

variable "firehose_buffering_mib" {
  type    = number
  default = 5
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention (a year by default: incident reviews look back that far)."
  type        = number
  default     = 365
}

variable "pipeline_dir" {
  description = "The pipeline/ folder: schema.json (Glue columns), lake.json (zone prefixes) and sql/ (Athena named queries)."
  type        = string
  default     = "../pipeline"
}

variable "enable_athena" {
  description = "Create the Glue catalog, the Athena workgroup and the named queries (AWS only: LocalStack's free edition has neither)."
  type        = bool
  default     = true
}

variable "builder_batch_size" {
  description = "Raw-object notifications per curated build."
  type        = number
  default     = 50
}

variable "builder_batching_window_seconds" {
  type    = number
  default = 2
}

variable "raw_infrequent_access_after_days" {
  description = "Days before raw objects move to S3 Standard-IA (30 at least, AWS's minimum)."
  type        = number
  default     = 30
}

variable "raw_expire_after_days" {
  description = "Days before raw objects are deleted (curated and gold are kept)."
  type        = number
  default     = 365
}

variable "quarantine_expire_after_days" {
  type    = number
  default = 180
}

variable "noncurrent_versions_expire_after_days" {
  description = "Days an overwritten version (a rebuilt curated partition, a replaced raw object) is kept."
  type        = number
  default     = 30
}

variable "alert_email" {
  description = "An e-mail address subscribed to both alert topics (AWS asks it to confirm). Null: none."
  type        = string
  default     = null
}

variable "alarm_actions" {
  description = "ARNs (SNS topics) notified when an alarm fires or clears. Empty: the data-quality topic."
  type        = list(string)
  default     = []
}

variable "alarm_iterator_age_ms" {
  description = "Stream lag, in milliseconds, above which the iterator-age alarm fires."
  type        = number
  default     = 60000
}

variable "landing_memory_mb" {
  description = "Memory of the landing loader. 2048 reads the largest 3W files with room to spare (docs/landing.md); new accounts allow at most 3008."
  type        = number
  default     = 2048
}

variable "landing_max_bytes" {
  description = "Landing files larger than this are refused unread, with a report saying so (docs/landing.md)."
  type        = number
  default     = 209715200
}

variable "landing_max_rows" {
  description = "Landing files with more rows than this are refused after reading (docs/landing.md)."
  type        = number
  default     = 1000000
}

variable "enable_schedules" {
  description = "Run the scheduled jobs (hourly compaction, daily quality summary). False keeps the rules, disabled: e.g. when Airflow invokes the functions instead (docs/decisions/0003-scheduling.md)."
  type        = bool
  default     = true
}

variable "compaction_schedule" {
  description = "EventBridge schedule expression of the lake's compaction."
  type        = string
  default     = "rate(1 hour)"
}

variable "quality_summary_schedule" {
  description = "EventBridge schedule expression of the daily data-quality summary (UTC)."
  type        = string
  default     = "cron(0 6 * * ? *)"
}

variable "api_rate_limit" {
  description = "Steady requests per second the ingest API's usage plan allows its key (each request up to 500 readings)."
  type        = number
  default     = 50
}

variable "api_burst_limit" {
  description = "Requests the ingest API's usage plan lets a key burst to."
  type        = number
  default     = 100
}

variable "api_daily_quota" {
  description = "Requests per day the ingest API's usage plan allows its key."
  type        = number
  default     = 1000000
}
