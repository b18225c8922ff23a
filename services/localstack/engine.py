"""Whether a Docker engine answers: it decides between Docker and host mode. Standard library and
Python 3.8 syntax only, because `make setup` asks before any virtualenv exists."""

from __future__ import annotations

import shutil
import subprocess


def docker_available() -> bool:
    """True if a Docker engine answers (the client alone is not enough)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False
