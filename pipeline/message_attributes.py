"""SNS message attributes from plain strings: what every function that publishes sends with its
messages (the kind, well, detector and severity subscribers filter on). No third-party import:
every function's zip carries it."""

from __future__ import annotations


def sns_message_attributes(values: dict[str, str]) -> dict[str, dict[str, str]]:
    """{"well_id": "WELL-1"} -> {"well_id": {"DataType": "String", "StringValue": "WELL-1"}}."""
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}
