"""The showcase: what ``mailbox-orchestrator demo`` runs against a fresh sandbox tenant.

It goes through the same code as a real run (templates, pypsrp over WinRM, parsing), so the demo
is also a smoke test of the whole path. Workflows join the showcase as they land.
"""

from __future__ import annotations

import collections
import textwrap
from collections.abc import Callable
from pathlib import Path

from orchestrator.inventory import run_inventory
from orchestrator.output import render_inventory
from orchestrator.session import PowerShellSession
from orchestrator.templates import TemplateCatalog

Echo = Callable[[str], None]


def run_demo(state_dir: Path, *, https: bool = False, echo: Echo = print) -> None:
    """Build (or reuse) the sandbox tenant in ``state_dir`` and run the showcase against it."""
    from orchestrator.sandbox.embedded import read_audit_log, running_sandbox

    catalog = TemplateCatalog()
    with running_sandbox(state_dir, https=https) as sandbox:
        echo(f"== sandbox tenant {sandbox.organization}")
        echo(f"   state directory {state_dir}")
        echo(f"   WinRM endpoint  {sandbox.url} (Basic auth{', TLS with a generated CA' if https else ''})")
        settings = sandbox.settings()
        tenant = settings.require_tenant()

        script = catalog.render("inventory")
        echo("")
        echo(
            f"== inventory: template 'inventory' "
            f"({len(script.text.splitlines())} lines, sha256 {script.sha256[:12]})"
        )
        echo("   values are bound as PSRP parameters: " + ", ".join(p.name for p in script.declared))
        with PowerShellSession(settings.winrm) as session:
            inventory = run_inventory(session, tenant, catalog=catalog)
        echo("")
        echo(render_inventory(inventory, "table"))

        calls = collections.Counter(str(r.get("cmdlet")) for r in read_audit_log(state_dir))
        summary = ", ".join(f"{n}x {c}" for c, n in sorted(calls.items()))
        echo("== what the tenant saw (its audit log; `sandbox audit DIR` prints it):")
        echo(textwrap.fill(summary, width=100, initial_indent="   ", subsequent_indent="   "))
        echo("   nothing was changed: the inventory is read-only")
