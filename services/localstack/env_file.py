"""services/localstack/localstack.env: LocalStack's settings, shared by host mode and docker-compose.yml."""

from __future__ import annotations

from pathlib import Path

SHARED_ENV_FILE = Path(__file__).with_name("localstack.env")


def read_env_file(path: Path = SHARED_ENV_FILE) -> dict[str, str]:
    """Parse the KEY=VALUE file that docker-compose.yml also uses (comments and blanks ignored)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values
