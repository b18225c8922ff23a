"""Reading a Lambda function's settings from its environment: one error for a missing variable.

Each function folder under lambda/ has its own config module (a frozen dataclass read once, at
cold start); they share this check, shipped in every zip with the rest of pipeline/.
"""

from __future__ import annotations

from collections.abc import Mapping


class MissingSetting(RuntimeError):
    """A variable the function cannot run without is not set (or is empty)."""


def required(environ: Mapping[str, str], name: str, function: str, needed_for: str, set_in: str) -> str:
    """The variable's value; MissingSetting naming it, what needs it and where it is set otherwise."""
    value = environ.get(name, "")
    if not value:
        raise MissingSetting(f"{name} is not set: the {function} needs {needed_for} (set in {set_in})")
    return value
