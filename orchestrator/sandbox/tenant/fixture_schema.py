"""The fixture format's structure, declared once: validates fixtures and generates the JSON Schema.

``SPEC`` describes every field of version 1 (docs/sandbox/fixtures.md documents them). The same
declaration drives ``validate`` (product code, no jsonschema dependency; errors name the field
path, e.g. ``mailboxes[3].holds.in_place_holds[0]``) and ``json_schema()`` (shipped as
``data/fixture.schema.json`` for editors and CI; a test checks both agree). Unknown fields are
errors everywhere: a fixture must not express something the sandbox would silently ignore.
Cross-references and state rules are checked afterwards by ``fixture.load_fixture``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMAT", "SPEC", "VERSION", "Spec", "json_schema", "validate"]

FORMAT = "mailbox-orchestrator/sandbox-fixture"
VERSION = 1

UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
REL_RE = r"^(0|[+-](?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?)$"
ISO_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})$"
SMTP_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
THUMB_RE = r"^[0-9A-Fa-f]{40}$"
NAME_RE = r"^\S(.*\S)?$"


@dataclass(frozen=True)
class Spec:
    kind: str  # string | integer | number | boolean | enum | array | object | map
    required: bool = True
    nullable: bool = False
    pattern: str | None = None
    hint: str = ""
    values: tuple[Any, ...] = ()
    item: Spec | None = None
    fields: dict[str, Spec] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None


def S(pattern: str | None = NAME_RE, hint: str = "a non-empty string", **kw: Any) -> Spec:
    return Spec("string", pattern=pattern, hint=hint, **kw)


def U(**kw: Any) -> Spec:
    return Spec("string", pattern=UUID_RE, hint="a GUID like 0d6c3a8e-6f1b-4c1e-9a55-3f1c2d4e5f60", **kw)


def T(**kw: Any) -> Spec:
    return Spec(
        "string", pattern=REL_RE, hint="a time relative to clock.start, like '-10d', '-3d12h' or '+2h'", **kw
    )


def SMTP(**kw: Any) -> Spec:
    return Spec("string", pattern=SMTP_RE, hint="an address like user@contoso.com", **kw)


def B(**kw: Any) -> Spec:
    return Spec("boolean", **kw)


def Int(minimum: float | None = 0, **kw: Any) -> Spec:
    return Spec("integer", minimum=minimum, **kw)


def N(minimum: float | None = 0, maximum: float | None = None, **kw: Any) -> Spec:
    return Spec("number", minimum=minimum, maximum=maximum, **kw)


def E(*values: Any, **kw: Any) -> Spec:
    return Spec("enum", values=values, **kw)


def A(item: Spec, **kw: Any) -> Spec:
    return Spec("array", item=item, **kw)


def Obj(fields: dict[str, Spec], **kw: Any) -> Spec:
    return Spec("object", fields=fields, **kw)


def M(value: Spec, **kw: Any) -> Spec:
    return Spec("map", item=value, **kw)


_LICENSE = Obj({"sku_id": U(), "disabled_plans": A(U(), required=False)})
_HOLDS = Obj(
    {
        "litigation_hold_enabled": B(required=False),
        "litigation_hold_date": T(required=False),
        "litigation_hold_owner": S(required=False),
        "litigation_hold_duration_days": Int(1, required=False, nullable=True),
        "in_place_holds": A(S(pattern=None, hint="a hold id"), required=False),
        "compliance_tag_hold_applied": B(required=False),
        "delay_hold_expires": T(required=False),
        "delay_release_hold_expires": T(required=False),
    },
    required=False,
)
_MAILBOX_STATES = ("Active", "SoftDeleted", "Inactive", "FormerlyInactive", "Disconnected")
_RTD = ("UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "PublicFolderMailbox")

SPEC = Obj(
    {
        "format": E(FORMAT),
        "version": E(VERSION),
        "description": S(pattern=None, required=False),
        "clock": Obj(
            {"start": S(pattern=ISO_RE, hint="an ISO 8601 time with offset, like 2026-03-02T09:00:00Z")}
        ),
        "tenant": Obj(
            {
                "tenant_id": U(),
                "organization": S(
                    pattern=r"^[A-Za-z0-9-]+\.onmicrosoft\.com$", hint="<name>.onmicrosoft.com"
                ),
                "display_name": S(),
                "server_prefix": S(pattern=r"^[A-Z0-9]{4,10}$", hint="like AM6PR04", required=False),
                "app": Obj(
                    {
                        "app_id": U(),
                        "certificate_thumbprint": S(pattern=THUMB_RE, hint="40 hex digits"),
                        "display_name": S(required=False),
                        "entra_roles": A(S(), required=False),
                        "graph_permissions": A(S(), required=False),
                    }
                ),
            }
        ),
        "knobs": Obj(
            {
                "seed": Int(required=False),
                "time_scale": N(required=False),
                "default_latency_ms": Int(required=False),
                "cmdlet_latency_ms": M(Int(), required=False),
                "concurrency_cap": Int(1, required=False, nullable=True),
                "destructive_budget": Int(1, required=False, nullable=True),
                "destructive_window_s": Int(1, required=False),
                "transient_fault_rates": M(N(0, 1), required=False),
                "dropped_connection_rate": N(0, 1, required=False),
                "hang_rate": N(0, 1, required=False),
                "provisioning_delay_s": Int(required=False),
                "restore_queue_delay_s": Int(required=False),
                "restore_bytes_per_s": Int(1, required=False),
                "restore_min_duration_s": Int(required=False),
            },
            required=False,
        ),
        "domains": A(
            Obj(
                {
                    "name": S(pattern=r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", hint="a domain name"),
                    "authentication": E("Managed", "Federated", required=False),
                    "default": B(required=False),
                }
            ),
            required=False,
        ),
        "skus": A(
            Obj(
                {
                    "sku_id": U(),
                    "part_number": S(pattern=r"^[A-Z0-9_]+$", hint="like ENTERPRISEPACK"),
                    "exchange_plan": E("Plan1", "Plan2", "Kiosk", required=False, nullable=True),
                    "exchange_plan_id": U(required=False, nullable=True),
                    "includes_archiving": B(required=False),
                    "prepaid_units": Int(required=False),
                }
            ),
            required=False,
        ),
        "groups": A(
            Obj(
                {
                    "object_id": U(),
                    "display_name": S(),
                    "members": A(U(), required=False),
                    "licenses": A(_LICENSE, required=False),
                }
            ),
            required=False,
        ),
        "users": A(
            Obj(
                {
                    "object_id": U(),
                    "user_principal_name": SMTP(),
                    "display_name": S(),
                    "mail": SMTP(required=False, nullable=True),
                    "dir_synced": B(required=False),
                    "state": E("Active", "RecycleBin", "Purged", required=False),
                    "created": T(required=False),
                    "deleted": T(required=False),
                    "purged": T(required=False),
                    "account_enabled": B(required=False),
                    "licenses": A(_LICENSE, required=False),
                    "proxy_addresses": A(S(), required=False),
                }
            ),
            required=False,
        ),
        "mailboxes": A(
            Obj(
                {
                    "exchange_guid": U(),
                    "guid": U(required=False),
                    "name": S(),
                    "alias": S(pattern=r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$", hint="an alias (no spaces)"),
                    "display_name": S(),
                    "primary_smtp_address": SMTP(),
                    "email_addresses": A(
                        S(
                            pattern=r"^(smtp|X500|SIP|SPO|x500|sip):\S+$",
                            hint="a secondary proxy like smtp:a@b.com",
                        ),
                        required=False,
                    ),
                    "user_principal_name": SMTP(required=False),
                    "user": U(nullable=True, required=False),
                    "recipient_type_details": E(*_RTD, required=False),
                    "state": E(*_MAILBOX_STATES),
                    "created": T(required=False),
                    "soft_deleted": T(required=False),
                    "soft_deleted_by": E("User", "Remove", "Disable", required=False),
                    "disconnected": T(required=False),
                    "inactive_retire_time": T(required=False),
                    "license_grace_until": T(required=False),
                    "holds": _HOLDS,
                    "archive_guid": U(required=False, nullable=True),
                    "auto_expanding_archive": B(required=False),
                    "item_count": Int(required=False),
                    "total_item_size_bytes": Int(required=False),
                }
            ),
            required=False,
        ),
        "case_hold_policies": A(
            Obj(
                {
                    "guid": U(),
                    "name": S(),
                    "case": S(),
                    "enabled": B(required=False),
                    "exchange_locations": A(U(), required=False),
                }
            ),
            required=False,
        ),
        "retention_policies": A(
            Obj(
                {
                    "guid": U(),
                    "name": S(),
                    "action": E("Delete", "Retain", "RetainThenDelete", required=False),
                    "enabled": B(required=False),
                    "exchange_location_all": B(required=False),
                    "exchange_locations": A(U(), required=False),
                    "exchange_location_exceptions": A(U(), required=False),
                    "preservation_lock": B(required=False),
                    "retention_days": Int(1, required=False, nullable=True),
                }
            ),
            required=False,
        ),
        "legacy_in_place_holds": A(
            Obj(
                {
                    "id": S(pattern=r"^(cld)?[0-9a-fA-F]{32}$", hint="cld<32 hex> or <32 hex>"),
                    "name": S(),
                    "mailboxes": A(U(), required=False),
                }
            ),
            required=False,
        ),
        "restore_requests": A(
            Obj(
                {
                    "request_guid": U(),
                    "name": S(),
                    "source": U(),
                    "target": U(),
                    "status": E("Queued", "InProgress", "Completed", "Failed", "Suspended"),
                    "created": T(),
                    "start": T(),
                    "complete": T(),
                    "batch_name": S(pattern=None, required=False),
                    "allow_legacy_dn_mismatch": B(required=False),
                    "failure_reason": S(required=False, nullable=True),
                    "percent_complete": Int(0, required=False, maximum=100),
                }
            ),
            required=False,
        ),
        "roles": A(Obj({"name": S(), "cmdlets": M(A(S()))}), required=False),
        "role_assignments": A(
            Obj({"name": S(), "role": S(), "assignee": S(), "enabled": B(required=False)}), required=False
        ),
    }
)


def _type_ok(spec: Spec, value: Any) -> bool:
    if spec.kind == "string":
        return isinstance(value, str)
    if spec.kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.kind == "boolean":
        return isinstance(value, bool)
    if spec.kind == "array":
        return isinstance(value, list)
    if spec.kind in ("object", "map"):
        return isinstance(value, dict)
    return True


def _describe(spec: Spec) -> str:
    if spec.kind == "enum":
        return "one of " + ", ".join(repr(v) for v in spec.values)
    return spec.hint or {"integer": "an integer", "number": "a number", "boolean": "true or false"}.get(
        spec.kind, f"a {spec.kind}" if spec.kind not in ("object", "map") else "an object"
    )


def validate(value: Any, spec: Spec = SPEC, path: str = "") -> list[str]:
    """Every structural error, each prefixed by its field path (``a.b[2].c: ...``)."""
    where = path or "fixture"
    if value is None:
        return [] if spec.nullable else [f"{where}: must be {_describe(spec)}, not null"]
    if spec.kind == "enum":
        ok = any(value == v and type(value) is type(v) for v in spec.values)
        return [] if ok else [f"{where}: {value!r} is not {_describe(spec)}"]
    if not _type_ok(spec, value):
        return [f"{where}: must be {_describe(spec)}, not {type(value).__name__} {value!r}"]
    errors: list[str] = []
    if spec.kind == "string" and spec.pattern and not re.search(spec.pattern, value):
        errors.append(f"{where}: {value!r} is not {_describe(spec)}")
    if spec.kind in ("integer", "number"):
        if spec.minimum is not None and value < spec.minimum:
            errors.append(f"{where}: {value!r} is below the minimum {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            errors.append(f"{where}: {value!r} is above the maximum {spec.maximum:g}")
    if spec.kind == "array" and spec.item is not None:
        for i, item in enumerate(value):
            errors.extend(validate(item, spec.item, f"{path}[{i}]"))
    if spec.kind == "map" and spec.item is not None:
        for key, item in value.items():
            errors.extend(validate(item, spec.item, f"{path}.{key}" if path else key))
    if spec.kind == "object":
        for key in value:
            if key not in spec.fields:
                errors.append(f"{where}: unknown field {key!r} (not part of fixture version {VERSION})")
        for key, sub in spec.fields.items():
            child = f"{path}.{key}" if path else key
            if key in value:
                errors.extend(validate(value[key], sub, child))
            elif sub.required:
                errors.append(f"{child}: required field is missing")
    return errors


def _schema(spec: Spec) -> dict[str, Any]:
    out: dict[str, Any]
    if spec.kind == "enum":
        out = {"enum": list(spec.values)}
    elif spec.kind == "string":
        out = {"type": "string"}
        if spec.pattern:
            out["pattern"] = spec.pattern
    elif spec.kind in ("integer", "number"):
        out = {"type": spec.kind}
        if spec.minimum is not None:
            out["minimum"] = spec.minimum
        if spec.maximum is not None:
            out["maximum"] = spec.maximum
    elif spec.kind == "boolean":
        out = {"type": "boolean"}
    elif spec.kind == "array":
        assert spec.item is not None
        out = {"type": "array", "items": _schema(spec.item)}
    elif spec.kind == "map":
        assert spec.item is not None
        out = {"type": "object", "additionalProperties": _schema(spec.item)}
    else:
        out = {
            "type": "object",
            "properties": {k: _schema(v) for k, v in spec.fields.items()},
            "required": [k for k, v in spec.fields.items() if v.required],
            "additionalProperties": False,
        }
    if spec.hint and spec.kind != "object":
        out["description"] = spec.hint
    return {"anyOf": [out, {"type": "null"}]} if spec.nullable else out


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) equivalent of ``SPEC``."""
    schema = _schema(SPEC)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mailbox-orchestrator.invalid/sandbox-fixture-v1.schema.json",
        "title": "mailbox-orchestrator sandbox tenant fixture, version 1",
        **schema,
    }
