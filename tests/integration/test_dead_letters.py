"""A batch the processor cannot deliver ends in the dead-letter queue, and `replay-dlq` re-drives it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from petrostream.chain import lake_counts
from petrostream.dlq_replay import replay_dead_letters
from petrostream.status import queue_depth
from producer.replay import replay
from services.settings import DEFAULT_REGION as REGION
from tests.one_instance import one_instance

pytestmark = pytest.mark.integration


def _set_delivery_stream(aws, function: str, name: str) -> None:
    lambda_ = aws("lambda")
    variables = lambda_.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    lambda_.update_function_configuration(
        FunctionName=function, Environment={"Variables": {**variables, "DELIVERY_STREAM_NAME": name}}
    )
    lambda_.get_waiter("function_updated_v2").wait(
        FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )


def _queue_depth(aws, url: str) -> int:
    return queue_depth(aws("sqs"), url)


def test_dead_lettered_batch_is_redriven_into_curated(chain, deployed, aws, localstack, tmp_path):
    # Readings of a day no other test uses, so they are counted on their own.
    dataset = one_instance(tmp_path / "dataset", 15, datetime(2025, 7, 1, tzinfo=UTC), seed=11)
    processor = deployed.stream_processor_function_name
    delivery = deployed.delivery_stream_name
    _set_delivery_stream(aws, processor, "no-such-delivery-stream")  # the fault: Firehose rejects every call
    try:
        sent = replay(aws("kinesis"), deployed.stream_name, dataset)
        deadline = time.monotonic() + 240
        while _queue_depth(aws, deployed.dead_letter_queue_url) == 0 and time.monotonic() < deadline:
            time.sleep(1)
        assert _queue_depth(aws, deployed.dead_letter_queue_url) > 0, (
            "the failing batch never reached the dead-letter queue"
        )
    finally:
        _set_delivery_stream(aws, processor, delivery)  # the fix
    assert lake_counts(localstack.endpoint, REGION, deployed.lake_bucket, sent.run_id, sent.event_ids)[
        1
    ] < len(sent.event_ids)

    # Batches still being retried when the fault was fixed may go through on their own or be
    # dead-lettered later: re-drive until every reading is in curated, as an operator would.
    redriven, failures = 0, []
    deadline = time.monotonic() + 240
    curated = 0
    while curated < len(sent.event_ids) and time.monotonic() < deadline:
        summary = replay_dead_letters(localstack.endpoint, REGION, deployed)
        redriven, failures = redriven + summary.redriven, failures + summary.failed
        curated = lake_counts(localstack.endpoint, REGION, deployed.lake_bucket, sent.run_id, sent.event_ids)[
            1
        ]
        time.sleep(1)
    assert failures == [] and redriven >= 1
    assert curated == len(sent.event_ids)
    assert _queue_depth(aws, deployed.dead_letter_queue_url) == 0
