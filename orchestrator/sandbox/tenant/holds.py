"""InPlaceHolds strings and hold evaluation (exchange-online-lifecycle.md §1.2, §1.5).

A mailbox's ``InPlaceHolds`` is a list of strings whose prefix says what placed the hold. The
sandbox parses them strictly: an unknown form is an error (the fixture loader reports it with the
field path), never silently ignored. ``hold_reasons`` is the single place that decides whether a
mailbox is "on hold", which is what turns a deletion into an inactive mailbox and blocks a purge.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass

from orchestrator.sandbox.tenant.model import Mailbox, MailboxState, TenantModel

__all__ = [
    "HoldKind",
    "HoldRef",
    "hold_reasons",
    "is_on_hold",
    "org_in_place_holds",
    "parse_hold_id",
    "stored_hold_reasons",
]


class HoldKind(enum.StrEnum):
    CASE_HOLD = "CaseHold"  # UniH<guid>
    RETENTION = "Retention"  # mbx<32hex>:<n>
    SKYPE_RETENTION = "SkypeRetention"  # skp<32hex>:<n> (parsed, rejected by the fixture loader)
    EXCLUSION = "Exclusion"  # -mbx<32hex>
    LEGACY = "LegacyInPlaceHold"  # cld<32hex> or <32hex>


@dataclass(frozen=True)
class HoldRef:
    kind: HoldKind
    #: The referenced policy GUID (case, retention, exclusion) or the legacy hold id (lower case).
    ref: uuid.UUID | str
    #: Retention action suffix (1, 2, 3) for RETENTION/SKYPE_RETENTION.
    action: int | None = None


_UNIH = re.compile(r"^UniH([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")
_MBX = re.compile(r"^(mbx|skp)([0-9a-fA-F]{32}):([123])$")
_EXCL = re.compile(r"^-mbx([0-9a-fA-F]{32})$")
_LEGACY = re.compile(r"^(cld)?([0-9a-fA-F]{32})$")


def parse_hold_id(value: str) -> HoldRef:
    """Parse one InPlaceHolds entry; raise ``ValueError("'x' is not a valid hold id")`` otherwise."""
    if m := _UNIH.match(value):
        return HoldRef(HoldKind.CASE_HOLD, uuid.UUID(m.group(1)))
    if m := _MBX.match(value):
        kind = HoldKind.RETENTION if m.group(1) == "mbx" else HoldKind.SKYPE_RETENTION
        return HoldRef(kind, uuid.UUID(hex=m.group(2)), int(m.group(3)))
    if m := _EXCL.match(value):
        return HoldRef(HoldKind.EXCLUSION, uuid.UUID(hex=m.group(1)))
    if _LEGACY.match(value):
        return HoldRef(HoldKind.LEGACY, value.lower())
    raise ValueError(f"{value!r} is not a valid hold id")


def stored_hold_reasons(model: TenantModel, mbx: Mailbox) -> list[str]:
    """Holds recorded on the mailbox itself (not org-wide policies), as short reason strings."""
    h = mbx.holds
    reasons: list[str] = []
    if h.litigation_hold_enabled:
        reasons.append("LitigationHold")
    for hold_id in h.in_place_holds:
        ref = parse_hold_id(hold_id)
        if ref.kind is HoldKind.CASE_HOLD:
            case = model.case_hold_policies.get(ref.ref)  # type: ignore[arg-type]
            if case is not None and case.enabled:
                reasons.append(hold_id)
        elif ref.kind is HoldKind.RETENTION:
            policy = model.retention_policies.get(ref.ref)  # type: ignore[arg-type]
            if policy is not None and policy.enabled and policy.action.holds:
                reasons.append(hold_id)
        elif ref.kind is HoldKind.LEGACY and str(ref.ref) in model.legacy_holds:
            reasons.append(hold_id)
    if h.compliance_tag_hold_applied:
        reasons.append("ComplianceTagHold")
    if h.delay_hold_applied:
        reasons.append("DelayHold")
    if h.delay_release_hold_applied:
        reasons.append("DelayReleaseHold")
    return reasons


def hold_reasons(model: TenantModel, mbx: Mailbox) -> list[str]:
    """Every hold that applies now: stored ones plus org-wide retain policies not excluded (§1.2).

    Org-wide policies do not apply to purged mailboxes (there is nothing left to hold).
    """
    reasons = stored_hold_reasons(model, mbx)
    if mbx.state is MailboxState.PURGED:
        return reasons
    for policy in model.retention_policies.values():
        if (
            policy.exchange_location_all
            and policy.enabled
            and policy.action.holds
            and mbx.exchange_guid not in policy.exchange_location_exceptions
        ):
            reasons.append(f"OrgWide:{policy.hold_id}")
    return reasons


def is_on_hold(model: TenantModel, mbx: Mailbox) -> bool:
    return bool(hold_reasons(model, mbx))


def org_in_place_holds(model: TenantModel) -> list[str]:
    """Get-OrganizationConfig InPlaceHolds: one ``mbx<hex>:<n>`` per enabled org-wide policy (§1.5)."""
    return [
        p.hold_id
        for p in sorted(model.retention_policies.values(), key=lambda p: p.name.lower())
        if p.exchange_location_all and p.enabled
    ]
