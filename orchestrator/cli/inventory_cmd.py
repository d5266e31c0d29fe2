"""``inventory``: soft-deleted, inactive and licence-removed mailboxes (read-only)."""

from __future__ import annotations

import click

from orchestrator.cli.app import AppContext


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json (a list of objects) or csv for machines.",
)
@click.option(
    "--public-folders/--no-public-folders",
    default=True,
    show_default=True,
    help="Also list soft-deleted public folder mailboxes.",
)
@click.option(
    "--directory/--no-directory",
    default=True,
    show_default=True,
    help="Cross-check Entra ID through Microsoft Graph (deleted users, licence-removed users).",
)
@click.pass_obj
def inventory(app: AppContext, fmt: str, public_folders: bool, directory: bool) -> None:
    """List soft-deleted, inactive and licence-removed mailboxes, with holds and days left.

    Read-only: the script it runs changes nothing (see `templates render inventory`).
    """
    from orchestrator.inventory import run_inventory
    from orchestrator.output import render_inventory

    with app.runner() as (session, settings):
        result = run_inventory(
            session,
            settings.require_tenant(),
            include_public_folders=public_folders,
            include_directory=directory,
        )
    click.echo(render_inventory(result, fmt), nl=False)
