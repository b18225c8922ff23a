# HTTP ingestion: an API Gateway REST API (version 1: LocalStack's free edition has no HTTP APIs)
# in front of the stream, for gateways that speak HTTPS rather than the Kinesis API.
# POST /readings (JSON) or /readings/csv (3W CSV) with an API key -> the ingest-api Lambda
# (proxy) -> Kinesis PutRecords.
# The JSON request model is generated here from pipeline/schema.json (record stage) and the
# limits from pipeline/lake.json, the files the function's own checks read (pipeline/ingest.py).
locals {
  ingest_zip = "${var.lambda_artifacts_dir}/ingest_api.zip"
  api        = local.lake.ingest_api
  json_type  = { string = "string", timestamp = "string", double = "number", int = "integer", bool = "boolean" }
  # event_id and source_file may be left out: the API derives the one and defaults the other
  derived        = ["event_id", "source_file"]
  reading_fields = [for f in local.schema.fields : f if f.stage == "record"]
  readings_model = {
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "Readings"
    type      = "object"
    required  = ["readings"]
    properties = {
      readings = {
        type     = "array"
        minItems = 1 # no maxItems: more than max_readings is the function's 413, not a 400 here
        items = {
          type                 = "object"
          additionalProperties = false
          required             = [for f in local.reading_fields : f.name if lookup(f, "required", false) && !contains(local.derived, f.name)]
          properties = {
            for f in local.reading_fields : f.name => {
              type = lookup(f, "required", false) ? [local.json_type[f.type]] : [local.json_type[f.type], "null"]
            }
          }
        }
      }
    }
  }
}

resource "aws_api_gateway_rest_api" "ingest" {
  #checkov:skip=CKV_AWS_237:Replacing the API is rare and changes its URL anyway; gateways are told the new one.
  name        = "${local.name}-ingest"
  description = "POST readings to the ${aws_kinesis_stream.readings.name} stream (docs/http-api.md)."
  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_resource" "readings" {
  rest_api_id = aws_api_gateway_rest_api.ingest.id
  parent_id   = aws_api_gateway_rest_api.ingest.root_resource_id
  path_part   = local.api.path
}

# POST /readings/csv: a 3W CSV body. Its own resource, without the JSON model: API Gateway
# would hold any body of the JSON method to that model, whatever its content type.
resource "aws_api_gateway_resource" "csv" {
  rest_api_id = aws_api_gateway_rest_api.ingest.id
  parent_id   = aws_api_gateway_resource.readings.id
  path_part   = local.api.csv_path
}

resource "aws_api_gateway_method" "post_csv" {
  #checkov:skip=CKV_AWS_59:Gateways authenticate with an API key tied to a usage plan (throttling and quota); IAM (SigV4) is what they cannot speak. Put a Lambda authorizer here to tie keys to wells.
  #checkov:skip=CKV2_AWS_53:No model describes a CSV body; the function reads it with the 3W reader and validates every reading.
  rest_api_id      = aws_api_gateway_rest_api.ingest.id
  resource_id      = aws_api_gateway_resource.csv.id
  http_method      = "POST"
  authorization    = "NONE"
  api_key_required = true
}

resource "aws_api_gateway_integration" "post_csv" {
  rest_api_id             = aws_api_gateway_rest_api.ingest.id
  resource_id             = aws_api_gateway_resource.csv.id
  http_method             = aws_api_gateway_method.post_csv.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.ingest.invoke_arn
}

resource "aws_api_gateway_model" "readings" {
  rest_api_id  = aws_api_gateway_rest_api.ingest.id
  name         = "Readings"
  content_type = "application/json"
  schema       = jsonencode(local.readings_model)
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id           = aws_api_gateway_rest_api.ingest.id
  name                  = "body"
  validate_request_body = true
}

resource "aws_api_gateway_method" "post_readings" {
  #checkov:skip=CKV_AWS_59:Gateways authenticate with an API key tied to a usage plan (throttling and quota); IAM (SigV4) is what they cannot speak. Put a Lambda authorizer here to tie keys to wells.
  #checkov:skip=CKV2_AWS_53:The request validator checks the body against the model; the function checks every reading again.
  rest_api_id          = aws_api_gateway_rest_api.ingest.id
  resource_id          = aws_api_gateway_resource.readings.id
  http_method          = "POST"
  authorization        = "NONE"
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models       = { "application/json" = aws_api_gateway_model.readings.name }
}

resource "aws_api_gateway_integration" "post_readings" {
  rest_api_id             = aws_api_gateway_rest_api.ingest.id
  resource_id             = aws_api_gateway_resource.readings.id
  http_method             = aws_api_gateway_method.post_readings.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.ingest.invoke_arn
}

# A body the model refuses: 400 with the validator's field-level reasons, as JSON.
resource "aws_api_gateway_gateway_response" "bad_body" {
  rest_api_id   = aws_api_gateway_rest_api.ingest.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"
  response_templates = {
    "application/json" = "{\"message\": \"the body does not match the Readings model\", \"errors\": \"$context.error.validationErrorString\"}"
  }
}

resource "aws_api_gateway_deployment" "ingest" {
  rest_api_id = aws_api_gateway_rest_api.ingest.id
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.readings,
      aws_api_gateway_method.post_readings,
      aws_api_gateway_integration.post_readings,
      aws_api_gateway_resource.csv,
      aws_api_gateway_method.post_csv,
      aws_api_gateway_integration.post_csv,
      aws_api_gateway_model.readings,
      aws_api_gateway_request_validator.body,
      aws_api_gateway_gateway_response.bad_body,
    ]))
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "ingest" {
  #checkov:skip=CKV_AWS_76:Access logs need the account-wide API Gateway CloudWatch role (aws_api_gateway_account), which one stack should not own; the function logs every request it serves.
  #checkov:skip=CKV_AWS_120:POSTs are never cached.
  #checkov:skip=CKV2_AWS_51:Gateways present API keys, not client certificates.
  #checkov:skip=CKV2_AWS_29:WAF is a per-organisation choice (and cost); throttling and quota come from the usage plan.
  #checkov:skip=CKV2_AWS_4:Execution logging needs the same account-wide role as access logs.
  deployment_id        = aws_api_gateway_deployment.ingest.id
  rest_api_id          = aws_api_gateway_rest_api.ingest.id
  stage_name           = local.api.stage
  xray_tracing_enabled = true
}

resource "aws_api_gateway_api_key" "gateways" {
  name        = "${local.name}-gateways"
  description = "The key field gateways send as x-api-key (petrostream produce --via api reads it)."
}

resource "aws_api_gateway_usage_plan" "gateways" {
  name = "${local.name}-gateways"
  api_stages {
    api_id = aws_api_gateway_rest_api.ingest.id
    stage  = aws_api_gateway_stage.ingest.stage_name
  }
  throttle_settings {
    burst_limit = var.api_burst_limit
    rate_limit  = var.api_rate_limit
  }
  quota_settings {
    limit  = var.api_daily_quota
    period = "DAY"
  }
}

resource "aws_api_gateway_usage_plan_key" "gateways" {
  key_id        = aws_api_gateway_api_key.gateways.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.gateways.id
}

resource "aws_lambda_permission" "api" {
  statement_id  = "ApiGatewayPostReadings"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.ingest.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.ingest.execution_arn}/*/POST/${local.api.path}*"
}

resource "aws_cloudwatch_log_group" "ingest" {
  name              = "/aws/lambda/${local.name}-ingest-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.lake.arn
}

resource "aws_lambda_function" "ingest" {
  #checkov:skip=CKV_AWS_117:No private resource to reach; a VPC would need NAT or endpoints for Kinesis, which is IAM-authorised over TLS.
  #checkov:skip=CKV_AWS_116:Invoked synchronously by API Gateway only: the caller gets every failure as its response.
  #checkov:skip=CKV_AWS_173:The environment holds a stream name only, no secret (AWS encrypts it at rest with its own key); LocalStack 4.14.0 drops KMSKeyArn, so setting it would never converge locally.
  #checkov:skip=CKV_AWS_272:Code signing needs AWS Signer profiles (absent from LocalStack); the zips are built deterministically and their hash pinned by Terraform.
  #checkov:skip=CKV_AWS_115:The usage plan bounds the request rate; reserving concurrency fails on accounts with the default quota of 10.
  function_name    = "${local.name}-ingest-api"
  role             = aws_iam_role.ingest.arn
  runtime          = "python3.13"
  handler          = "handler.handler"
  filename         = local.ingest_zip
  source_code_hash = filebase64sha256(local.ingest_zip)
  timeout          = 29 # API Gateway's integration timeout
  memory_size      = 512
  architectures    = [var.lambda_architecture]

  tracing_config {
    mode = "Active"
  }

  environment {
    variables = {
      STREAM_NAME                  = aws_kinesis_stream.readings.name
      POWERTOOLS_SERVICE_NAME      = "ingest-api"
      POWERTOOLS_METRICS_NAMESPACE = "PetroStream"
    }
  }

  depends_on = [aws_cloudwatch_log_group.ingest, aws_iam_role_policy.ingest, aws_iam_role_policy_attachment.ingest_xray]
}

resource "aws_iam_role" "ingest" {
  name               = "${local.iam_name}-ingest-api"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "PutReadings"
    actions   = ["kinesis:PutRecords"]
    resources = [aws_kinesis_stream.readings.arn]
  }
  statement {
    sid       = "EncryptWithTheLakeKey" # the stream is SSE-KMS with the lake key
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.lake.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.ingest.arn}:*"]
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "ingest-api"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_iam_role_policy_attachment" "ingest_xray" {
  role       = aws_iam_role.ingest.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
}
