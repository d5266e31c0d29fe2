"""The audit log: one JSON line per cmdlet call in ``<state dir>/audit.jsonl``.

The host calls ``Tenant.audit(record)`` after each call with the cmdlet, bound parameters, outcome
("ok" or the error's FullyQualifiedErrorId), duration and runspace id; this module adds simulated
and real time and masks secrets (SecureString values and any parameter whose name says password,
secret, token or credential) before anything reaches the disk.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from orchestrator.sandbox.runtime import Hashtable, PSObject, SecureString, SwitchParameter

__all__ = ["AUDIT_NAME", "MASK", "AuditLog", "mask_parameters", "read_audit"]

AUDIT_NAME = "audit.jsonl"
MASK = "********"
_SECRET_NAME = re.compile(r"password|secret|token|credential|privatekey", re.IGNORECASE)


def _plain(value: Any) -> Any:
    """A JSON-able rendering of a bound value (secrets masked)."""
    if isinstance(value, SecureString):
        return MASK
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, SwitchParameter):
        return value.is_present
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PSObject):
        ident = next((value.get(k) for k in ("Identity", "ExchangeGuid", "Id", "Name") if value.has(k)), None)
        return {"type": value.type_names[0] if value.type_names else "PSObject", "identity": _plain(ident)}
    if isinstance(value, Hashtable | Mapping):
        return {str(k): (MASK if _SECRET_NAME.search(str(k)) else _plain(v)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return repr(value)


def mask_parameters(bound: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (MASK if _SECRET_NAME.search(name) else _plain(v)) for name, v in bound.items()}


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, record: Mapping[str, Any]) -> None:
        line = json.dumps({k: _plain(v) for k, v in record.items()}, sort_keys=False) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8", newline="\n") as fh:
            fh.write(line)


def read_audit(state_dir: Path | str) -> list[dict[str, Any]]:
    """Every record of the audit log, oldest first (a torn last line is skipped)."""
    path = Path(state_dir) / AUDIT_NAME
    if not path.exists():
        return []
    records: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records
