"""Each well's detection state, one small JSON object per well in S3, written conditionally.

Why S3 and not DynamoDB: DynamoDB is not available with LocalStack on the host, and S3's
conditional writes (If-Match on the ETag read, If-None-Match: * for a well's first state) give
the one guarantee the stream processor needs on both LocalStack 4.14 and AWS: a state is
replaced only by a writer that read the version it replaces. Kinesis delivers one well's records
to one invocation at a time (one partition key lives in one shard, and Lambda keeps a key's
order even with ParallelizationFactor > 1), so a conflict means a duplicate invocation: the
loser fails its batch and Lambda retries it against the newer state (docs/architecture.md).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from pipeline.detector import WellState
from pipeline.storage import NOT_FOUND

CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
WORKERS = 8  # a batch holds a few dozen wells at most: load and commit them in parallel


class StateConflict(Exception):
    """Another writer replaced a well's state since this batch read it."""


@dataclass
class S3StateStore:
    client: Any  # boto3 S3 client
    bucket: str
    prefix: str  # e.g. "state/stream-processor/"
    etags: dict[str, str | None] = field(default_factory=dict)  # well -> ETag read (None: no state yet)

    def key(self, well_id: str) -> str:
        return f"{self.prefix}{well_id}.json"

    def load(self, well_id: str) -> WellState:
        """The committed state of one well (empty when it has none); remembers its ETag."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.key(well_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOT_FOUND:
                self.etags[well_id] = None
                return WellState()
            raise
        self.etags[well_id] = response["ETag"]
        return WellState.from_json(json.loads(response["Body"].read()))

    def load_many(self, well_ids: set[str]) -> dict[str, WellState]:
        wells = sorted(well_ids)
        with ThreadPoolExecutor(min(WORKERS, len(wells) or 1)) as pool:
            return dict(zip(wells, pool.map(self.load, wells), strict=True))

    def commit(self, well_id: str, state: WellState) -> None:
        """Replace the well's state if nobody else has since it was loaded; else StateConflict."""
        if well_id not in self.etags:
            raise ValueError(f"state of {well_id} committed without being loaded first")
        etag = self.etags[well_id]
        condition = {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}
        body = json.dumps(state.to_json(), separators=(",", ":")).encode()
        try:
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(well_id),
                Body=body,
                ContentType="application/json",
                **condition,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in CONFLICT:
                raise StateConflict(f"state of {well_id} was replaced by another writer ({code})") from error
            raise
        self.etags[well_id] = response["ETag"]

    def commit_many(self, states: dict[str, WellState]) -> None:
        with ThreadPoolExecutor(min(WORKERS, len(states) or 1)) as pool:
            list(pool.map(self.commit, states, states.values()))
