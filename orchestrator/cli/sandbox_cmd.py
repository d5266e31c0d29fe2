"""``sandbox init|serve|advance|audit``: the simulated tenant, for rehearsals, demos and tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from orchestrator.errors import UsageError

_DIR = click.Path(file_okay=False, path_type=Path)


@click.group()
def sandbox() -> None:
    """A simulated Exchange Online + Entra ID tenant behind a real WinRM endpoint on loopback."""


@sandbox.command("init")
@click.argument("state_dir", type=_DIR)
@click.option(
    "--fixture",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Fixture file (JSON) describing the tenant; default: the built-in showcase.",
)
@click.option(
    "--generate",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Instead of a fixture, generate a large tenant with N mailboxes (for benchmarks; seeded).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="With --generate: the random seed.")
def init(state_dir: Path, fixture: Path | None, generate: int | None, seed: int) -> None:
    """Create a sandbox tenant in STATE_DIR (which must be empty or absent)."""
    from orchestrator.sandbox.embedded import init_tenant

    if generate is not None and fixture is not None:
        raise UsageError("give --fixture or --generate, not both")
    if generate is not None:
        from orchestrator.sandbox.tenant.generate import generate_large_tenant

        summary = init_tenant(state_dir, generate_large_tenant(mailboxes=generate, seed=seed))
    else:
        summary = init_tenant(state_dir, fixture)
    click.echo(f"created sandbox tenant {summary['organization']} in {state_dir}", err=True)
    click.echo(json.dumps(summary, indent=2))


@sandbox.command("serve")
@click.argument("state_dir", type=_DIR)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option("--https", is_flag=True, help="Serve WS-Man over HTTPS with a generated certificate.")
@click.option("--bind", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0),
    default=None,
    metavar="X",
    help="Let simulated time run X times faster than real time (e.g. 1440: a day per minute), so a "
    "demo can watch timers fire; 0 freezes it again. Stored with the tenant.",
)
def serve(state_dir: Path, port: int, https: bool, bind: str, time_scale: float | None) -> None:
    """Run the tenant's WinRM endpoint in the foreground until Ctrl+C.

    The first line on stdout is JSON saying how to connect: url, username, password, ca_cert
    (with --https), organization, app_id, certificate_thumbprint.
    """
    from orchestrator.sandbox.embedded import running_sandbox

    with running_sandbox(
        state_dir, https=https, port=port, bind=bind, create=False, time_scale=time_scale
    ) as connection:
        click.echo(json.dumps(connection.describe()))
        sys.stdout.flush()
        click.echo(f"serving {connection.url}; Ctrl+C stops", err=True)
        connection.wait()


@sandbox.command("advance")
@click.argument("state_dir", type=_DIR)
@click.option("--days", type=click.FloatRange(min=0), default=0.0, help="Simulated days to move forward.")
@click.option("--hours", type=click.FloatRange(min=0), default=0.0)
@click.option("--minutes", type=click.FloatRange(min=0), default=0.0)
def advance(state_dir: Path, days: float, hours: float, minutes: float) -> None:
    """Move the tenant's simulated clock forward; every timer due fires (soft-delete expiry, ...)."""
    from orchestrator.sandbox.embedded import advance_clock

    total_minutes = days * 1440 + hours * 60 + minutes
    if total_minutes <= 0:
        raise UsageError("give a positive --days, --hours or --minutes")
    click.echo(advance_clock(state_dir, total_minutes))


@sandbox.command("audit")
@click.argument("state_dir", type=_DIR)
@click.option("--cmdlet", default=None, help="Only calls of this cmdlet (case-insensitive).")
def audit(state_dir: Path, cmdlet: str | None) -> None:
    """Print the tenant's audit log (every cmdlet call it executed) as JSON lines."""
    from orchestrator.sandbox.embedded import read_audit_log

    for record in read_audit_log(state_dir):
        if cmdlet is None or str(record.get("cmdlet", "")).lower() == cmdlet.lower():
            click.echo(json.dumps(record, default=str))
