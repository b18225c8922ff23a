"""What every command receives: the settings the app's callback read once."""

from __future__ import annotations

import typer

from services.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings), "the app callback sets ctx.obj"
    return settings
