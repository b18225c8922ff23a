"""Deterministic Lambda zips: same sources and requirements, same bytes, same hash.

Terraform redeploys a function when ``filebase64sha256`` of its zip changes, so the zip must
not change unless its content does: entries are sorted, timestamps and permissions fixed, and
files that record the build machine (``__pycache__``, console scripts, RECORD) are left out.
Dependencies are installed for the Lambda platform (manylinux x86_64, CPython 3.13, wheels
only), never for the build machine, and cached by the hash of the requirements file.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from services.errors import PetroStreamError
from services.settings import REPO_ROOT

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Lambda python3.13 runs on Amazon Linux 2023 (glibc 2.34): manylinux up to 2_34 wheels run there,
# for the function's architecture (settings.ARCHITECTURES).
PLATFORMS = {
    architecture: tuple(f"{tag}_{machine}" for tag in ("manylinux2014", "manylinux_2_28", "manylinux_2_34"))
    for architecture, machine in (("x86_64", "x86_64"), ("arm64", "aarch64"))
}
PYTHON_VERSION = "3.13"
# Shipped in every function's zip: the schema, validation and detection code the functions share
# with the producer and the CLI (one copy of the logic, not one per function).
SHARED_PACKAGE = REPO_ROOT / "pipeline"
EXCLUDED_DIRS = {"__pycache__", "tests", ".pytest_cache", "bin"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class BuiltZip:
    name: str
    path: Path
    sha256_b64: str  # what Terraform's filebase64sha256() and Lambda's CodeSha256 report


def _requirements(function_dir: Path) -> list[str]:
    file = function_dir / "requirements.txt"
    if not file.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in file.read_text().splitlines())
    return [line for line in lines if line]


def _install_dependencies(
    requirements: list[str], cache_root: Path, architecture: str = "x86_64"
) -> Path | None:
    """pip-install requirements for the Lambda platform into a cache folder keyed by their hash."""
    if not requirements:
        return None
    platforms = PLATFORMS[architecture]
    key = hashlib.sha256("\n".join([*platforms, PYTHON_VERSION, *requirements]).encode()).hexdigest()[:16]
    target = cache_root / key
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
        *[arg for p in platforms for arg in ("--platform", p)],
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--no-compile",
        *requirements,
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PetroStreamError(
            f"installing Lambda dependencies {requirements} failed:\n{result.stderr[-2000:]}",
            f"every dependency needs a wheel for manylinux {architecture} / CPython 3.13",
        )
    (target / ".complete").write_text(key)
    return target


def _files(root: Path) -> dict[str, Path]:
    """Archive name -> file, without build-machine artefacts."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or set(relative.parts) & EXCLUDED_DIRS:
            continue
        if path.suffix in EXCLUDED_SUFFIXES or path.name in {"requirements.txt", ".complete"}:
            continue
        if relative.parent.name.endswith(".dist-info") and path.name in {
            "RECORD",
            "INSTALLER",
            "direct_url.json",
        }:
            continue
        found[relative.as_posix()] = path
    return found


def write_zip(files: dict[str, Path], destination: Path) -> None:
    """Write entries in name order with fixed metadata, replacing the file only if bytes differ."""
    tmp = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.create_system = 3
            executable = files[name].stat().st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes(), compresslevel=9)
    if destination.exists() and destination.read_bytes() == tmp.read_bytes():
        tmp.unlink()
    else:
        tmp.replace(destination)


def build(
    function_dir: Path, out_dir: Path, cache_dir: Path | None = None, architecture: str = "x86_64"
) -> BuiltZip:
    """Build ``<out_dir>/<function name>.zip`` from a function folder and its requirements.txt,
    its dependencies' wheels for the Lambda ``architecture`` (x86_64 or arm64)."""
    if not (function_dir / "handler.py").exists() and not any(function_dir.glob("*.py")):
        raise PetroStreamError(
            f"{function_dir} holds no Python source", "a function folder needs its handler module"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    files = _files(function_dir)
    deps = _install_dependencies(_requirements(function_dir), cache_dir or out_dir / ".deps", architecture)
    if deps is not None:
        for name, path in _files(deps).items():
            files.setdefault(name, path)  # the function's own modules win over a dependency's
    for name, path in _files(SHARED_PACKAGE).items():
        files.setdefault(f"{SHARED_PACKAGE.name}/{name}", path)
    destination = out_dir / f"{function_dir.name}.zip"
    write_zip(files, destination)
    digest = base64.b64encode(hashlib.sha256(destination.read_bytes()).digest()).decode()
    return BuiltZip(function_dir.name, destination, digest)


def build_all(
    lambda_root: Path = REPO_ROOT / "lambda",
    out_dir: Path = REPO_ROOT / "build" / "lambda",
    architecture: str = "x86_64",
) -> list[BuiltZip]:
    """Build every function folder under lambda/."""
    return [
        build(folder, out_dir, architecture=architecture)
        for folder in sorted(lambda_root.iterdir())
        if folder.is_dir() and not folder.name.startswith(("_", "."))
    ]


if __name__ == "__main__":
    for built in build_all():
        print(f"{built.path}  {built.sha256_b64}")
