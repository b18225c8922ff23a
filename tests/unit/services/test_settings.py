from __future__ import annotations

import pytest

from services.errors import PetroStreamError
from services.localstack.env_file import read_env_file
from services.settings import ConfigurationError, Settings


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


def test_a_bad_number_names_the_variable_and_the_value():
    with pytest.raises(ConfigurationError, match="LOCALSTACK_PORT='http'") as error:
        Settings.from_env({"LOCALSTACK_PORT": "http"})
    assert "4566" in error.value.hint


def test_a_bad_flag_names_the_variable():
    with pytest.raises(ConfigurationError, match="PETROSTREAM_VERBOSE='yes please'"):
        Settings.from_env({"PETROSTREAM_VERBOSE": "yes please"})


def test_every_knob_is_read_from_the_given_environment(tmp_path):
    settings = Settings.from_env(
        {
            "PETROSTREAM_STATE_DIR": str(tmp_path),
            "PETROSTREAM_VERBOSE": "1",
            "PERSISTENCE": "true",
            "DEMO_WELLS": "3",
            "PETROSTREAM_TF_INSTANCE": "bench",
            "LOCALSTACK_HEALTH_TIMEOUT": "7.5",
        }
    )
    assert (settings.state_dir, settings.verbose, settings.persistence) == (tmp_path, True, True)
    assert (settings.demo_wells, settings.tf_instance, settings.health_timeout) == (3, "bench", 7.5)


def test_the_notebook_lake_needs_both_endpoint_and_bucket():
    with pytest.raises(ConfigurationError, match="PETROSTREAM_LAKE_BUCKET"):
        Settings.from_env({"PETROSTREAM_LAKE_ENDPOINT": "http://127.0.0.1:4566"})


def test_the_lambda_architecture_is_x86_64_unless_set_and_checked():
    assert Settings.from_env({}).lambda_architecture == "x86_64"
    assert Settings.from_env({"PETROSTREAM_LAMBDA_ARCH": "arm64"}).lambda_architecture == "arm64"
    with pytest.raises(ConfigurationError, match="PETROSTREAM_LAMBDA_ARCH='aarch64'"):
        Settings.from_env({"PETROSTREAM_LAMBDA_ARCH": "aarch64"})
