"""Holds on a mailbox: what each ``InPlaceHolds`` entry means, and which holds block a purge.

Pure data and functions. The formats come from the reference, section 1.5 ([P-HOLD]):

======================  ==============================================================
``UniH<guid>``          eDiscovery case hold (look up with ``Get-CaseHoldPolicy <guid>``)
``mbx<32hex>:<n>``      Microsoft 365 retention policy applied to this mailbox
``skp<32hex>:<n>``      the same, for Skype for Business conversations
``grp<32hex>:<n>``      org-wide policy for Microsoft 365 Groups / Teams channels
``-mbx<32hex>``         the mailbox is *excluded* from that org-wide policy
``cld<32hex>``/32 hex   legacy In-Place Hold (retired; released only by removing it)
======================  ==============================================================

Action suffix ``:1`` delete only (not a hold: it retains nothing), ``:2`` retain only,
``:3`` retain then delete. Litigation Hold, retention labels (ComplianceTagHoldApplied) and the
30-day delay holds have no entry in the list; they are flags on the mailbox.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class HoldKind(enum.StrEnum):
    LITIGATION = "litigation_hold"
    EDISCOVERY_CASE = "ediscovery_case_hold"
    RETENTION_POLICY = "retention_policy"
    ORG_RETENTION_POLICY = "org_retention_policy"
    EXCLUDED = "excluded"
    LEGACY_IN_PLACE = "legacy_in_place_hold"
    COMPLIANCE_TAG = "compliance_tag_hold"
    DELAY = "delay_hold"
    DELAY_RELEASE = "delay_release_hold"
    UNKNOWN = "unknown"


class RetentionAction(enum.StrEnum):
    DELETE_ONLY = "delete_only"
    RETAIN = "retain"
    RETAIN_THEN_DELETE = "retain_then_delete"


_ACTIONS = {
    "1": RetentionAction.DELETE_ONLY,
    "2": RetentionAction.RETAIN,
    "3": RetentionAction.RETAIN_THEN_DELETE,
}


@dataclass(frozen=True)
class Hold:
    """One hold on one mailbox.

    ``policy_id`` is the GUID to look the hold up with (dashed form for case holds, 32 hex for
    retention policies, prefix kept for legacy holds as ``Get-MailboxSearch`` wants it).
    ``retains`` says whether the hold keeps content: only retaining holds make a deleted
    mailbox inactive and block ``Remove-Mailbox -PermanentlyDelete``.
    """

    kind: HoldKind
    raw: str | None = None
    policy_id: str | None = None
    action: RetentionAction | None = None
    workload: str | None = None

    @property
    def retains(self) -> bool:
        if self.kind in (HoldKind.EXCLUDED, HoldKind.UNKNOWN):
            return self.kind is HoldKind.UNKNOWN  # an unknown entry is treated as a hold: be safe
        return self.action is not RetentionAction.DELETE_ONLY

    def as_dict(self) -> dict[str, str | bool | None]:
        return {
            "kind": self.kind.value,
            "id": self.policy_id,
            "action": self.action.value if self.action else None,
            "workload": self.workload,
            "raw": self.raw,
            "retains": self.retains,
        }


_HEX32 = r"[0-9a-fA-F]{32}"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

# (pattern, kind, workload) in the order they are tried; the first match wins.
_IN_PLACE_FORMATS: tuple[tuple[re.Pattern[str], HoldKind, str | None], ...] = (
    (re.compile(rf"^UniH(?P<id>{_GUID})$", re.IGNORECASE), HoldKind.EDISCOVERY_CASE, None),
    (re.compile(rf"^-mbx(?P<id>{_HEX32})$", re.IGNORECASE), HoldKind.EXCLUDED, "mailbox"),
    (
        re.compile(rf"^mbx(?P<id>{_HEX32}):(?P<action>[123])$", re.IGNORECASE),
        HoldKind.RETENTION_POLICY,
        "mailbox",
    ),
    (
        re.compile(rf"^skp(?P<id>{_HEX32}):(?P<action>[123])$", re.IGNORECASE),
        HoldKind.RETENTION_POLICY,
        "skype",
    ),
    (
        re.compile(rf"^grp(?P<id>{_HEX32}):(?P<action>[123])$", re.IGNORECASE),
        HoldKind.RETENTION_POLICY,
        "group",
    ),
    (re.compile(rf"^(?P<id>cld{_HEX32})$", re.IGNORECASE), HoldKind.LEGACY_IN_PLACE, None),
    (re.compile(rf"^(?P<id>{_HEX32})$", re.IGNORECASE), HoldKind.LEGACY_IN_PLACE, None),
)


def classify_in_place_hold(raw: str) -> Hold:
    """Classify one ``InPlaceHolds`` entry; anything unrecognised is UNKNOWN (and counts as a hold)."""
    text = raw.strip()
    for pattern, kind, workload in _IN_PLACE_FORMATS:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            action = _ACTIONS.get(groups["action"]) if groups.get("action") else None
            return Hold(kind, raw, groups["id"].lower(), action, workload)
    return Hold(HoldKind.UNKNOWN, raw)


def org_wide_holds(org_in_place_holds: Iterable[str]) -> tuple[Hold, ...]:
    """Org-wide retention policies (``Get-OrganizationConfig``), re-labelled as org-wide."""
    holds = []
    for raw in org_in_place_holds:
        hold = classify_in_place_hold(raw)
        if hold.kind is HoldKind.RETENTION_POLICY:
            hold = Hold(HoldKind.ORG_RETENTION_POLICY, raw, hold.policy_id, hold.action, hold.workload)
        holds.append(hold)
    return tuple(holds)


@dataclass(frozen=True)
class HoldFlags:
    """The hold flags a mailbox carries besides its ``InPlaceHolds`` list."""

    litigation: bool = False
    compliance_tag: bool = False
    delay: bool = False
    delay_release: bool = False


_FLAG_HOLDS = (
    ("litigation", HoldKind.LITIGATION),
    ("compliance_tag", HoldKind.COMPLIANCE_TAG),
    ("delay", HoldKind.DELAY),
    ("delay_release", HoldKind.DELAY_RELEASE),
)


def mailbox_holds(
    flags: HoldFlags, in_place_holds: Sequence[str], org_holds: Sequence[Hold] = ()
) -> tuple[Hold, ...]:
    """Every hold on a mailbox: its flags, its own list, and the org-wide policies it is not
    excluded from (only mailbox-workload org policies apply to mailboxes)."""
    holds: list[Hold] = [Hold(kind) for attr, kind in _FLAG_HOLDS if getattr(flags, attr)]
    own = [classify_in_place_hold(raw) for raw in in_place_holds]
    holds.extend(own)
    excluded = {h.policy_id for h in own if h.kind is HoldKind.EXCLUDED}
    holds.extend(
        h
        for h in org_holds
        if h.kind is HoldKind.ORG_RETENTION_POLICY and h.workload == "mailbox" and h.policy_id not in excluded
    )
    return tuple(holds)


def retaining_holds(holds: Iterable[Hold]) -> tuple[Hold, ...]:
    """The holds that keep content (and therefore block a permanent delete)."""
    return tuple(h for h in holds if h.retains)
