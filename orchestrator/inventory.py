"""The ``inventory`` workflow: list soft-deleted, inactive and licence-removed mailboxes (read-only)."""

from __future__ import annotations

from collections.abc import Mapping

from orchestrator.config import TenantSettings
from orchestrator.core.inventory import Inventory, ObservationError, build_inventory
from orchestrator.errors import ScriptError
from orchestrator.templates import TemplateCatalog
from orchestrator.workflow import ScriptRunner, run_template


def run_inventory(
    runner: ScriptRunner,
    tenant: TenantSettings,
    *,
    include_public_folders: bool = True,
    include_directory: bool = True,
    catalog: TemplateCatalog | None = None,
) -> Inventory:
    """Run the inventory script and parse its output.

    Any error record fails the whole inventory, even a non-terminating one: a partial list that
    looks complete is how mailboxes get forgotten (or purged by mistake).
    """
    result = run_template(
        runner,
        catalog or TemplateCatalog(),
        tenant,
        "inventory",
        {"include_public_folders": include_public_folders, "include_directory": include_directory},
    ).raise_if_failed()
    if result.errors:
        raise ScriptError(
            f"the inventory script reported {len(result.errors)} error(s); the list would be incomplete",
            records=result.errors,
            result=result,
            hint="fix the cause shown in the first error record and run the inventory again",
        )
    rows = [row for row in result.output if isinstance(row, Mapping)]
    if len(rows) != len(result.output):
        raise ScriptError("the inventory script returned values that are not objects", result=result)
    try:
        return build_inventory(rows)
    except ObservationError as exc:
        raise ScriptError(
            f"the inventory output could not be read: {exc}",
            result=result,
            hint="the template and this version of the parser disagree; report it with the JSON log",
        ) from exc
