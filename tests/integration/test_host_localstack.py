"""Host mode's promises: a stop leaves no process behind, and a taken port is a clear error.

These start host-mode instances of their own (whatever mode the rest of the suite uses), since
host mode is what machines without Docker, and CI, rely on.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from services import lambda_build, local_aws
from services.errors import PetroStreamError
from services.localstack.host import HostLocalStack, free_port, marked_processes, pid_alive, port_in_use

pytestmark = pytest.mark.integration


@pytest.fixture
def instance(settings, tmp_path):
    host = HostLocalStack(dataclasses.replace(settings, state_dir=tmp_path), tmp_path / "ls", free_port())
    yield host
    host.stop()


def test_stop_ends_localstack_kinesis_mock_and_function_processes(instance, tmp_path):
    endpoint = instance.start()
    kinesis = local_aws.client("kinesis", endpoint, "us-east-1")
    kinesis.create_stream(StreamName="s", ShardCount=1)  # starts kinesis-mock (node)
    kinesis.get_waiter("stream_exists").wait(StreamName="s", WaiterConfig={"Delay": 0.5, "MaxAttempts": 60})
    role = local_aws.client("iam", endpoint, "us-east-1").create_role(
        RoleName="r", AssumeRolePolicyDocument=json.dumps({})
    )["Role"]["Arn"]
    built = lambda_build.build(lambda_build.REPO_ROOT / "tests" / "functions" / "echo", tmp_path / "zips")
    lam = local_aws.client("lambda", endpoint, "us-east-1")
    lam.create_function(
        FunctionName="f",
        Runtime="python3.13",
        Handler="handler.handler",
        Role=role,
        Code={"ZipFile": built.path.read_bytes()},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName="f", WaiterConfig={"Delay": 0.5, "MaxAttempts": 60}
    )
    assert "FunctionError" not in lam.invoke(FunctionName="f", Payload=b"{}")

    function_pids = instance.function_pids()
    running = marked_processes(instance.state_dir)
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in running]
    assert function_pids, "the invoke should have started a function process"
    assert any(b"node" in c for c in commands), "kinesis-mock should be running under node"

    instance.stop()
    assert marked_processes(instance.state_dir) == []
    assert [pid for pid in function_pids if pid_alive(pid)] == []
    assert not port_in_use(instance.port)
    assert instance.pid() is None


def test_taken_port_is_a_clear_error(instance, settings, tmp_path):
    instance.start()
    other = HostLocalStack(settings, tmp_path / "other", instance.port)
    with pytest.raises(PetroStreamError) as error:
        other.start()
    assert f"port {instance.port} is taken by a LocalStack 4.14.0" in str(error.value)
    assert "LOCALSTACK_PORT" in error.value.hint


def test_starting_twice_reuses_the_running_instance(instance):
    instance.start()
    pid = instance.pid()
    instance.start()
    assert instance.pid() == pid
