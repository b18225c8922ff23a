"""Least privilege, read back from the deployed roles: one role per component, no wildcard
action, a wildcard resource only where AWS offers no resource-level permission, and each role
able to touch its own zones and queues but not the others'.

LocalStack's SimulatePrincipalPolicy answers explicitDeny for everything, so the "can it" checks
below match the deployed statements themselves (Allow statements without conditions are all the
project writes): IAM wildcards are fnmatch's ``*`` and ``?``, actions case-insensitive.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from pipeline import layout

pytestmark = pytest.mark.integration

# Actions that take no resource-level permission in AWS, so Resource "*" is the only choice.
UNSCOPABLE = {"kinesis:liststreams"}
# AWS-managed policies a role may carry, with the reason.
MANAGED = {"AWSXRayDaemonWriteAccess": "X-Ray's PutTraceSegments and friends take no resource"}


def _as_list(value) -> list:
    """IAM lets Action, Resource and Statement be one item or a list."""
    return [value] if isinstance(value, (str, dict)) else list(value)


@pytest.fixture(scope="module")
def roles(deployed, aws) -> dict[str, list[dict]]:
    """component -> the Allow statements of its role's inline policies, as deployed."""
    lam, iam = aws("lambda"), aws("iam")
    processor, builder, landing, summary, ingest = deployed.function_names
    firehose = aws("firehose").describe_delivery_stream(DeliveryStreamName=deployed.delivery_stream_name)
    arns = {
        "processor": lam.get_function_configuration(FunctionName=processor)["Role"],
        "builder": lam.get_function_configuration(FunctionName=builder)["Role"],
        "landing": lam.get_function_configuration(FunctionName=landing)["Role"],
        "summary": lam.get_function_configuration(FunctionName=summary)["Role"],
        "ingest": lam.get_function_configuration(FunctionName=ingest)["Role"],
        "firehose": firehose["DeliveryStreamDescription"]["Destinations"][0][
            "ExtendedS3DestinationDescription"
        ]["RoleARN"],
    }
    assert len(set(arns.values())) == 6, f"each component has a role of its own: {arns}"
    statements = {}
    for component, arn in arns.items():
        name = arn.rsplit("/", 1)[1]
        attached = {
            p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        }
        assert attached <= set(MANAGED), f"{component}: unexpected managed policies {attached - set(MANAGED)}"
        statements[component] = [
            statement
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
            for statement in _as_list(
                iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]["Statement"]
            )
        ]
    return statements


def _allows(statements: list[dict], action: str, resource: str) -> bool:
    return any(
        statement["Effect"] == "Allow"
        and any(fnmatchcase(action.lower(), pattern.lower()) for pattern in _as_list(statement["Action"]))
        and any(fnmatchcase(resource, pattern) for pattern in _as_list(statement["Resource"]))
        for statement in statements
    )


def test_no_wildcard_action_and_no_wildcard_resource_where_aws_can_scope(roles, deployed, aws):
    key_arn = aws("s3").get_bucket_encryption(Bucket=deployed.lake_bucket)[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    prefix = deployed.stream_name.rsplit("-", 1)[0]  # every resource is named <project>-<environment>-…
    for component, statements in roles.items():
        assert statements, component
        for statement in statements:
            actions = [a.lower() for a in _as_list(statement["Action"])]
            assert not any("*" in a or "?" in a for a in actions), (
                f"{component}: wildcard action in {statement}"
            )
            for resource in _as_list(statement["Resource"]):
                if resource == "*":
                    assert set(actions) <= UNSCOPABLE, f"{component}: Resource * for {actions}"
                else:
                    assert prefix in resource or resource == key_arn, (
                        f"{component}: {resource} is not this deployment's"
                    )


def test_each_component_reaches_its_own_zones_and_queues_only(roles, deployed):
    objects = f"arn:aws:s3:::{deployed.lake_bucket}/"

    def put(zone: str) -> str:
        return objects + layout.prefix(zone) + "x"

    can_write = {
        component: {
            zone
            for zone in (
                "raw",
                "quarantine",
                "detector_state",
                "curated",
                "gold_well_hourly",
                "manifests",
                "landing",
                "discard",
                "landing_reports",
            )
            if _allows(statements, "s3:PutObject", put(zone))
        }
        for component, statements in roles.items()
    }
    assert can_write == {
        "processor": {"quarantine", "detector_state"},
        "firehose": {"raw"},
        "builder": {"curated", "gold_well_hourly", "manifests"},
        "landing": {"discard", "landing_reports"},
        "summary": set(),  # it only reads
        "ingest": set(),  # it writes the stream only
    }
    # the landing loader writes raw objects under raw/landing/ only, beside Firehose's
    assert _allows(roles["landing"], "s3:PutObject", objects + layout.prefix("raw") + "landing/x")
    assert _allows(roles["landing"], "s3:GetObject", put("landing"))
    assert _allows(roles["builder"], "s3:GetObject", put("raw")) and not _allows(
        roles["processor"], "s3:GetObject", put("raw")
    )
    assert not any(
        _allows(statements, "s3:DeleteObject", put(zone))
        for statements in roles.values()
        for zone in ("raw", "quarantine", "manifests", "detector_state")
    ), "nobody deletes raw data, quarantine, manifests or states"
    deleters = {
        name for name, statements in roles.items() if _allows(statements, "s3:DeleteObject", put("curated"))
    }
    assert deleters == {"builder"}  # files no manifest lists: a lost commit's, compaction's inputs

    def queue_arn(url: str) -> str:  # .../<account>/<name>
        account, name = url.split("/")[-2:]
        return f"arn:aws:sqs:{deployed.region}:{account}:{name}"

    dlq, raw_objects = queue_arn(deployed.dead_letter_queue_url), queue_arn(deployed.raw_objects_queue_url)
    assert _allows(roles["processor"], "sqs:SendMessage", dlq) and not _allows(
        roles["processor"], "sqs:ReceiveMessage", raw_objects
    )
    assert _allows(roles["builder"], "sqs:ReceiveMessage", raw_objects) and not _allows(
        roles["builder"], "sqs:SendMessage", dlq
    )
    account = deployed.dead_letter_queue_url.split("/")[-2]
    stream = f"arn:aws:kinesis:{deployed.region}:{account}:stream/{deployed.stream_name}"
    writers = {
        name for name, statements in roles.items() if _allows(statements, "kinesis:PutRecords", stream)
    }
    assert writers == {"ingest"}  # the API puts readings into the stream; no function reads it back in


def _policy_statements(aws, arn: str) -> list[dict]:
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return _as_list(document["Statement"])


def test_outside_producers_and_readers_get_the_lake_key_through_the_policies_infra_outputs(deployed, aws):
    # Producers and readers outside infra/ need the customer-managed key (issue 14, B3).
    stream_arn = aws("kinesis").describe_stream_summary(StreamName=deployed.stream_name)[
        "StreamDescriptionSummary"
    ]["StreamARN"]
    producer = _policy_statements(aws, deployed.producer_policy_arn)
    assert _allows(producer, "kinesis:PutRecords", stream_arn)
    assert _allows(producer, "kms:GenerateDataKey", deployed.lake_key_arn)
    region = stream_arn.split(":")[3]
    api_key = f"arn:aws:apigateway:{region}::/apikeys/{deployed.api_key_id}"
    assert _allows(producer, "apigateway:GET", api_key)  # produce --via api reads the key
    assert not _allows(producer, "apigateway:GET", f"arn:aws:apigateway:{region}::/apikeys/another")
    objects = f"arn:aws:s3:::{deployed.lake_bucket}/"
    # a producer drops landing files and reads their reports, nothing else of the lake
    assert _allows(producer, "s3:PutObject", objects + layout.prefix("landing") + "x")
    assert _allows(producer, "s3:GetObject", objects + layout.prefix("landing_reports") + "x")
    for zone in ("raw", "curated", "discard", "quarantine"):
        assert not _allows(producer, "s3:GetObject", objects + layout.prefix(zone) + "x"), zone
    decrypt = [s for s in producer if "kms:Decrypt" in _as_list(s["Action"])]
    assert decrypt and all("kms:ViaService" in s["Condition"]["StringEquals"] for s in decrypt)
    reader = _policy_statements(aws, deployed.reader_policy_arn)
    assert _allows(reader, "kms:Decrypt", deployed.lake_key_arn)
    for zone in ("curated", "gold_well_hourly", "gold_class_hourly", "manifests"):
        assert _allows(reader, "s3:GetObject", objects + layout.prefix(zone) + "x"), zone
    for zone in ("raw", "quarantine", "detector_state"):
        assert not _allows(reader, "s3:GetObject", objects + layout.prefix(zone) + "x"), zone
    assert _allows(reader, "s3:PutObject", objects + layout.prefix("athena_results") + "x")
    # GetBucketLocation carries no s3:prefix, so a statement conditioned on one never allows it.
    unconditional = [statement for statement in reader if "Condition" not in statement]
    assert _allows(unconditional, "s3:GetBucketLocation", f"arn:aws:s3:::{deployed.lake_bucket}")
