"""Test bootstrap: the executor plugin is installed in LocalStack's own virtualenv, not the
project's, so its source folder goes on sys.path for the tests that import it directly."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "services" / "lambda_executor"))
