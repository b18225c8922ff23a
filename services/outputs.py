"""The Terraform outputs of a deployment (infra/outputs.tf), read into one typed object.

Callers name what they need (``outputs.stream_processor_function_name``) instead of indexing a
dict or a list of names. The object is saved as JSON next to the Terraform state, so commands
that run later (status, query, produce) read the same values without calling Terraform.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import PetroStreamError


@dataclass(frozen=True)
class StackOutputs:
    lake_bucket: str
    raw_prefix: str
    zones: dict[str, str]
    stream_name: str
    delivery_stream_name: str
    stream_processor_function_name: str
    curated_builder_function_name: str
    landing_loader_function_name: str
    quality_summary_function_name: str
    ingest_api_function_name: str
    api_id: str  # the ingest REST API (infra/api.tf)
    api_url: str  # its POST /readings URL as AWS names it
    api_key_id: str  # the gateways' API key (its value is read through the API Gateway API)
    schedule_rule_names: dict[str, str]  # job -> EventBridge rule (compaction, quality-summary)
    schedules_dead_letter_queue_url: str  # scheduled runs that failed on every attempt
    alerts_queue_url: str  # every alert of both topics, for programs that poll
    alerts_topic_arn: str  # SNS: anomaly alerts
    quality_topic_arn: str  # SNS: data-quality alerts and, by default, the alarms
    raw_objects_queue_url: str
    dead_letter_queue_url: str  # the stream processor's on-failure destination
    builder_dead_letter_queue_url: str
    landing_dead_letter_queue_url: str  # landing files that failed on every attempt
    region: str
    alarm_names: list[str]
    dashboard_name: str
    # table -> its Glue columns ({name, type}), as infra/catalog.tf computes them from the schema
    catalog_columns: dict[str, list[dict[str, str]]]
    named_query_ids: dict[str, str]  # pipeline/sql name -> Athena named query id (enable_athena)
    lake_key_arn: str  # the stream's, the lake's and Athena's results' KMS key
    producer_policy_arn: str  # IAM policies for principals outside infra/ (infra/access.tf)
    reader_policy_arn: str
    athena_workgroup: str | None = None  # only with enable_athena (AWS)
    glue_database: str | None = None

    @property
    def function_names(self) -> tuple[str, ...]:
        return (
            self.stream_processor_function_name,
            self.curated_builder_function_name,
            self.landing_loader_function_name,
            self.quality_summary_function_name,
            self.ingest_api_function_name,
        )

    @classmethod
    def from_values(cls, values: dict[str, Any], source: str = "terraform output") -> StackOutputs:
        """From output name -> value; a missing or an unknown output is an error that names it."""
        names = {f.name for f in dataclasses.fields(cls)}
        required = {f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING}
        missing, unknown = sorted(required - values.keys()), sorted(values.keys() - names)
        if missing:
            raise PetroStreamError(
                f"{source} lacks the outputs {', '.join(missing)}",
                "apply infra/ again (`make up`): the deployment predates these outputs",
            )
        if unknown:
            raise PetroStreamError(
                f"{source} has outputs services/outputs.py does not know: {', '.join(unknown)}",
                "declare them in StackOutputs (or apply infra/ again if they were removed from it)",
            )
        return cls(**values)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> StackOutputs:
        return cls.from_values(json.loads(path.read_text()), source=str(path))

    def describe(self) -> str:
        """The outputs a person needs to find the deployment, one per line."""
        keys = (
            "lake_bucket",
            "stream_name",
            "delivery_stream_name",
            "stream_processor_function_name",
            "curated_builder_function_name",
            "dead_letter_queue_url",
        )
        return "\n".join(f"  {key:32} {getattr(self, key)}" for key in keys)
