"""Offline checks of infra/ against AWS: fmt and validate, and a plan that needs no account.

`plan-aws` runs the real AWS provider with dummy credentials and the provider's account checks
turned off (variable plan_without_credentials): it shows what `terraform apply` would create in
a real account without touching one. Provider data lives in .state/terraform/aws-check so infra/
stays clean.
"""

from __future__ import annotations

import os
import subprocess
import sys

from services.errors import PetroStreamError
from services.settings import Settings
from services.terraform import find_provider_mirror, find_terraform

# Variables that would point a plan without an account at something real (or at LocalStack).
AWS_TARGETING = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")


def _terraform(
    settings: Settings, *args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ()
) -> None:
    """Run terraform on infra/ itself; ``env`` is added to this process's environment, ``drop`` left out."""
    data_dir = settings.terraform_dir / "aws-check"
    data_dir.mkdir(parents=True, exist_ok=True)
    inherited = {name: value for name, value in os.environ.items() if name not in drop}
    full_env = {**inherited, "TF_DATA_DIR": str(data_dir), "TF_IN_AUTOMATION": "1", **(env or {})}
    result = subprocess.run([find_terraform(settings), f"-chdir={settings.infra_dir}", *args], env=full_env)
    if result.returncode != 0:
        raise PetroStreamError(f"terraform {args[0]} failed", "see Terraform's output above")


def init(settings: Settings) -> None:
    args = ["init", "-input=false", "-backend=false"]
    mirror = find_provider_mirror(settings)
    if mirror is not None:
        args.append(f"-plugin-dir={mirror}")
    _terraform(settings, *args)


def validate(settings: Settings) -> None:
    init(settings)
    _terraform(settings, "fmt", "-check", "-recursive")
    _terraform(settings, "validate")


def plan_aws(settings: Settings) -> None:
    init(settings)
    dummy = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": os.environ.get("AWS_REGION")
        or settings.region,  # infra/'s var.region is null by default
    }
    _terraform(
        settings,
        "plan",
        "-input=false",
        "-refresh=false",
        "-lock=false",
        "-var",
        "plan_without_credentials=true",
        "-var",
        f"lambda_artifacts_dir={(settings.build_dir / 'lambda').resolve()}",
        env=dummy,
        drop=AWS_TARGETING,
    )


def main(argv: list[str]) -> int:
    try:
        settings = Settings.from_env()
        {"validate": validate, "plan-aws": plan_aws}[argv[0]](settings)
    except PetroStreamError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
