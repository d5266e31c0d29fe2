"""New-Mailbox -InactiveMailbox: recover a soft-deleted or inactive mailbox to a new user (§1.2, §2.5).

[P-REC]: the result is a new active mailbox for a new (cloud, unlicensed) user; the inactive
object ceases to exist. Refused while the soft-delete period runs (ExternalDirectoryObjectId still
set: restore the user instead) and for inactive mailboxes with an auto-expanding archive. The
MicrosoftOnlineServicesID must be unique and in a managed domain (§4 row 6). Hold outcomes follow
§1.2 "Recovering": a retention policy with Preservation Lock keeps the mailbox; without the lock
the mailbox leaves the policy and Litigation Hold is switched on; Litigation Hold and In-Place
holds are removed. RetainDeletedItemsFor becomes 30 days and RetentionHoldEnabled is on for 30 days.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from orchestrator.sandbox.tenant.common import (
    LifecycleError,
    Refusal,
    active_dn,
    check_new_mailbox_name,
    check_new_sign_in_name,
    legacy_exchange_dn,
    require_mailbox,
)
from orchestrator.sandbox.tenant.holds import HoldKind, parse_hold_id
from orchestrator.sandbox.tenant.model import (
    LICENSE_GRACE_PERIOD,
    Mailbox,
    MailboxState,
    TenantModel,
    User,
)

__all__ = ["recover_inactive_mailbox"]

_RETENTION_HOLD = timedelta(days=30)


def recover_inactive_mailbox(
    model: TenantModel,
    exchange_guid: uuid.UUID,
    now: datetime,
    *,
    name: str,
    microsoft_online_services_id: str,
    alias: str | None = None,
    display_name: str | None = None,
) -> Mailbox:
    mbx = require_mailbox(model, exchange_guid)
    if not mbx.is_soft_deleted_kind:
        raise LifecycleError(Refusal.NOT_FOUND, f"Mailbox '{mbx.name}' was not found.", identity=mbx.name)
    if mbx.external_directory_object_id is not None:
        raise LifecycleError(
            Refusal.SOFT_DELETE_PERIOD_RUNNING,
            "The mailbox is still in its soft-delete period; restore the user account instead.",
            identity=mbx.name,
        )
    if mbx.auto_expanding_archive:
        raise LifecycleError(Refusal.AUTO_EXPANDING_ARCHIVE, "auto-expanding archive", identity=mbx.name)
    mosid = microsoft_online_services_id
    new_alias = alias or mosid.split("@", 1)[0]
    check_new_sign_in_name(model, mosid)
    check_new_mailbox_name(model, name, new_alias)

    user = User(
        object_id=model.new_guid(),
        user_principal_name=mosid,
        display_name=display_name or name,
        mail=mosid,
        created=now,
    )
    model.users[user.object_id] = user
    model.touch(user)
    _apply_hold_outcomes(model, mbx)

    old_primary, old_ldn = mbx.primary_smtp_address, mbx.legacy_exchange_dn
    model.link(mbx, user.object_id)
    mbx.guid = model.new_guid()
    mbx.name = name
    mbx.alias = new_alias
    mbx.display_name = display_name or name
    mbx.distinguished_name = active_dn(model, name)
    mbx.legacy_exchange_dn = legacy_exchange_dn(mbx.guid, new_alias)
    mbx.primary_smtp_address = mosid
    mbx.user_principal_name = mosid
    mbx.email_addresses = [f"SMTP:{mosid}", f"smtp:{old_primary}", f"X500:{old_ldn}"]
    mbx.state = MailboxState.ACTIVE
    mbx.external_directory_object_id = user.object_id
    mbx.is_dir_synced = False
    mbx.when_created = now
    mbx.when_soft_deleted = None
    mbx.is_soft_deleted_by_remove = mbx.is_soft_deleted_by_disable = False
    mbx.was_inactive_mailbox = False
    mbx.inactive_mailbox_retire_time = None
    mbx.retain_deleted_items_for_days = 30
    mbx.retention_hold_until = now + _RETENTION_HOLD
    mbx.license_grace_until = now + LICENSE_GRACE_PERIOD
    model.touch(mbx)
    model.schedule(mbx.retention_hold_until)
    return mbx


def _apply_hold_outcomes(model: TenantModel, mbx: Mailbox) -> None:
    h = mbx.holds
    kept: list[str] = []
    litigation = False
    for hold_id in h.in_place_holds:
        ref = parse_hold_id(hold_id)
        if ref.kind is HoldKind.RETENTION and (policy := model.retention_policies.get(ref.ref)) is not None:  # type: ignore[arg-type]
            if policy.preservation_lock:
                kept.append(hold_id)
                continue
            policy.exchange_locations = [g for g in policy.exchange_locations if g != mbx.exchange_guid]
            model.touch(policy)
            litigation = litigation or policy.action.holds
        elif ref.kind is HoldKind.CASE_HOLD and (case := model.case_hold_policies.get(ref.ref)) is not None:  # type: ignore[arg-type]
            case.exchange_locations = [g for g in case.exchange_locations if g != mbx.exchange_guid]
            model.touch(case)
        elif ref.kind is HoldKind.LEGACY and (legacy := model.legacy_holds.get(str(ref.ref))) is not None:
            legacy.mailboxes = [g for g in legacy.mailboxes if g != mbx.exchange_guid]
            model.touch(legacy)
        elif ref.kind is HoldKind.EXCLUSION and (org := model.retention_policies.get(ref.ref)) is not None:  # type: ignore[arg-type]
            org.exchange_location_exceptions = [
                g for g in org.exchange_location_exceptions if g != mbx.exchange_guid
            ]
            model.touch(org)
    h.in_place_holds = kept
    h.litigation_hold_enabled = litigation
    h.litigation_hold_date = None
    h.litigation_hold_owner = None
    h.litigation_hold_duration = None
    h.delay_hold_applied = h.delay_release_hold_applied = False
    h.delay_hold_expires = h.delay_release_hold_expires = None
