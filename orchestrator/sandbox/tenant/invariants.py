"""``check_invariants(model)``: what must always hold, as a list of violations (empty = consistent).

Used by the fixture loader (a fixture that violates one is rejected), by the property test
(random operation sequences keep the list empty) and available to the write side's tests.
"A purged mailbox never reappears" is a property of sequences; ``check_transition`` covers it.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from orchestrator.sandbox.tenant.holds import HoldKind, is_on_hold, parse_hold_id, stored_hold_reasons
from orchestrator.sandbox.tenant.model import Mailbox, MailboxState, TenantModel, UserState

__all__ = ["check_invariants", "check_transition"]


def _mailbox_state(model: TenantModel, mbx: Mailbox, out: list[str]) -> None:
    name = f"mailbox {mbx.name} ({mbx.exchange_guid})"
    st = mbx.state
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    if st is MailboxState.ACTIVE:
        if mbx.when_soft_deleted or mbx.when_disconnected or mbx.purged_at:
            out.append(f"{name}: Active but has deletion/disconnection timestamps")
        if mbx.user_id is not None and (user is None or user.state is not UserState.ACTIVE):
            out.append(f"{name}: Active but its user is not active")
        if (
            mbx.needs_license
            and user is not None
            and not model.has_exchange_license(user)
            and mbx.license_grace_until is None
        ):
            out.append(f"{name}: Active user mailbox without an Exchange licence or grace period")
    elif st in (MailboxState.SOFT_DELETED, MailboxState.INACTIVE, MailboxState.FORMERLY_INACTIVE):
        if mbx.when_soft_deleted is None:
            out.append(f"{name}: {st} without WhenSoftDeleted")
        if st is MailboxState.INACTIVE and not is_on_hold(model, mbx):
            out.append(f"{name}: Inactive but on no hold")
        if st is MailboxState.FORMERLY_INACTIVE and (
            not mbx.was_inactive_mailbox or mbx.inactive_mailbox_retire_time is None
        ):
            out.append(f"{name}: FormerlyInactive without WasInactiveMailbox/InactiveMailboxRetireTime")
        if (
            user is not None
            and user.state is UserState.ACTIVE
            and mbx.external_directory_object_id is not None
        ):
            out.append(f"{name}: {st} while its user is active")
    elif st is MailboxState.DISCONNECTED:
        if mbx.when_disconnected is None:
            out.append(f"{name}: Disconnected without WhenDisconnected")
        if (user is None or user.state is UserState.PURGED) and not is_on_hold(model, mbx):
            out.append(f"{name}: Disconnected but its user is purged")
    elif st is MailboxState.PURGED:
        if mbx.purged_at is None:
            out.append(f"{name}: Purged without purged_at")
        if stored_hold_reasons(model, mbx):
            out.append(f"{name}: purged while on hold {stored_hold_reasons(model, mbx)}")
    edoi = mbx.external_directory_object_id
    if (
        st is not MailboxState.PURGED
        and edoi is not None
        and (user is None or user.state is UserState.PURGED or edoi != mbx.user_id)
    ):
        out.append(f"{name}: ExternalDirectoryObjectId does not name its existing user")
    if user is not None and user.state is UserState.PURGED and mbx.external_directory_object_id is not None:
        out.append(f"{name}: user purged but ExternalDirectoryObjectId kept")


def _stamps(model: TenantModel, out: list[str]) -> None:
    """Policy locations and mailbox InPlaceHolds stamps agree (both directions)."""
    expected: dict[uuid.UUID, set[str]] = {}
    for case in model.case_hold_policies.values():
        if case.enabled:
            for g in case.exchange_locations:
                expected.setdefault(g, set()).add(case.hold_id)
    for pol in model.retention_policies.values():
        if pol.exchange_location_all:
            for g in pol.exchange_location_exceptions:
                expected.setdefault(g, set()).add(pol.exclusion_id)
        elif pol.enabled:
            for g in pol.exchange_locations:
                expected.setdefault(g, set()).add(pol.hold_id)
    for legacy in model.legacy_holds.values():
        for g in legacy.mailboxes:
            expected.setdefault(g, set()).add(legacy.hold_id)
    for mbx in model.mailboxes.values():
        if mbx.state is MailboxState.PURGED:
            continue
        have: set[str] = set()
        for hold_id in mbx.holds.in_place_holds:
            try:
                ref = parse_hold_id(hold_id)
            except ValueError as exc:
                out.append(f"mailbox {mbx.name}: {exc}")
                continue
            if ref.kind is HoldKind.SKYPE_RETENTION:
                out.append(f"mailbox {mbx.name}: skp holds are not implemented")
            have.add(hold_id if ref.kind is not HoldKind.LEGACY else str(ref.ref))
        want = {w.lower() if _is_legacy(w) else w for w in expected.get(mbx.exchange_guid, set())}
        if have != want:
            out.append(
                f"mailbox {mbx.name}: InPlaceHolds {sorted(have)} do not match policies {sorted(want)}"
            )


def _is_legacy(hold_id: str) -> bool:
    try:
        return parse_hold_id(hold_id).kind is HoldKind.LEGACY
    except ValueError:
        return False


def check_invariants(model: TenantModel, now: datetime | None = None) -> list[str]:
    out: list[str] = []
    active_names: Counter[str] = Counter()
    per_user: Counter[uuid.UUID] = Counter()
    dns: Counter[str] = Counter()
    for key, mbx in model.mailboxes.items():
        if key != mbx.exchange_guid:
            out.append(f"mailbox {mbx.name}: stored under the wrong key")
        _mailbox_state(model, mbx, out)
        if mbx.state is MailboxState.PURGED:
            continue
        dns[mbx.distinguished_name.lower()] += 1
        if mbx.state in (MailboxState.ACTIVE, MailboxState.DISCONNECTED):
            active_names[mbx.name.lower()] += 1
        if mbx.user_id is not None:
            per_user[mbx.user_id] += 1
    out.extend(
        f"mailbox name {n!r} is used by {c} active mailboxes" for n, c in active_names.items() if c > 1
    )
    out.extend(f"DistinguishedName {d!r} is not unique" for d, c in dns.items() if c > 1)
    out.extend(f"user {u} has {c} mailboxes" for u, c in per_user.items() if c > 1)
    upns: Counter[str] = Counter()
    for user in model.users.values():
        if user.state is UserState.RECYCLE_BIN and user.deleted_at is None:
            out.append(f"user {user.user_principal_name}: in the recycle bin without deleted_at")
        if user.state is UserState.PURGED and user.purged_at is None:
            out.append(f"user {user.user_principal_name}: purged without purged_at")
        if user.state is UserState.ACTIVE:
            upns[user.user_principal_name.lower()] += 1
        for lic in user.licenses:
            if lic.sku_id not in model.skus:
                out.append(f"user {user.user_principal_name}: licence for unknown SKU {lic.sku_id}")
    out.extend(f"UPN {u!r} is used by {c} active users" for u, c in upns.items() if c > 1)
    for group in model.groups.values():
        out.extend(
            f"group {group.display_name}: unknown member {m}" for m in group.members if m not in model.users
        )
        out.extend(
            f"group {group.display_name}: unknown SKU {lic.sku_id}"
            for lic in group.licenses
            if lic.sku_id not in model.skus
        )
    for req in model.restore_requests.values():
        for guid in (req.source_exchange_guid, req.target_exchange_guid):
            if guid not in model.mailboxes:
                out.append(f"restore request {req.name}: unknown mailbox {guid}")
    _stamps(model, out)
    if now is not None:
        from orchestrator.sandbox.tenant.timers import pending_timers

        out.extend(
            f"timer overdue: {e.what} {e.kind} {e.key} at {e.when}"
            for e in pending_timers(model)
            if e.when <= now
        )
    return out


def check_transition(before: TenantModel | dict[uuid.UUID, MailboxState], after: TenantModel) -> list[str]:
    """Sequence invariants: a purged mailbox never reappears; a mailbox never vanishes."""
    states = before if isinstance(before, dict) else {g: m.state for g, m in before.mailboxes.items()}
    out: list[str] = []
    for guid, state in states.items():
        now_mbx = after.mailboxes.get(guid)
        if now_mbx is None:
            out.append(f"mailbox {guid} vanished instead of being purged")
        elif state is MailboxState.PURGED and now_mbx.state is not MailboxState.PURGED:
            out.append(f"mailbox {guid} came back from Purged to {now_mbx.state}")
    return out
