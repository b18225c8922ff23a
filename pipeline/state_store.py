"""Each well's detection state, one small JSON object per well in S3, written conditionally.

Why S3 and not DynamoDB: DynamoDB is not available with LocalStack on the host, and S3's
conditional writes (If-Match on the ETag read, If-None-Match: * for a well's first state) give
the one guarantee the stream processor needs on both LocalStack 4.14 and AWS: a state is
replaced only by a writer that read the version it replaces (LakeStore.write_if). Kinesis
delivers one well's records to one invocation at a time (one partition key lives in one shard,
and Lambda keeps a key's order even with ParallelizationFactor > 1), so a conflict means a
duplicate invocation: the loser fails its batch and Lambda retries it against the newer state
(docs/decisions/0001-detector-state.md).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pipeline.detector import WellState
from pipeline.storage import CommitConflict, LakeStore

WORKERS = 8  # a batch holds a few dozen wells at most: load and commit them in parallel


class StateConflict(Exception):
    """Another writer replaced a well's state since this batch read it."""


@dataclass
class StateStore:
    store: LakeStore  # S3Store in the Lambda
    prefix: str  # e.g. "state/detector/"
    versions: dict[str, str | None] = field(default_factory=dict)  # well -> version read (None: no state yet)

    def key(self, well_id: str) -> str:
        return f"{self.prefix}{well_id}.json"

    def load(self, well_id: str) -> WellState:
        """The committed state of one well (empty when it has none); remembers its version."""
        found = self.store.read(self.key(well_id))
        if found is None:
            self.versions[well_id] = None
            return WellState()
        body, self.versions[well_id] = found
        return WellState.from_json(json.loads(body))

    def load_many(self, well_ids: set[str]) -> dict[str, WellState]:
        wells = sorted(well_ids)
        with ThreadPoolExecutor(min(WORKERS, len(wells) or 1)) as pool:
            return dict(zip(wells, pool.map(self.load, wells), strict=True))

    def commit(self, well_id: str, state: WellState) -> None:
        """Replace the well's state if nobody else has since it was loaded; else StateConflict."""
        if well_id not in self.versions:
            raise ValueError(f"state of {well_id} committed without being loaded first")
        body = json.dumps(state.to_json(), separators=(",", ":")).encode()
        try:
            self.versions[well_id] = self.store.write_if(self.key(well_id), body, self.versions[well_id])
        except CommitConflict as conflict:
            raise StateConflict(
                f"state of {well_id} was replaced by another writer: {conflict}"
            ) from conflict

    def commit_many(self, states: dict[str, WellState]) -> None:
        with ThreadPoolExecutor(min(WORKERS, len(states) or 1)) as pool:
            list(pool.map(self.commit, states, states.values()))
