"""Entra ID directory transitions: users, the recycle bin, licences, group-based licensing.

Pure functions over ``TenantModel`` (see ``lifecycle.py`` for the conventions). Section numbers
refer to /work/shared/reference/exchange-online-lifecycle.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from orchestrator.sandbox.tenant.common import (
    LifecycleError,
    Refusal,
    check_new_sign_in_name,
    licensing_changed,
    purge_mailbox,
    reconnect_soft_deleted,
    require_user,
    soft_delete,
    to_recycle_bin,
)
from orchestrator.sandbox.tenant.holds import is_on_hold
from orchestrator.sandbox.tenant.model import AssignedLicense, MailboxState, TenantModel, User, UserState

__all__ = [
    "add_group_member",
    "assign_licenses",
    "create_user",
    "delete_user",
    "purge_user",
    "remove_group_member",
    "restore_user",
]


def create_user(
    model: TenantModel,
    now: datetime,
    *,
    upn: str,
    display_name: str,
    object_id: uuid.UUID | None = None,
    mail: str | None = None,
    dir_synced: bool = False,
    licenses: Sequence[AssignedLicense] = (),
) -> User:
    """New-MgUser (cloud) or a sync-created user. A licensed user gets a mailbox after a delay."""
    if not dir_synced:
        check_new_sign_in_name(model, upn)
    for lic in licenses:
        if lic.sku_id not in model.skus:
            raise LifecycleError(
                Refusal.SKU_NOT_FOUND, f"SKU '{lic.sku_id}' was not found.", sku=str(lic.sku_id)
            )
    user = User(
        object_id=object_id or model.new_guid(),
        user_principal_name=upn,
        display_name=display_name,
        mail=mail,
        dir_synced=dir_synced,
        created=now,
        licenses=list(licenses),
    )
    model.users[user.object_id] = user
    model.touch(user)
    licensing_changed(model, user, now)
    return user


def delete_user(model: TenantModel, user_id: uuid.UUID, now: datetime, *, by_sync: bool = False) -> None:
    """Soft-delete a user into the recycle bin (§1.2 "Deleting the user", §3 "Effect on the mailbox").

    Licensed mailbox → soft-deleted, or inactive if any hold applies (delay holds and org-wide
    retention included). A Disconnected mailbox (licence removed first) stays disconnected and
    invisible: no soft-deleted mailbox (KB 3158794, §1.2 "The licence matters"). A dir-synced
    user can only be deleted by sync (``by_sync``); Graph refuses it (§4 row 13).
    """
    user = require_user(model, user_id, UserState.ACTIVE)
    if user.dir_synced and not by_sync:
        raise LifecycleError(
            Refusal.DIR_SYNCED,
            "Unable to update the specified properties for on-premises mastered Directory Sync objects "
            "or objects currently undergoing migration.",
            identity=str(user_id),
        )
    mbx = model.mailbox_of_user(user_id)
    if mbx is not None and mbx.state is MailboxState.ACTIVE:
        soft_delete(model, mbx, now, by_remove=False)
    to_recycle_bin(model, user, now)


def restore_user(
    model: TenantModel, user_id: uuid.UUID, now: datetime, *, new_upn: str | None = None
) -> User:
    """Restore-MgDirectoryDeletedItem within 30 days (§3 "Recycle bin", KB 3158794).

    The restored user is cloud-only (dir_synced False, KB 3158794). Its soft-deleted or inactive
    mailbox reconnects if the user is licensed for Exchange or the mailbox needs no licence
    [inferred, §3]; otherwise the mailbox stays soft-deleted. A Disconnected mailbox stays
    disconnected until a licence is added (KB 3158794's order: restore, then license).
    """
    user = model.users.get(user_id)
    if user is None or user.state is not UserState.RECYCLE_BIN:
        raise LifecycleError(
            Refusal.NOT_IN_RECYCLE_BIN, f"Deleted item '{user_id}' was not found.", identity=str(user_id)
        )
    upn = new_upn or user.user_principal_name
    if any(
        u.object_id != user_id
        and u.state is UserState.ACTIVE
        and u.user_principal_name.lower() == upn.lower()
        for u in model.users.values()
    ):
        raise LifecycleError(
            Refusal.ALREADY_EXISTS, f"The user principal name '{upn}' is already used.", upn=upn
        )
    user.user_principal_name = upn
    user.state = UserState.ACTIVE
    user.deleted_at = None
    user.dir_synced = False
    model.touch(user)
    mbx = model.mailbox_of_user(user_id)
    if mbx is not None:
        mbx.is_dir_synced = False
        model.touch(mbx)
        if mbx.is_soft_deleted_kind and (not mbx.needs_license or model.has_exchange_license(user)):
            reconnect_soft_deleted(model, mbx, now)
    licensing_changed(model, user, now)
    return user


def purge_user(model: TenantModel, user_id: uuid.UUID, now: datetime) -> None:
    """Hard-delete a user from the recycle bin (§1.2 "Purging the Entra user does not purge the mailbox").

    A soft-deleted/inactive mailbox stays as it is with an empty ExternalDirectoryObjectId (an
    orphan). A Disconnected mailbox is lost (§1.2 "Licence removal"; B-PURGE "out of scope"),
    unless it is on hold [assumption: a held mailbox is never purged].
    """
    user = model.users.get(user_id)
    if user is None or user.state is not UserState.RECYCLE_BIN:
        raise LifecycleError(
            Refusal.NOT_IN_RECYCLE_BIN, f"Deleted item '{user_id}' was not found.", identity=str(user_id)
        )
    user.state = UserState.PURGED
    user.purged_at = now
    model.touch(user)
    mbx = model.mailbox_of_user(user_id)
    if mbx is None:
        return
    mbx.external_directory_object_id = None
    mbx.is_dir_synced = False
    model.touch(mbx)
    if mbx.state is MailboxState.DISCONNECTED and not is_on_hold(model, mbx):
        purge_mailbox(model, mbx, now)


def assign_licenses(
    model: TenantModel,
    user_id: uuid.UUID,
    now: datetime,
    *,
    add: Sequence[AssignedLicense] = (),
    remove: Sequence[uuid.UUID] = (),
) -> None:
    """Set-MgUserLicense. Removing the last Exchange licence disconnects the mailbox (30-day grace,
    §1.2 "Licence removal"); adding one reconnects a disconnected mailbox after the provisioning
    delay. A licence inherited from a group cannot be removed per user (§4 row 16).
    """
    user = require_user(model, user_id, UserState.ACTIVE)
    direct = {lic.sku_id for lic in user.licenses}
    for sku_id in remove:
        if sku_id not in direct:
            if any(
                lic.sku_id == sku_id for lic, group in model.effective_licenses(user) if group is not None
            ):
                raise LifecycleError(
                    Refusal.GROUP_LICENSE,
                    "User license is inherited from a group membership and it cannot be removed "
                    "directly from the user.",
                    sku=str(sku_id),
                )
            raise LifecycleError(
                Refusal.LICENSE_NOT_ASSIGNED, f"License '{sku_id}' is not assigned.", sku=str(sku_id)
            )
    for lic in add:
        if lic.sku_id not in model.skus:
            raise LifecycleError(
                Refusal.SKU_NOT_FOUND, f"SKU '{lic.sku_id}' was not found.", sku=str(lic.sku_id)
            )
    removed = set(remove)
    added = {lic.sku_id: lic for lic in add}
    kept = [lic for lic in user.licenses if lic.sku_id not in removed and lic.sku_id not in added]
    user.licenses = kept + [AssignedLicense(lic.sku_id, list(lic.disabled_plans)) for lic in add]
    model.touch(user)
    licensing_changed(model, user, now)


def add_group_member(model: TenantModel, group_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
    group = model.groups.get(group_id)
    if group is None:
        raise LifecycleError(Refusal.NOT_FOUND, f"Group '{group_id}' was not found.", identity=str(group_id))
    user = require_user(model, user_id, UserState.ACTIVE)
    if user_id not in group.members:
        group.members = [*group.members, user_id]
        model.touch(group)
        licensing_changed(model, user, now)


def remove_group_member(model: TenantModel, group_id: uuid.UUID, user_id: uuid.UUID, now: datetime) -> None:
    group = model.groups.get(group_id)
    if group is None or user_id not in group.members:
        raise LifecycleError(Refusal.NOT_FOUND, f"Member '{user_id}' was not found.", identity=str(user_id))
    group.members = [m for m in group.members if m != user_id]
    model.touch(group)
    user = model.users.get(user_id)
    if user is not None and user.state is UserState.ACTIVE:
        licensing_changed(model, user, now)
