from __future__ import annotations

import pytest

from services.errors import PetroStreamError
from services.localstack.host import read_env_file
from services.settings import Settings


def test_endpoint_implies_external_mode(monkeypatch):
    monkeypatch.setenv("LOCALSTACK_ENDPOINT", "http://localhost:4999")
    monkeypatch.delenv("PETROSTREAM_LOCALSTACK", raising=False)
    assert Settings.from_env().mode == "external"


def test_unknown_mode_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PETROSTREAM_LOCALSTACK", "kubernetes")
    with pytest.raises(PetroStreamError, match="kubernetes") as error:
        Settings.from_env()
    assert "auto, docker, host, external" in error.value.hint


def test_external_without_endpoint_says_what_to_set(monkeypatch):
    monkeypatch.setenv("PETROSTREAM_LOCALSTACK", "external")
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    with pytest.raises(PetroStreamError, match="LOCALSTACK_ENDPOINT"):
        Settings.from_env()


def test_shared_localstack_env_names_the_services_we_use():
    services = read_env_file()["SERVICES"].split(",")
    assert {"s3", "kinesis", "lambda", "firehose", "sqs", "iam", "logs"} <= set(services)
