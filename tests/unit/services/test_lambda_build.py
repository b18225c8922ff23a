"""Zips must be byte-identical for identical inputs, or Terraform would redeploy unchanged code."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from services import lambda_build


def _function(root: Path, body: str = "def handler(e, c):\n    return 1\n") -> Path:
    folder = root / "fn"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handler.py").write_text(body)
    (folder / "helpers.py").write_text("X = 1\n")
    return folder


def test_same_sources_give_the_same_bytes_and_hash(tmp_path):
    folder = _function(tmp_path)
    first = lambda_build.build(folder, tmp_path / "a")
    os.utime(folder / "handler.py", (1_900_000_000, 1_900_000_000))  # only the mtime changes
    second = lambda_build.build(folder, tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_b64 == second.sha256_b64


def test_a_changed_source_changes_the_hash(tmp_path):
    folder = _function(tmp_path)
    before = lambda_build.build(folder, tmp_path / "out").sha256_b64
    (folder / "handler.py").write_text("def handler(e, c):\n    return 2\n")
    assert lambda_build.build(folder, tmp_path / "out").sha256_b64 != before


def test_build_artefacts_stay_out_and_entries_are_sorted(tmp_path):
    folder = _function(tmp_path)
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "handler.cpython-313.pyc").write_bytes(b"\0")
    (folder / "requirements.txt").write_text("# nothing\n")
    with zipfile.ZipFile(lambda_build.build(folder, tmp_path / "out").path) as archive:
        names = archive.namelist()
        own = [n for n in names if not n.startswith("pipeline/")]
        assert own == ["handler.py", "helpers.py"]
        assert names == sorted(names) and "pipeline/schema.json" in names  # the shared package rides along
        assert {info.date_time for info in archive.infolist()} == {lambda_build.FIXED_TIME}


def test_dependencies_are_installed_for_the_lambda_platform(tmp_path):
    folder = _function(tmp_path)
    (folder / "requirements.txt").write_text("six==1.16.0\n")
    built = lambda_build.build(folder, tmp_path / "out", cache_dir=tmp_path / "cache")
    with zipfile.ZipFile(built.path) as archive:
        names = archive.namelist()
    assert "six.py" in names and "handler.py" in names
    assert not [n for n in names if n.startswith("bin/") or n.endswith("/RECORD") or "__pycache__" in n]
    again = lambda_build.build(folder, tmp_path / "out2", cache_dir=tmp_path / "cache")
    assert again.sha256_b64 == built.sha256_b64


def test_the_project_functions_build_within_lambdas_package_limits(tmp_path):
    built = lambda_build.build_all(out_dir=tmp_path)
    assert [b.name for b in built] == [
        "curated_builder",
        "ingest_api",
        "landing_loader",
        "quality_summary",
        "stream_processor",
    ]
    for function in built:
        with zipfile.ZipFile(function.path) as archive:
            assert "handler.py" in archive.namelist()
            unzipped = sum(entry.file_size for entry in archive.infolist())
        # AWS refuses a direct upload over 50 MB zipped and a function over 250 MB unzipped;
        # LocalStack takes either.
        assert function.path.stat().st_size < 50 * 2**20, function.name
        assert unzipped < 250 * 2**20, function.name


@pytest.mark.parametrize(("architecture", "machine"), [("x86_64", "x86_64"), ("arm64", "aarch64")])
def test_wheels_are_those_of_the_functions_architecture(tmp_path, monkeypatch, architecture, machine):
    # issue 14, A8: arm64 functions need aarch64 wheels; the cache keeps the two apart.
    commands: list[list[str]] = []

    def pip(command, **kwargs):
        commands.append(command)
        target = Path(command[command.index("--target") + 1])
        target.mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(lambda_build.subprocess, "run", pip)
    found = lambda_build._install_dependencies(["six==1.16.0"], tmp_path, architecture)
    platforms = [commands[0][i + 1] for i, arg in enumerate(commands[0]) if arg == "--platform"]
    assert platforms and all(p.endswith(f"_{machine}") for p in platforms)
    other = next(a for a in lambda_build.PLATFORMS if a != architecture)
    assert found != lambda_build._install_dependencies(["six==1.16.0"], tmp_path, other)
