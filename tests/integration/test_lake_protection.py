"""The lake as deployed: encrypted with the project's own key, TLS only, no public access, a lifecycle."""

from __future__ import annotations

import json

import pytest

from pipeline import layout

pytestmark = pytest.mark.integration


def test_lake_objects_are_encrypted_with_the_customer_managed_key(chain, deployed, aws):
    s3 = aws("s3")
    bucket = deployed.lake_bucket
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    key_arn = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    assert (
        rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"]
    )
    key = aws("kms").describe_key(KeyId=key_arn)["KeyMetadata"]
    assert (
        key["KeyManager"] == "CUSTOMER"
        and aws("kms").get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"]
    )
    for zone in ("raw", "curated", "gold_well_hourly"):
        key_name = s3.list_objects_v2(Bucket=bucket, Prefix=layout.prefix(zone), MaxKeys=1)["Contents"][0][
            "Key"
        ]
        assert s3.head_object(Bucket=bucket, Key=key_name)["ServerSideEncryption"] == "aws:kms", zone


def test_plain_http_is_denied_and_public_access_blocked(deployed, aws):
    s3 = aws("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=deployed.lake_bucket)["Policy"])
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert (
        deny
        and deny[0]["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        and deny[0]["Action"] == "s3:*"
    )
    block = s3.get_public_access_block(Bucket=deployed.lake_bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_stream_and_queues_are_encrypted(deployed, aws):
    stream = aws("kinesis").describe_stream_summary(StreamName=deployed.stream_name)[
        "StreamDescriptionSummary"
    ]
    assert stream["EncryptionType"] == "KMS"
    sqs = aws("sqs")
    for url in (deployed.dead_letter_queue_url, deployed.alerts_queue_url, deployed.raw_objects_queue_url):
        assert (
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["SqsManagedSseEnabled"])["Attributes"][
                "SqsManagedSseEnabled"
            ]
            == "true"
        )


def test_raw_moves_to_infrequent_access_then_expires_and_curated_is_kept(deployed, aws):
    rules = {
        r["ID"]: r for r in aws("s3").get_bucket_lifecycle_configuration(Bucket=deployed.lake_bucket)["Rules"]
    }
    raw = rules["raw-to-infrequent-access-then-expire"]
    assert raw["Filter"]["Prefix"] == layout.prefix("raw")
    assert (
        raw["Transitions"][0] == {"Days": 30, "StorageClass": "STANDARD_IA"}
        and raw["Expiration"]["Days"] == 365
    )
    curated = [
        r
        for r in rules.values()
        if r.get("Filter", {}).get("Prefix") in (layout.prefix("curated"), layout.prefix("gold_well_hourly"))
    ]
    assert curated and all("Expiration" not in r and "Transitions" not in r for r in curated)
