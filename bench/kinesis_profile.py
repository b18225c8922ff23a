"""Where kinesis-mock (host-mode Kinesis) spends its time as a shard fills: it is run on its own
under ``node --cpu-prof``, one shard receives back-to-back 500-record PutRecords calls, and the
V8 profile is read back through kinesis-mock's source map to Scala file:line and function.

The producer benchmark attaches this profile to its result. Unpatched, 80% of kinesis-mock's busy
time went to hashing the records already stored (a 500-record call took 3.3 s at 11,500 stored);
with services/localstack/kinesis_mock_patch.py, which `make setup` applies, the same call takes
0.08 s and hashing is about 1%, so the profile shows what is left: JSON, base64, garbage collection.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from services import local_aws
from services.localstack.host import free_port
from services.localstack.kinesis_mock_patch import KinesisMockPatchError, main_js_under
from services.settings import Settings

CALLS = 12
HASHING = ("MurmurHash3", "hashCode")  # frames that hash values (the stored records' hashes)


def _main_js(settings: Settings) -> Path:
    try:
        return main_js_under(settings.localstack_libs_dir)
    except KinesisMockPatchError as error:
        raise FileNotFoundError("kinesis-mock is not installed: run `make setup`") from error


def _put_calls(endpoint: str, calls: int) -> list[float]:
    kinesis = local_aws.client("kinesis", endpoint, "us-east-1")
    deadline = time.monotonic() + 60
    while True:
        try:
            kinesis.list_streams()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    kinesis.create_stream(StreamName="profile", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(
        StreamName="profile", WaiterConfig={"Delay": 0.2, "MaxAttempts": 150}
    )
    entries = [
        {"Data": json.dumps({"i": i, "pad": "x" * 400}).encode(), "PartitionKey": "well"} for i in range(500)
    ]
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        kinesis.put_records(StreamName="profile", Records=entries)
        seconds.append(time.perf_counter() - started)
    return seconds


def _frames(profile: dict, source_map: Path) -> tuple[collections.Counter, float]:
    """Self time per frame (Scala file:line function where the map knows it), and busy time."""
    import sourcemap

    index = sourcemap.load(source_map.open())
    nodes = {node["id"]: node for node in profile["nodes"]}
    spent: collections.Counter = collections.Counter()
    # a V8 CPU profile has exactly one time delta per sample
    for sample, delta in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = nodes[sample]["callFrame"]
        label = frame["functionName"] or "(anonymous)"
        if frame["url"].endswith("main.js") and frame["lineNumber"] >= 0:
            try:
                token = index.lookup(frame["lineNumber"], frame["columnNumber"])
            except (IndexError, KeyError):
                token = None
            if token is not None and token.src:
                label = f"{token.src.rsplit('/', 1)[-1]}:{token.src_line + 1} {token.name or label}"
        spent[label] += delta
    busy = sum(v for k, v in spent.items() if k not in ("(idle)", "(program)"))
    return spent, busy


def profile(calls: int = CALLS) -> list[str]:
    """Report lines: call times as the shard fills, the share of busy time spent hashing, top frames."""
    main_js = _main_js(Settings.from_env())
    port = free_port()
    with tempfile.TemporaryDirectory() as out:
        env = {
            **os.environ,
            "KINESIS_MOCK_PLAIN_PORT": str(port),
            "KINESIS_MOCK_TLS_PORT": str(free_port()),
            "KINESIS_MOCK_CERT_PATH": str(main_js.with_name("server.json")),
            "AWS_ACCOUNT_ID": "000000000000",
            "LOG_LEVEL": "WARN",
            "CREATE_STREAM_DURATION": "0ms",
        }
        process = subprocess.Popen(
            ["node", "--cpu-prof", f"--cpu-prof-dir={out}", str(main_js)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            seconds = _put_calls(f"http://127.0.0.1:{port}", calls)
        finally:
            process.send_signal(signal.SIGTERM)  # kinesis-mock exits on SIGTERM, and node writes the profile
            deadline = time.monotonic() + 30
            while not list(Path(out).glob("*.cpuprofile")) and time.monotonic() < deadline:
                time.sleep(0.2)
            process.kill()
            process.wait()
        written = list(Path(out).glob("*.cpuprofile"))
        if not written:
            return ["kinesis-mock wrote no CPU profile"]
        spent, busy = _frames(json.loads(written[0].read_text()), main_js.with_name("main.js.map"))
    hashing = sum(v for k, v in spent.items() if any(h in k for h in HASHING))
    lines = [
        f"kinesis-mock alone, 1 shard, {calls} PutRecords calls of 500 records: "
        f"{seconds[0]:.2f} s for the first, {seconds[-1]:.2f} s for the last "
        f"({500 * (calls - 1):,} records already stored)",
        f"{hashing / busy:.0%} of its busy CPU time is spent hashing values "
        "(MurmurHash3, hashCode; 80% without kinesis_mock_patch)",
        "top frames by self time (share of busy time):",
    ]
    top = [(k, v) for k, v in spent.most_common() if k not in ("(idle)", "(program)")][:8]
    return lines + [f"  {v / busy:5.1%}  {k}" for k, v in top]


if __name__ == "__main__":
    print("\n".join(profile()))
