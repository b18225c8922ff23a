"""Grouping items under a count and a byte limit, as AWS batch APIs require (PutRecords, PutRecordBatch)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunks[T](
    items: Iterable[T], max_items: int, max_bytes: int, size: Callable[[T], int]
) -> Iterator[list[T]]:
    """Consecutive groups of at most max_items whose sizes add up to at most max_bytes.

    An item bigger than max_bytes on its own gets a group of its own: rejecting it is the
    caller's business (each API has its own per-record limit).
    """
    batch: list[T] = []
    total = 0
    for item in items:
        item_size = size(item)
        if batch and (len(batch) == max_items or total + item_size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item_size
    if batch:
        yield batch
