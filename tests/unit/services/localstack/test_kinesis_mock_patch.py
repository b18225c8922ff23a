"""The kinesis-mock PutRecords patch: exact, idempotent, refuses builds it does not know, and runs
as the LocalStack start.d init script that Docker mode mounts."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from services.localstack import kinesis_mock_patch as km

PATCH_FILE = Path(km.__file__)
# A stand-in build: the two original snippets inside other minified code.
BUILD = "a();" + km.REPLACEMENTS[0][0] + "b();" + km.REPLACEMENTS[1][0] + "c();"


def test_patch_replaces_both_snippets_and_keeps_the_rest():
    patched = km.patched_text(BUILD)
    assert km.is_patched(patched)
    assert not any(old in patched for old, _ in km.REPLACEMENTS)
    assert patched == "a();" + km.REPLACEMENTS[0][1] + "b();" + km.REPLACEMENTS[1][1] + "c();"


def test_patching_twice_changes_nothing(tmp_path):
    main_js = tmp_path / "kinesis-local" / "main.js"
    main_js.parent.mkdir()
    main_js.write_text(BUILD)
    assert km.patch(main_js) is True
    first = main_js.read_text()
    assert km.patch(main_js) is False
    assert main_js.read_text() == first


def test_unknown_build_is_refused_with_the_file_named(tmp_path):
    main_js = tmp_path / "main.js"
    main_js.write_text("a();" + km.REPLACEMENTS[0][0])  # second snippet missing: another version
    with pytest.raises(km.KinesisMockPatchError, match=r"main\.js.*found it 0 times"):
        km.patch(main_js)
    assert main_js.read_text() == "a();" + km.REPLACEMENTS[0][0]


def test_as_localstack_init_script_it_installs_then_patches(tmp_path, monkeypatch):
    """LocalStack exec()s start.d scripts with empty globals; the file must install and patch then."""
    installed = tmp_path / "kinesis-local" / "0.5.2"
    calls = []

    class Package:
        def get_installed_dir(self):
            return str(installed) if calls else None

        def install(self):
            calls.append("install")
            (installed / "node_modules" / "kinesis-local").mkdir(parents=True)
            (installed / "node_modules" / "kinesis-local" / "main.js").write_text(BUILD)

    names = (
        "localstack",
        "localstack.services",
        "localstack.services.kinesis",
        "localstack.services.kinesis.packages",
    )
    for name in names:  # LocalStack itself is not in the project environment
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    sys.modules[names[-1]].kinesismock_package = Package()
    exec(PATCH_FILE.read_bytes(), {})  # what localstack.runtime.init.PythonScriptRunner does
    assert calls == ["install"]
    assert km.is_patched((installed / "node_modules" / "kinesis-local" / "main.js").read_text())


def test_the_installed_kinesis_mock_is_patched(settings):
    """`make setup` patched the copy host mode runs (the test command runs setup first)."""
    main_js = km.main_js_under(settings.localstack_libs_dir / "fs")
    assert km.is_patched(main_js.read_text(encoding="utf-8"))


def test_docker_compose_mounts_the_patch_where_the_module_says():
    compose = (PATCH_FILE.parents[2] / "docker-compose.yml").read_text()
    assert f"./services/localstack/kinesis_mock_patch.py:{km.CONTAINER_PATH}:ro" in compose
