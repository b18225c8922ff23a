"""A progress bar fed by the producer's callbacks (start with the total, then advance)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ProgressBar:
    label: str
    unit: str = "rec"
    _bar: Any = field(default=None, init=False)

    def start(self, total: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=total, unit=self.unit, desc=self.label, unit_scale=True, leave=True)

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)
            if self._bar.n >= self._bar.total:  # done: the rate shown stays the replay's own
                self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def progress_bar(label: str, unit: str = "rec") -> Iterator[ProgressBar]:
    bar = ProgressBar(label, unit)
    try:
        yield bar
    finally:
        bar.close()
