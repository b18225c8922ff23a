"""Make kinesis-mock's PutRecords cost independent of how many records a shard already holds.

kinesis-mock 0.5.2 (LocalStack 4.14.0's Kinesis) groups a PutRecords call's new records by
``(shard, records already in the shard)`` (PutRecordsRequest.scala, line 118). Every grouped record
hashes that key, so every call hashes the whole shard once per new record and PutRecords slows
down as the shard fills (measured by bench/kinesis_profile.py; figures in docs/performance.md).
The upstream source still does this. This patch groups by shard alone, which is the same grouping
(a shard has one list of records within a call), and takes the shard's records from the group's
first entry. Sequence numbers, ordering and responses are untouched.

The build is minified Scala.js, so the patch is two exact string replacements, each of which must
occur exactly once; any other build is refused rather than guessed at.

Standard library only: `make setup` (any Python 3.8+) runs it on the host install, and in Docker
mode LocalStack runs this same file as a start.d init script (``exec`` with empty globals, where
``__name__`` is "builtins"), which installs kinesis-mock the way first use would and patches it.
"""

from __future__ import annotations

import sys
from pathlib import Path

VERSION = "0.5.2"
# Where Docker mode mounts this file (docker-compose.yml, and the testcontainers LocalStack in
# tests/conftest.py).
CONTAINER_PATH = "/etc/localstack/init/start.d/kinesis_mock_patch.py"
# (original, patched) pairs in kinesis-local/main.js.
REPLACEMENTS = (
    # the groupBy key: (shard, currentRecords) -> (shard, null)
    (
        "var v=B(new C,q.yk,q.xm);else throw new A(q);l.My(v,",
        "var v=B(new C,q.yk,null);else throw new A(q);l.My(v,",
    ),
    # the map over groups: currentRecords from the key -> from the group's first (shard, records, ...) entry
    ("v=t0(y.r(),v.r().Da(new z(G=>G.$k)))", "v=t0(v.r().w().u().xm,v.r().Da(new z(G=>G.$k)))"),
)


class KinesisMockPatchError(Exception):
    """main.js is neither the known build nor the patched one."""


def is_patched(text: str) -> bool:
    return all(text.count(new) == 1 for _, new in REPLACEMENTS)


def patched_text(text: str, where: str = "main.js") -> str:
    """The patched build; the text itself when it is patched already."""
    if is_patched(text):
        return text
    for old, _ in REPLACEMENTS:
        if text.count(old) != 1:
            raise KinesisMockPatchError(
                f"{where}: expected kinesis-mock {VERSION}'s PutRecords code once, found it "
                f"{text.count(old)} times ({old!r}); is this another kinesis-mock version?"
            )
    for old, new in REPLACEMENTS:
        text = text.replace(old, new)
    return text


def patch(main_js: Path) -> bool:
    """Patch kinesis-local's main.js in place; True when it changed, False when already patched."""
    text = main_js.read_text(encoding="utf-8")
    patched = patched_text(text, str(main_js))
    if patched == text:
        return False
    main_js.write_text(patched, encoding="utf-8")
    return True


def main_js_under(installed_dir: Path) -> Path:
    """kinesis-local's main.js inside the folder LocalStack's kinesismock_package installed."""
    found = sorted(Path(installed_dir).glob("**/kinesis-local/main.js"))
    if not found:
        raise KinesisMockPatchError(f"no kinesis-local/main.js under {installed_dir}")
    return found[-1]


def _localstack_init_script() -> None:
    """Inside the LocalStack container: install kinesis-mock now (as its first use would), patch it."""
    from localstack.services.kinesis.packages import kinesismock_package

    installed = kinesismock_package.get_installed_dir()
    if not installed:
        kinesismock_package.install()
        installed = kinesismock_package.get_installed_dir()
    main_js = main_js_under(Path(installed))
    try:
        changed = patch(main_js)
    except KinesisMockPatchError as error:  # slower Kinesis is no reason to refuse to start
        print(f"petrostream: kinesis-mock left unpatched: {error}", file=sys.stderr)
        return
    print(f"petrostream: kinesis-mock PutRecords patch {'applied to' if changed else 'already in'} {main_js}")


if __name__ == "builtins":  # run by LocalStack's init hooks (start.d), not imported
    _localstack_init_script()
