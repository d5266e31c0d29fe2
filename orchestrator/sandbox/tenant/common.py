"""Shared pieces of the lifecycle: refusals, naming rules and the state primitives.

The public transitions (``directory.py``, ``mailboxes.py``, ``hold_changes.py``, ``restore.py``)
and the timers (``timers.py``) are built from these primitives so that, for instance, a soft
delete caused by deleting the user and one caused by ``Remove-Mailbox`` are the same code.
Section numbers refer to /work/shared/reference/exchange-online-lifecycle.md.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta

from orchestrator.sandbox.tenant.holds import is_on_hold
from orchestrator.sandbox.tenant.model import (
    LICENSE_GRACE_PERIOD,
    SOFT_DELETE_PERIOD,
    DomainAuthentication,
    Mailbox,
    MailboxState,
    RecipientTypeDetails,
    RestoreStatus,
    TenantModel,
    User,
    UserState,
)


class Refusal(enum.StrEnum):
    """Why a transition was refused; each maps to one error factory in ``cmdlets/errors.py``."""

    NOT_FOUND = "NotFound"
    NOT_SOFT_DELETED = "NotSoftDeleted"
    ON_HOLD = "OnHold"  # §4 row 5
    DIR_SYNCED = "DirSynced"  # §4 row 3 "outside the writing scope"
    SOFT_DELETED_USER_EXISTS = "SoftDeletedUserExists"  # §4 row 2
    GROUP_LICENSE = "GroupLicense"  # §4 row 16
    LICENSE_NOT_ASSIGNED = "LicenseNotAssigned"
    SKU_NOT_FOUND = "SkuNotFound"
    FEDERATED_DOMAIN = "FederatedDomain"  # §4 row 6
    DOMAIN_NOT_ACCEPTED = "DomainNotAccepted"
    ALREADY_EXISTS = "AlreadyExists"
    SOFT_DELETE_PERIOD_RUNNING = "SoftDeletePeriodRunning"  # §1.2 "Recovering" (EDOI non-empty)
    SOFT_DELETE_PERIOD_EXPIRED = "SoftDeletePeriodExpired"  # §2.6 "Recovers within 30 days"
    AUTO_EXPANDING_ARCHIVE = "AutoExpandingArchive"  # §1.2 [P-LEARN, P-REC]
    NOT_IN_RECYCLE_BIN = "NotInRecycleBin"
    WINDOWS_LIVE_ID_REQUIRED = "WindowsLiveIdRequired"  # §2.6
    PUBLIC_FOLDER_SWITCH = "PublicFolderSwitch"  # §2.3 -PublicFolder required for PF mailboxes
    NOT_PUBLIC_FOLDER = "NotPublicFolder"
    HOLD_NOT_FOUND = "HoldNotFound"
    HOLD_STILL_EXISTS = "HoldStillExists"  # Set-Mailbox -RemoveOrphanedHolds on a live hold (§4 "Also")
    NOT_INACTIVE = "NotInactive"
    TOO_MANY_REQUESTS = "TooManyRequests"  # restore requests: 10 names per mailbox (§2.7)
    INVALID_STATE = "InvalidState"


class LifecycleError(Exception):
    """A refused transition. ``detail`` carries values the error text needs (identity, names)."""

    def __init__(self, refusal: Refusal, message: str, **detail: object) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message
        self.detail = detail


# --------------------------------------------------------------------------- naming helpers


def _org_ou(model: TenantModel) -> str:
    prefix = model.tenant.server_prefix
    return (
        f"OU={model.tenant.organization},OU=Microsoft Exchange Hosted Organizations,"
        f"DC={prefix}A001,DC=PROD,DC=OUTLOOK,DC=COM"
    )


def active_dn(model: TenantModel, name: str) -> str:
    return f"CN={name},{_org_ou(model)}"


def soft_deleted_dn(model: TenantModel, mbx: Mailbox, taken: set[str] | None = None) -> str:
    """``CN=<Name>,OU=Soft Deleted Objects,...``; a name already used there gets the Guid appended.

    [Assumption] The reference does not give the DN of soft-deleted mailboxes; DNs must stay
    unique because purging "by ExchangeGuid (or DN)" is the documented way out of ambiguity (§4 row 1).
    ``taken`` (lower-case DNs in use) saves the scan when the caller keeps one (fixture loading).
    """
    base = f"OU=Soft Deleted Objects,{_org_ou(model)}"
    candidate = f"CN={mbx.name},{base}"
    if taken is None:
        taken = {
            m.distinguished_name.lower()
            for m in model.mailboxes.values()
            if m.exchange_guid != mbx.exchange_guid and m.state is not MailboxState.PURGED
        }
    if candidate.lower() in taken:
        candidate = f"CN={mbx.name}{mbx.guid.hex},{base}"
    return candidate


def legacy_exchange_dn(guid: uuid.UUID, alias: str) -> str:
    return (
        "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
        f"cn={guid.hex}-{alias[:8].lower()}"
    )


def require_user(model: TenantModel, user_id: uuid.UUID, *states: UserState) -> User:
    user = model.users.get(user_id)
    if user is None or (states and user.state not in states):
        raise LifecycleError(Refusal.NOT_FOUND, f"User '{user_id}' was not found.", identity=str(user_id))
    return user


def require_mailbox(model: TenantModel, exchange_guid: uuid.UUID) -> Mailbox:
    mbx = model.mailboxes.get(exchange_guid)
    if mbx is None or mbx.state is MailboxState.PURGED:
        raise LifecycleError(
            Refusal.NOT_FOUND, f"Mailbox '{exchange_guid}' was not found.", identity=str(exchange_guid)
        )
    return mbx


def check_new_sign_in_name(model: TenantModel, upn: str) -> None:
    """A new cloud sign-in name must be in an accepted, managed domain and unused (§4 row 6)."""
    domain = model.domain_of(upn)
    if "@" not in upn or domain is None:
        raise LifecycleError(
            Refusal.DOMAIN_NOT_ACCEPTED, f"The domain of '{upn}' is not an accepted domain.", upn=upn
        )
    if domain.authentication is DomainAuthentication.FEDERATED:
        raise LifecycleError(
            Refusal.FEDERATED_DOMAIN,
            "The parameters passed to the cmdlet represent a managed account, which doesn't match the "
            "namespace state, which is federated.",
            upn=upn,
        )
    if any(
        u.user_principal_name.lower() == upn.lower() and u.state is not UserState.PURGED
        for u in model.users.values()
    ):
        raise LifecycleError(
            Refusal.ALREADY_EXISTS, f"The user principal name '{upn}' is already used.", upn=upn
        )


def check_new_mailbox_name(model: TenantModel, name: str, alias: str) -> None:
    for m in model.mailboxes.values():
        if m.state in (MailboxState.ACTIVE, MailboxState.DISCONNECTED) and (
            m.name.lower() == name.lower() or m.alias.lower() == alias.lower()
        ):
            raise LifecycleError(
                Refusal.ALREADY_EXISTS, f"The name '{name}' or alias '{alias}' is already used.", name=name
            )


# --------------------------------------------------------------------------- state primitives


def to_recycle_bin(model: TenantModel, user: User, now: datetime) -> None:
    user.state = UserState.RECYCLE_BIN
    user.deleted_at = now
    user.mailbox_provision_due = None
    model.touch(user)
    model.schedule(now + SOFT_DELETE_PERIOD)


def licensing_changed(model: TenantModel, user: User, now: datetime) -> None:
    """Apply the effect of the user's (possibly changed) Exchange licensing on its mailbox."""
    licensed = model.has_exchange_license(user)
    mbx = model.mailbox_of_user(user.object_id)
    delay = timedelta(seconds=model.knobs.provisioning_delay_s)
    if licensed:
        if mbx is None:
            if user.mailbox_provision_due is None:
                user.mailbox_provision_due = now + delay
                model.touch(user)
                model.schedule(user.mailbox_provision_due)
        elif mbx.state is MailboxState.ACTIVE and mbx.license_grace_until is not None:
            mbx.license_grace_until = None
            model.touch(mbx)
        elif mbx.state is MailboxState.DISCONNECTED and mbx.reconnect_due is None:
            mbx.reconnect_due = now + delay
            model.touch(mbx)
            model.schedule(mbx.reconnect_due)
        return
    if user.mailbox_provision_due is not None:
        user.mailbox_provision_due = None
        model.touch(user)
    if mbx is None:
        return
    if mbx.state is MailboxState.DISCONNECTED and mbx.reconnect_due is not None:
        mbx.reconnect_due = None
        model.touch(mbx)
    elif mbx.state is MailboxState.ACTIVE and mbx.needs_license and mbx.license_grace_until is None:
        disconnect_mailbox(model, mbx, now)
        user.previous_recipient_type_details = str(mbx.recipient_type_details)
        model.touch(user)


def disconnect_mailbox(model: TenantModel, mbx: Mailbox, now: datetime) -> None:
    """Licence gone: the mailbox is disconnected for the 30-day grace (§1.1, [MICHEV], [X-LIC])."""
    mbx.state = MailboxState.DISCONNECTED
    mbx.when_disconnected = now
    mbx.reconnect_due = None
    mbx.license_grace_until = None
    model.touch(mbx)
    model.schedule(now + LICENSE_GRACE_PERIOD)


def reconnect_disconnected(model: TenantModel, mbx: Mailbox) -> None:
    mbx.state = MailboxState.ACTIVE
    mbx.when_disconnected = None
    mbx.reconnect_due = None
    model.touch(mbx)
    if mbx.user_id is not None and (user := model.users.get(mbx.user_id)) is not None:
        user.previous_recipient_type_details = None
        model.touch(user)


def soft_delete(model: TenantModel, mbx: Mailbox, now: datetime, *, by_remove: bool) -> None:
    """Active → SoftDeleted, or Inactive if any hold applies at this moment (§1.2)."""
    mbx.state = MailboxState.INACTIVE if is_on_hold(model, mbx) else MailboxState.SOFT_DELETED
    mbx.when_soft_deleted = now
    mbx.is_soft_deleted_by_remove = by_remove
    mbx.is_soft_deleted_by_disable = False
    mbx.license_grace_until = None
    mbx.distinguished_name = soft_deleted_dn(model, mbx)
    model.touch(mbx)
    model.schedule(now + SOFT_DELETE_PERIOD)


def reconnect_soft_deleted(model: TenantModel, mbx: Mailbox, now: datetime) -> None:
    mbx.state = MailboxState.ACTIVE
    mbx.when_soft_deleted = None
    mbx.is_soft_deleted_by_remove = False
    mbx.is_soft_deleted_by_disable = False
    mbx.was_inactive_mailbox = False
    mbx.inactive_mailbox_retire_time = None
    mbx.distinguished_name = active_dn(model, mbx.name)
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    mbx.external_directory_object_id = user.object_id if user else None
    if mbx.needs_license and (user is None or not model.has_exchange_license(user)):
        mbx.license_grace_until = now + LICENSE_GRACE_PERIOD
        model.schedule(mbx.license_grace_until)
    model.touch(mbx)


def purge_mailbox(model: TenantModel, mbx: Mailbox, now: datetime) -> None:
    """The final state (§1.1 Purged). The object stays as a tombstone so it can never reappear."""
    mbx.state = MailboxState.PURGED
    mbx.purged_at = now
    mbx.external_directory_object_id = None
    mbx.reconnect_due = None
    mbx.license_grace_until = None
    model.touch(mbx)
    for req in model.restore_requests.values():
        if req.source_exchange_guid == mbx.exchange_guid and req.status.value in (
            "Queued",
            "InProgress",
            "Suspended",
        ):
            req.status = RestoreStatus.FAILED
            req.failure_reason = "SourceMailboxPurged"
            model.touch(req)


def check_public_folder_switch(mbx: Mailbox, public_folder: bool) -> None:
    is_pf = mbx.recipient_type_details is RecipientTypeDetails.PUBLIC_FOLDER_MAILBOX
    if is_pf and not public_folder:
        raise LifecycleError(
            Refusal.PUBLIC_FOLDER_SWITCH, "Use -PublicFolder for public folder mailboxes.", identity=mbx.name
        )
    if public_folder and not is_pf:
        raise LifecycleError(
            Refusal.NOT_PUBLIC_FOLDER, f"'{mbx.name}' is not a public folder mailbox.", identity=mbx.name
        )
