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
  type    = string
  default = "us-east-1"
}

variable "plan_without_credentials" {
  description = "Skip the provider's credential and account checks so `terraform plan` works with dummy credentials. Never set it for apply."
  type        = bool
  default     = false
}

variable "lambda_artifacts_dir" {
  description = "Folder with the function zips built by `make build` (services/lambda_build.py)."
  type        = string
  default     = "../build/lambda"
}

variable "stream_shard_count" {
  type    = number
  default = 1
}

variable "stream_retention_hours" {
  type    = number
  default = 24
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
  type    = number
  default = 14
}
