"""``config show`` and ``config keys``: what the tool will use, and where each value came from."""

from __future__ import annotations

import json

import click

from orchestrator.cli.app import AppContext


@click.group()
def config() -> None:
    """Inspect the configuration (secrets are always masked)."""


@config.command("show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def show(app: AppContext, fmt: str) -> None:
    """The effective settings with the source of each value (flag, env, file or default)."""
    data = app.settings().redacted()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, default=str))
        return
    width = max(len(k) for k in data)
    for key, entry in data.items():
        click.echo(f"{key.ljust(width)}  {entry['value']!s:<40}  {entry['source']}")


@config.command("keys")
def keys() -> None:
    """Every setting: config key, environment variable, flag, type, default."""
    from orchestrator.config import describe_keys

    for info in describe_keys():
        flag = "(env or file only: secret)" if info.secret else info.flag
        click.echo(f"{info.key}\t{info.env_var}\t{flag}\t{info.type}\t{info.default}\t{info.description}")
