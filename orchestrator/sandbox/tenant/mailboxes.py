"""Exchange mailbox transitions: create, soft delete, purge, undo (§2.3, §2.6 of the reference).

Pure functions over ``TenantModel`` (see ``lifecycle.py`` for the conventions).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from orchestrator.sandbox.tenant.common import (
    LifecycleError,
    Refusal,
    active_dn,
    check_new_mailbox_name,
    check_new_sign_in_name,
    check_public_folder_switch,
    legacy_exchange_dn,
    licensing_changed,
    purge_mailbox,
    reconnect_soft_deleted,
    require_mailbox,
    soft_delete,
    to_recycle_bin,
)
from orchestrator.sandbox.tenant.holds import is_on_hold
from orchestrator.sandbox.tenant.model import (
    SOFT_DELETE_PERIOD,
    Holds,
    Mailbox,
    MailboxState,
    RecipientTypeDetails,
    TenantModel,
    User,
    UserState,
)

__all__ = [
    "new_mailbox",
    "permanently_delete_mailbox",
    "remove_mailbox",
    "undo_soft_deleted_mailbox",
]


def new_mailbox(
    model: TenantModel,
    now: datetime,
    *,
    user: User | None,
    name: str,
    alias: str,
    display_name: str,
    primary_smtp_address: str,
    recipient_type_details: RecipientTypeDetails = RecipientTypeDetails.USER_MAILBOX,
    exchange_guid: uuid.UUID | None = None,
) -> Mailbox:
    """Create an active mailbox (licence provisioning, New-Mailbox)."""
    check_new_mailbox_name(model, name, alias)
    guid = model.new_guid()
    xguid = exchange_guid or model.new_guid()
    addresses = [f"SMTP:{primary_smtp_address}"]
    onms = f"{alias}@{model.tenant.organization}"
    if onms.lower() != primary_smtp_address.lower():
        addresses.append(f"smtp:{onms}")
    mbx = Mailbox(
        exchange_guid=xguid,
        guid=guid,
        name=name,
        alias=alias,
        display_name=display_name,
        distinguished_name=active_dn(model, name),
        legacy_exchange_dn=legacy_exchange_dn(guid, alias),
        primary_smtp_address=primary_smtp_address,
        email_addresses=addresses,
        user_principal_name=user.user_principal_name if user else primary_smtp_address,
        recipient_type_details=recipient_type_details,
        state=MailboxState.ACTIVE,
        user_id=user.object_id if user else None,
        external_directory_object_id=user.object_id if user else None,
        is_dir_synced=user.dir_synced if user else False,
        when_created=now,
        holds=Holds(),
    )
    model.add_mailbox(mbx)
    return mbx


def remove_mailbox(
    model: TenantModel, exchange_guid: uuid.UUID, now: datetime, *, public_folder: bool = False
) -> None:
    """Remove-Mailbox without -PermanentlyDelete: soft-delete and delete the user too (§1.2, §2.3 [X-DEL])."""
    mbx = require_mailbox(model, exchange_guid)
    if mbx.state is not MailboxState.ACTIVE:
        raise LifecycleError(Refusal.NOT_FOUND, f"Mailbox '{mbx.name}' was not found.", identity=mbx.name)
    check_public_folder_switch(mbx, public_folder)
    if mbx.is_dir_synced:
        raise LifecycleError(Refusal.DIR_SYNCED, "outside the writing scope", identity=mbx.name)
    soft_delete(model, mbx, now, by_remove=True)
    if (
        mbx.user_id is not None
        and (user := model.users.get(mbx.user_id)) is not None
        and user.state is UserState.ACTIVE
    ):
        to_recycle_bin(model, user, now)


def permanently_delete_mailbox(
    model: TenantModel, exchange_guid: uuid.UUID, now: datetime, *, public_folder: bool = False
) -> None:
    """Remove-Mailbox -PermanentlyDelete (§2.3, guards from §1.6 and §4 rows 2, 3, 5).

    Guard order: soft-deleted kind; public folder switch; no hold (inactive mailboxes are held);
    not dir-synced; the Entra user not in the recycle bin [P365].
    """
    mbx = require_mailbox(model, exchange_guid)
    if not mbx.is_soft_deleted_kind:
        raise LifecycleError(
            Refusal.NOT_SOFT_DELETED, f"'{mbx.name}' is not a soft-deleted mailbox.", identity=mbx.name
        )
    check_public_folder_switch(mbx, public_folder)
    if mbx.state is MailboxState.INACTIVE or is_on_hold(model, mbx):
        raise LifecycleError(
            Refusal.ON_HOLD,
            "Mailbox is placed on Litigation Hold or In-Place Hold and cannot be deleted",
            identity=mbx.name,
        )
    if mbx.is_dir_synced:
        raise LifecycleError(Refusal.DIR_SYNCED, "outside the writing scope", identity=mbx.name)
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    if user is not None and user.state is UserState.RECYCLE_BIN:
        raise LifecycleError(
            Refusal.SOFT_DELETED_USER_EXISTS, "there is a soft deleted user", identity=mbx.name
        )
    purge_mailbox(model, mbx, now)


def undo_soft_deleted_mailbox(
    model: TenantModel,
    exchange_guid: uuid.UUID,
    now: datetime,
    *,
    windows_live_id: str | None = None,
    name: str | None = None,
    display_name: str | None = None,
    public_folder: bool = False,
) -> Mailbox:
    """Undo-SoftDeletedMailbox (§2.6): reconnect to the original user within 30 days.

    If the original user is in the recycle bin it is restored with the mailbox. If it is gone
    (purged) or was not deleted with the mailbox, ``windows_live_id`` (and, at the cmdlet, a
    password) is required: a new cloud user is created and the old id kept as a proxy address.
    """
    mbx = require_mailbox(model, exchange_guid)
    if not mbx.is_soft_deleted_kind:
        raise LifecycleError(
            Refusal.NOT_SOFT_DELETED, f"'{mbx.name}' is not a soft-deleted mailbox.", identity=mbx.name
        )
    check_public_folder_switch(mbx, public_folder)
    if mbx.when_soft_deleted is None or now - mbx.when_soft_deleted >= SOFT_DELETE_PERIOD:
        raise LifecycleError(
            Refusal.SOFT_DELETE_PERIOD_EXPIRED, "The soft-delete period has passed.", identity=mbx.name
        )
    if mbx.state is MailboxState.INACTIVE and mbx.auto_expanding_archive:
        raise LifecycleError(Refusal.AUTO_EXPANDING_ARCHIVE, "auto-expanding archive", identity=mbx.name)
    new_name = name or mbx.name
    for m in model.mailboxes.values():
        if m.state in (MailboxState.ACTIVE, MailboxState.DISCONNECTED) and m.name.lower() == new_name.lower():
            raise LifecycleError(
                Refusal.ALREADY_EXISTS, f"The name '{new_name}' is already used.", name=new_name
            )
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    pf = mbx.recipient_type_details is RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX
    if not pf:
        if user is not None and user.state is UserState.RECYCLE_BIN and windows_live_id is None:
            user.state = UserState.ACTIVE
            user.deleted_at = None
            user.dir_synced = False
            model.touch(user)
        else:
            if windows_live_id is None:
                raise LifecycleError(
                    Refusal.WINDOWS_LIVE_ID_REQUIRED,
                    "The original user no longer exists; specify WindowsLiveID and Password.",
                    identity=mbx.name,
                )
            check_new_sign_in_name(model, windows_live_id)
            old_upn = mbx.user_principal_name
            user = User(
                object_id=model.new_guid(),
                user_principal_name=windows_live_id,
                display_name=display_name or mbx.display_name,
                mail=windows_live_id,
                created=now,
            )
            model.users[user.object_id] = user
            model.touch(user)
            model.link(mbx, user.object_id)
            mbx.user_principal_name = windows_live_id
            mbx.primary_smtp_address = windows_live_id
            others = [a for a in mbx.email_addresses if not a.startswith("SMTP:")]
            mbx.email_addresses = [f"SMTP:{windows_live_id}", f"smtp:{old_upn}", *others]
    mbx.name = new_name
    if display_name:
        mbx.display_name = display_name
    mbx.is_dir_synced = False
    reconnect_soft_deleted(model, mbx, now)
    if user is not None:
        licensing_changed(model, user, now)
    return mbx
