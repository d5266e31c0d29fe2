"""Hold changes and their consequences: delay holds, inactive → formerly inactive (§1.2, §2.9, §2.12).

Removing any hold makes the Managed Folder Assistant stamp DelayHoldApplied and
DelayReleaseHoldApplied for 30 days [P-HOLD]; the sandbox stamps them at once [assumption: the MFA
pass is immediate]. While they last the mailbox is still on hold, so an inactive mailbox stays
inactive and a deletion still makes a mailbox inactive. When the last hold of an inactive mailbox
is gone it becomes formerly inactive, recoverable for 183 days (§1.2 "30 vs 183 days").

Policy locations and the mailbox's InPlaceHolds stamps are kept consistent here (an enabled case
hold or specific retention policy ↔ its stamp on each located mailbox; an org-wide policy's
exceptions ↔ ``-mbx`` stamps), which ``check_invariants`` verifies.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from orchestrator.sandbox.tenant.common import LifecycleError, Refusal, require_mailbox
from orchestrator.sandbox.tenant.holds import is_on_hold
from orchestrator.sandbox.tenant.model import (
    DELAY_HOLD_PERIOD,
    FORMERLY_INACTIVE_PERIOD,
    CaseHoldPolicy,
    Mailbox,
    MailboxState,
    RetentionPolicy,
    TenantModel,
)

__all__ = [
    "add_case_hold_location",
    "add_retention_location",
    "clear_delay_holds",
    "delete_case_hold_policy",
    "exclude_from_org_hold",
    "hold_removed",
    "recalculate_inactive",
    "reevaluate_inactive",
    "remove_case_hold_location",
    "remove_compliance_tag_hold",
    "remove_legacy_hold",
    "remove_retention_location",
    "set_case_hold_policy_enabled",
    "set_litigation_hold",
]

_HOLDABLE = (MailboxState.ACTIVE, MailboxState.INACTIVE)


def _holdable(model: TenantModel, exchange_guid: uuid.UUID) -> Mailbox:
    mbx = require_mailbox(model, exchange_guid)
    if mbx.state not in _HOLDABLE:
        raise LifecycleError(Refusal.NOT_FOUND, f"Mailbox '{mbx.name}' was not found.", identity=mbx.name)
    return mbx


def hold_removed(model: TenantModel, mbx: Mailbox, now: datetime) -> None:
    """A hold that applied was removed: stamp both delay holds for 30 days [P-HOLD]."""
    expires = now + DELAY_HOLD_PERIOD
    h = mbx.holds
    h.delay_hold_applied, h.delay_hold_expires = True, expires
    h.delay_release_hold_applied, h.delay_release_hold_expires = True, expires
    model.touch(mbx)
    model.schedule(expires)
    reevaluate_inactive(model, mbx, now)


def reevaluate_inactive(model: TenantModel, mbx: Mailbox, now: datetime) -> None:
    """Inactive with no hold left → formerly inactive, ``InactiveMailboxRetireTime`` = now [P-DEL]."""
    if mbx.state is MailboxState.INACTIVE and not is_on_hold(model, mbx):
        mbx.state = MailboxState.FORMERLY_INACTIVE
        mbx.was_inactive_mailbox = True
        mbx.inactive_mailbox_retire_time = now
        model.touch(mbx)
        model.schedule(now + FORMERLY_INACTIVE_PERIOD)


def set_litigation_hold(
    model: TenantModel,
    exchange_guid: uuid.UUID,
    now: datetime,
    *,
    enabled: bool,
    owner: str | None = None,
    duration_days: int | None = None,
) -> None:
    """Set-Mailbox [-InactiveMailbox] -LitigationHoldEnabled (§2.9). Disabling stamps delay holds."""
    mbx = _holdable(model, exchange_guid)
    h = mbx.holds
    if enabled:
        if not h.litigation_hold_enabled:
            h.litigation_hold_date = now
        h.litigation_hold_enabled = True
        h.litigation_hold_owner = owner or h.litigation_hold_owner
        h.litigation_hold_duration = duration_days
        model.touch(mbx)
    elif h.litigation_hold_enabled:
        h.litigation_hold_enabled = False
        h.litigation_hold_date = None
        h.litigation_hold_owner = None
        h.litigation_hold_duration = None
        hold_removed(model, mbx, now)


def _case(model: TenantModel, policy_guid: uuid.UUID) -> CaseHoldPolicy:
    policy = model.case_hold_policies.get(policy_guid)
    if policy is None:
        raise LifecycleError(
            Refusal.HOLD_NOT_FOUND, f"Policy '{policy_guid}' was not found.", identity=str(policy_guid)
        )
    return policy


def _stamp(model: TenantModel, mbx: Mailbox, hold_id: str) -> None:
    if hold_id not in mbx.holds.in_place_holds:
        mbx.holds.in_place_holds = [*mbx.holds.in_place_holds, hold_id]
        model.touch(mbx)


def _unstamp(model: TenantModel, mbx: Mailbox, hold_id: str) -> bool:
    if hold_id in mbx.holds.in_place_holds:
        mbx.holds.in_place_holds = [x for x in mbx.holds.in_place_holds if x != hold_id]
        model.touch(mbx)
        return True
    return False


def _add_location(
    model: TenantModel, policy: CaseHoldPolicy | RetentionPolicy, exchange_guid: uuid.UUID
) -> None:
    """Make a mailbox a location of ``policy``; an enabled policy stamps its hold at once."""
    mbx = _holdable(model, exchange_guid)
    if exchange_guid not in policy.exchange_locations:
        policy.exchange_locations = [*policy.exchange_locations, exchange_guid]
        model.touch(policy)
    if policy.enabled:
        _stamp(model, mbx, policy.hold_id)


def _remove_location(
    model: TenantModel,
    policy: CaseHoldPolicy | RetentionPolicy,
    exchange_guid: uuid.UUID,
    now: datetime,
    *,
    retains: bool,
) -> None:
    """Take a mailbox out of ``policy``; losing a retaining hold starts the delay holds (§1.2)."""
    if exchange_guid not in policy.exchange_locations:
        raise LifecycleError(
            Refusal.HOLD_NOT_FOUND,
            "The mailbox is not a location of this policy.",
            identity=str(exchange_guid),
        )
    policy.exchange_locations = [g for g in policy.exchange_locations if g != exchange_guid]
    model.touch(policy)
    mbx = model.mailboxes.get(exchange_guid)
    if mbx is not None and _unstamp(model, mbx, policy.hold_id) and policy.enabled and retains:
        hold_removed(model, mbx, now)


def add_case_hold_location(
    model: TenantModel, policy_guid: uuid.UUID, exchange_guid: uuid.UUID, now: datetime
) -> None:
    """Set-CaseHoldPolicy -AddExchangeLocation (§2.12)."""
    _add_location(model, _case(model, policy_guid), exchange_guid)


def remove_case_hold_location(
    model: TenantModel, policy_guid: uuid.UUID, exchange_guid: uuid.UUID, now: datetime
) -> None:
    """Set-CaseHoldPolicy -RemoveExchangeLocation (§2.12; "." prefix for inactive is the cmdlet's job)."""
    _remove_location(model, _case(model, policy_guid), exchange_guid, now, retains=True)


def set_case_hold_policy_enabled(
    model: TenantModel, policy_guid: uuid.UUID, enabled: bool, now: datetime
) -> None:
    """Set-CaseHoldPolicy -Enabled: disabling releases the hold on every location."""
    policy = _case(model, policy_guid)
    if policy.enabled == enabled:
        return
    policy.enabled = enabled
    model.touch(policy)
    for guid in policy.exchange_locations:
        mbx = model.mailboxes.get(guid)
        if mbx is None or mbx.state is MailboxState.PURGED:
            continue
        if enabled:
            _stamp(model, mbx, policy.hold_id)
        elif _unstamp(model, mbx, policy.hold_id):
            hold_removed(model, mbx, now)


def delete_case_hold_policy(model: TenantModel, policy_guid: uuid.UUID, now: datetime) -> None:
    """Closing/deleting the case releases its hold (§1.2; see Assumptions: delay holds first)."""
    set_case_hold_policy_enabled(model, policy_guid, False, now)
    model.remove(_case(model, policy_guid))


def _retention(model: TenantModel, policy_guid: uuid.UUID) -> RetentionPolicy:
    policy = model.retention_policies.get(policy_guid)
    if policy is None:
        raise LifecycleError(
            Refusal.HOLD_NOT_FOUND, f"Policy '{policy_guid}' was not found.", identity=str(policy_guid)
        )
    return policy


def add_retention_location(
    model: TenantModel, policy_guid: uuid.UUID, exchange_guid: uuid.UUID, now: datetime
) -> None:
    """Set-RetentionCompliancePolicy -AddExchangeLocation (specific-location policies only)."""
    policy = _retention(model, policy_guid)
    if policy.exchange_location_all:
        raise LifecycleError(
            Refusal.INVALID_STATE, "The policy applies to all mailboxes.", identity=policy.name
        )
    _add_location(model, policy, exchange_guid)


def remove_retention_location(
    model: TenantModel, policy_guid: uuid.UUID, exchange_guid: uuid.UUID, now: datetime
) -> None:
    """Set-RetentionCompliancePolicy -RemoveExchangeLocation (§2.12, [P-DEL])."""
    policy = _retention(model, policy_guid)
    _remove_location(model, policy, exchange_guid, now, retains=policy.action.holds)


def exclude_from_org_hold(
    model: TenantModel, exchange_guid: uuid.UUID, policy_guid: uuid.UUID, now: datetime
) -> None:
    """Set-Mailbox -InactiveMailbox -ExcludeFromOrgHolds <guid> (§2.9): stamps ``-mbx<hex>``."""
    policy = _retention(model, policy_guid)
    if not policy.exchange_location_all:
        raise LifecycleError(
            Refusal.HOLD_NOT_FOUND, "The policy is not an org-wide policy.", identity=policy.name
        )
    mbx = _holdable(model, exchange_guid)
    if exchange_guid in policy.exchange_location_exceptions:
        return
    policy.exchange_location_exceptions = [*policy.exchange_location_exceptions, exchange_guid]
    model.touch(policy)
    _stamp(model, mbx, policy.exclusion_id)
    if policy.enabled and policy.action.holds:
        hold_removed(model, mbx, now)


def remove_legacy_hold(model: TenantModel, hold_id: str, exchange_guid: uuid.UUID, now: datetime) -> None:
    """Remove a mailbox from a legacy In-Place Hold's sources (§1.2 "In-Place Holds are retired")."""
    hold = model.legacy_holds.get(hold_id.lower())
    if hold is None or exchange_guid not in hold.mailboxes:
        raise LifecycleError(
            Refusal.HOLD_NOT_FOUND, f"In-Place Hold '{hold_id}' was not found.", identity=hold_id
        )
    hold.mailboxes = [g for g in hold.mailboxes if g != exchange_guid]
    model.touch(hold)
    mbx = model.mailboxes.get(exchange_guid)
    if mbx is not None and _unstamp(model, mbx, hold.hold_id):
        hold_removed(model, mbx, now)


def clear_delay_holds(
    model: TenantModel, exchange_guid: uuid.UUID, now: datetime, *, delay: bool = True, release: bool = True
) -> None:
    """Set-Mailbox -RemoveDelayHoldApplied / -RemoveDelayReleaseHoldApplied (§1.2 "Delay holds")."""
    mbx = _holdable(model, exchange_guid)
    h = mbx.holds
    if delay:
        h.delay_hold_applied, h.delay_hold_expires = False, None
    if release:
        h.delay_release_hold_applied, h.delay_release_hold_expires = False, None
    model.touch(mbx)
    reevaluate_inactive(model, mbx, now)


def remove_compliance_tag_hold(model: TenantModel, exchange_guid: uuid.UUID, now: datetime) -> None:
    """Set-Mailbox -RemoveComplianceTagHoldApplied (§2.9)."""
    mbx = _holdable(model, exchange_guid)
    if mbx.holds.compliance_tag_hold_applied:
        mbx.holds.compliance_tag_hold_applied = False
        hold_removed(model, mbx, now)


def recalculate_inactive(model: TenantModel, exchange_guid: uuid.UUID, now: datetime) -> None:
    """Set-Mailbox -InactiveMailbox -RecalculateInactiveMailbox (§2.9)."""
    mbx = require_mailbox(model, exchange_guid)
    if mbx.state is not MailboxState.INACTIVE:
        raise LifecycleError(
            Refusal.NOT_INACTIVE, f"'{mbx.name}' is not an inactive mailbox.", identity=mbx.name
        )
    reevaluate_inactive(model, mbx, now)
