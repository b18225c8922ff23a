"""Quality summary: the daily data-quality summary, published on the data-quality topic.

An EventBridge rule (infra/schedules.tf) invokes it every day at 06:00 UTC. It reads what the
lake set aside over the period (quarantined stream records and discarded landing rows, by
reason; refused landing files) and which wells went silent (pipeline/quality_summary.py), logs
it and publishes it with the attributes the other data-quality messages carry. It only reads the
lake, so a run delivered twice (EventBridge is at least once) sends a second, equal summary.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from summary_config import SummaryConfig

from pipeline.message_attributes import sns_message_attributes
from pipeline.quality_summary import HOUR, summarise
from pipeline.storage import S3Store


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the function: module-level so warm invocations reuse their connections."""

    s3: Any
    sns: Any

    @classmethod
    def create(cls) -> Clients:
        return cls(s3=boto3.client("s3"), sns=boto3.client("sns"))


logger = Logger()
metrics = Metrics()
config = SummaryConfig.from_env()
clients = Clients.create()


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = summarise(
        S3Store(clients.s3, config.lake_bucket),
        period=config.period_hours * HOUR,
        silent_after=config.silent_after_hours * HOUR,
    )
    message = summary.message()
    logger.info("quality_summary", extra={"summary": message})
    clients.sns.publish(
        TopicArn=config.quality_topic_arn,
        Message=json.dumps(message),
        MessageAttributes=sns_message_attributes(summary.attributes()),
    )
    metrics.add_metric(name="QuarantinedInPeriod", unit=MetricUnit.Count, value=message["quarantined"])
    metrics.add_metric(name="DiscardedInPeriod", unit=MetricUnit.Count, value=message["discarded"])
    metrics.add_metric(name="SilentWells", unit=MetricUnit.Count, value=len(message["silent_wells"]))
    return message
