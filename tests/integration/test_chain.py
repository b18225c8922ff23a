"""The thin slice end to end: Kinesis -> Lambda -> Firehose -> S3 raw zone -> DuckDB count."""

from __future__ import annotations

import pytest

from services.demo import count_in_raw, run_chain

pytestmark = pytest.mark.integration


def test_every_record_put_is_counted_back_exactly_once(deployed, localstack):
    result = run_chain(localstack.endpoint, "us-east-1", deployed, count=1200, wells=4, timeout=120)
    assert (result.counted, result.distinct) == (1200, 1200)


def test_a_second_run_is_counted_on_its_own(deployed, localstack):
    first = run_chain(localstack.endpoint, "us-east-1", deployed, count=300, wells=3, timeout=120)
    second = run_chain(localstack.endpoint, "us-east-1", deployed, count=300, wells=3, timeout=120)
    assert first.run_id != second.run_id
    for run in (first, second):
        assert count_in_raw(localstack.endpoint, "us-east-1", deployed["lake_bucket"], "raw/", run.run_id) == (300, 300)


def test_reapplying_unchanged_infra_changes_nothing(deployed, deployment, artifacts_dir):
    has_changes, plan = deployment.plan(artifacts_dir)
    assert not has_changes, plan


def test_deployed_function_is_the_zip_terraform_was_given(deployed, aws, artifacts_dir):
    import base64
    import hashlib

    zip_hash = base64.b64encode(hashlib.sha256((artifacts_dir / "stream_processor.zip").read_bytes()).digest()).decode()
    config = aws("lambda").get_function_configuration(FunctionName=deployed["function_names"][0])
    assert config["CodeSha256"] == zip_hash
    assert config["Runtime"] == "python3.13"
