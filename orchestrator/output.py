"""Render an inventory for people (table) and machines (JSON, CSV). Output goes to stdout only.

JSON is a list of objects with stable snake_case keys (dates ISO 8601 UTC, GUIDs in "D" form);
CSV has the same columns, holds flattened to ``kind:id`` joined by ``;`` so a spreadsheet can
filter on them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Sequence
from typing import Any

from orchestrator.core.holds import HoldKind
from orchestrator.core.inventory import Inventory
from orchestrator.core.mailboxes import MailboxRecord

FORMATS = ("table", "json", "csv")


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _guid(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def record_to_dict(record: MailboxRecord) -> dict[str, Any]:
    """The JSON shape of one inventory record."""
    facts = record.facts
    return {
        "exchange_guid": _guid(facts.exchange_guid),
        "primary_smtp_address": facts.primary_smtp_address,
        "user_principal_name": facts.user_principal_name,
        "display_name": facts.display_name,
        "name": facts.name,
        "distinguished_name": facts.distinguished_name,
        "recipient_type_details": facts.recipient_type_details,
        "state": record.state.value,
        "when_soft_deleted": _iso(facts.when_soft_deleted),
        "inactive_mailbox_retire_time": _iso(facts.inactive_retire_time),
        "user_deleted_at": _iso(facts.user_deleted_at),
        "removal_deadline": _iso(record.deadline),
        "days_left": record.days_left,
        "external_directory_object_id": _guid(facts.external_directory_object_id),
        "orphaned": record.orphaned,
        "directory_user": record.directory_user.value,
        "is_dir_synced": facts.is_dir_synced,
        "holds": [hold.as_dict() for hold in facts.holds],
        "blocking_holds": len(record.blocking_holds),
        "notes": list(record.notes),
    }


def inventory_to_json(inventory: Inventory) -> str:
    return json.dumps([record_to_dict(r) for r in inventory.records], indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = (
    "exchange_guid", "primary_smtp_address", "user_principal_name", "display_name", "recipient_type_details",
    "state", "when_soft_deleted", "removal_deadline", "days_left", "external_directory_object_id", "orphaned",
    "directory_user", "is_dir_synced", "holds", "blocking_holds", "notes",
)  # fmt: skip


def inventory_to_csv(inventory: Inventory) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in inventory.records:
        row = record_to_dict(record)
        row["holds"] = ";".join(f"{h['kind']}:{h['id']}" if h["id"] else str(h["kind"]) for h in row["holds"])
        row["notes"] = " | ".join(row["notes"])
        writer.writerow(row)
    return buffer.getvalue()


def _short_holds(record: MailboxRecord) -> str:
    """Holds that keep content, plus exclusions; delete-only policies are in JSON/CSV only."""
    kinds: list[str] = []
    for hold in record.facts.holds:
        if not hold.retains and hold.kind is not HoldKind.EXCLUDED:
            continue
        label = hold.kind.value.replace("_hold", "").replace("_policy", "")
        if label not in kinds:
            kinds.append(label)
    return ",".join(kinds) or "-"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "\n".join(lines) + "\n"


def inventory_to_table(inventory: Inventory) -> str:
    headers = ("STATE", "DAYS", "ADDRESS", "EXCHANGE GUID", "USER", "HOLDS", "FLAGS")
    rows = []
    for record in inventory.records:
        facts = record.facts
        flags = [name for name, on in (("orphan", record.orphaned), ("dirsync", facts.is_dir_synced)) if on]
        rows.append(
            (
                record.state.value,
                "-" if record.days_left is None else str(record.days_left),
                facts.primary_smtp_address or facts.user_principal_name or "?",
                _guid(facts.exchange_guid) or "-",
                record.directory_user.value,
                _short_holds(record),
                ",".join(flags) or "-",
            )
        )
    summary = ", ".join(f"{state.value}: {n}" for state, n in sorted(inventory.by_state().items()))
    footer = f"\n{len(inventory.records)} mailbox(es) as of {_iso(inventory.observed_at)}"
    footer += f" ({summary})\n" if summary else "\n"
    if not inventory.directory_checked:
        footer += "directory not checked (--no-directory): user states may show as unknown\n"
    return _table(headers, rows) + footer


def render_inventory(inventory: Inventory, fmt: str) -> str:
    renderers = {"table": inventory_to_table, "json": inventory_to_json, "csv": inventory_to_csv}
    return renderers[fmt](inventory)
