"""Both functions load in one process, each with its own modules, as each does in its own Lambda."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.unit.lambda_functions.support import FUNCTIONS_DIR, LAKE_BUCKET, Alerting, LoadFunction


def _folder_of(module_name: str) -> Path:
    file = sys.modules[module_name].__file__
    assert file is not None
    return Path(file).resolve().parent


def _function_paths() -> list[str]:
    return [entry for entry in sys.path if Path(entry).resolve().parent == FUNCTIONS_DIR.resolve()]


def test_the_two_functions_load_side_by_side(
    load_function: LoadFunction, s3: Any, delivery_stream: str, alerting: Alerting
) -> None:
    processor = load_function(
        "stream_processor",
        {
            "DELIVERY_STREAM_NAME": delivery_stream,
            "LAKE_BUCKET": LAKE_BUCKET,
            "QUARANTINE_PREFIX": "quarantine/",
            "STATE_PREFIX": "state/detector/",
            "ALERTS_TOPIC_ARN": alerting.alerts_topic,
        },
    )
    builder = load_function("curated_builder", {"LAKE_BUCKET": LAKE_BUCKET})

    assert processor.__name__ != builder.__name__
    assert "handler" not in sys.modules  # neither took the name both have on Lambda
    assert _folder_of(type(processor.config).__module__) == (FUNCTIONS_DIR / "stream_processor").resolve()
    assert _folder_of(type(builder.config).__module__) == (FUNCTIONS_DIR / "curated_builder").resolve()
    assert processor.config.delivery_stream_name == delivery_stream
    assert builder.config.lake_bucket == LAKE_BUCKET


def test_no_function_module_or_path_outlives_its_test() -> None:
    """Runs after the test above (file order): its loads were undone."""
    leftovers = [
        name
        for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None)
        and Path(module.__file__).resolve().is_relative_to(FUNCTIONS_DIR.resolve())  # type: ignore[arg-type]
    ]
    assert leftovers == []
    assert _function_paths() == []
