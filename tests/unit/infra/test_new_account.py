"""What a new AWS account refuses and LocalStack accepts, kept out of infra/ statically."""

from __future__ import annotations

import re

from services.settings import REPO_ROOT

INFRA = sorted((REPO_ROOT / "infra").glob("*.tf"))


def test_no_reserved_concurrency():
    # AWS keeps 10 units of account concurrency unreserved; a new account's quota is often 10,
    # so any reserved_concurrent_executions fails the apply (LocalStack accepts it).
    assert not [
        tf.name for tf in INFRA if re.search(r"^\s*reserved_concurrent_executions\s*=", tf.read_text(), re.M)
    ]


def test_iam_names_carry_the_region():
    # IAM is global to the account: two regions' deployments must not share role or policy names.
    names = [
        (tf.name, name)
        for tf in INFRA
        for block in re.findall(r'resource "aws_iam_(?:role|policy)" "\w+" \{(.*?)\n\}', tf.read_text(), re.S)
        for name in re.findall(r'^\s*name\s*=\s*"([^"]+)"', block, re.M)
    ]
    assert names and all(name.startswith("${local.iam_name}-") for _, name in names), names
