"""``demo``: a throw-away sandbox tenant, the showcase run against it, and what happened."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from orchestrator.cli.app import AppContext


@click.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the sandbox tenant in this directory instead of a temporary one.",
)
@click.option("--https", is_flag=True, help="Talk to the sandbox over HTTPS.")
@click.pass_obj
def demo(app: AppContext, keep: Path | None, https: bool) -> None:
    """Run the showcase against a fresh sandbox tenant and print what happened.

    Needs nothing else: no jump host, no tenant, no configuration.
    """
    from orchestrator.demo import run_demo

    if keep is not None:
        run_demo(keep, https=https, echo=click.echo)
        return
    with tempfile.TemporaryDirectory(prefix="mbxo-demo-") as tmp:
        run_demo(Path(tmp) / "tenant", https=https, echo=click.echo)
