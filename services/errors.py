"""One error type for set-up problems: what went wrong and what to do about it."""

from __future__ import annotations


class PetroStreamError(Exception):
    """A problem the user can fix; ``hint`` says how. The CLI prints both and exits 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  -> {self.hint}" if self.hint else self.message
