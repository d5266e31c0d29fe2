"""Exchange Online write cmdlets: Remove-Mailbox, Undo-SoftDeletedMailbox, New-Mailbox -InactiveMailbox.

Each cmdlet resolves its identity among the mailbox states the real cmdlet can see, checks the
app's RBAC, asks ShouldProcess (``write_support``) and calls one pure transition of
``tenant.lifecycle``; refusals become the service's error records (``cmdlets.errors``), written
as non-terminating errors as the EXO V3 module does. Set-Mailbox's hold parameters are at the
end of this module: they share its identity rules.

Section numbers refer to /work/shared/reference/exchange-online-lifecycle.md; every choice the
reference leaves open is in docs/sandbox/cmdlets-write.md "Assumptions".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet
from orchestrator.sandbox.cmdlets.write_support import (
    ACTIVE,
    ACTIVE_OR_SOFT,
    RECIPIENT_TASK,
    SOFT,
    LifecycleError,
    Purges,
    exo_refusal,
    explicit_parameters,
    mailbox_object,
    missing_mandatory,
    not_implemented,
    parse_guid,
    rbac_refusal,
    refuse,
    resolve_one,
    role_allows,
    run_transition,
)
from orchestrator.sandbox.runtime import CmdletCall, CommandRuntime
from orchestrator.sandbox.tenant import lifecycle
from orchestrator.sandbox.tenant.model import MailboxState, TenantModel

__all__ = [
    "LICENSE_WARNING",
    "PRESERVATION_LOCK_TEXT",
    "new_mailbox",
    "remove_mailbox",
    "set_mailbox",
    "undo_soft_deleted_mailbox",
]

#: [assumed text] The reference says only that "a warning says to license it within 30 days".
LICENSE_WARNING = (
    "The mailbox was created without a license. Assign an Exchange Online license to the user "
    "within 30 days, or the mailbox will be disabled."
)


def _rbac_ok(session: SessionState, runtime: CommandRuntime, model: TenantModel, call: CmdletCall) -> bool:
    parameter = rbac_refusal(model, call)
    if parameter is None:
        return True
    runtime.write_error(errors.rbac_parameter(session, call.name, parameter))
    return False


# --------------------------------------------------------------------------- Remove-Mailbox


@cmdlet("Remove-Mailbox", requires="exo", destructive=True)
def remove_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Soft delete (and delete the user, §1.2/§2.3), or ``-PermanentlyDelete`` a soft-deleted one.

    Identity: without -PermanentlyDelete among active mailboxes; with it among active and
    soft-deleted ones, so a name an active mailbox shares is ambiguous (§4 row 1). Public folder
    mailboxes are seen only with -PublicFolder (and only they are, then). A pipeline that purges
    more than one mailbox needs the role to grant the internal ``Disconnect`` parameter (§4 row 4).
    """
    name = "Remove-Mailbox"
    permanently = call.switch("PermanentlyDelete")
    public_folder = call.switch("PublicFolder")
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        unsupported = [p for p in ("Migration", "RemoveCNFPublicFolderMailboxPermanently") if p in call.bound]
        if unsupported:
            not_implemented(runtime, name, unsupported)
            return
        states = ACTIVE_OR_SOFT if permanently else ACTIVE
        mbx = resolve_one(
            session, runtime, model, name, call.bound.get("Identity"), states, public_folder=public_folder
        )
        if mbx is None:
            return
        if (
            permanently
            and call.piped
            and Purges.next(call) > 1
            and not role_allows(model, name, "Disconnect")
        ):
            runtime.write_error(errors.rbac_parameter(session, name, "Disconnect"))
            return
        now = tenant.now()
        guid = mbx.exchange_guid
        ident = mbx.name if mbx.state is MailboxState.ACTIVE else f"Soft Deleted Objects\\{mbx.name}"
        if permanently:
            description = (
                f'Permanently removing mailbox Identity:"{ident}". The mailbox and its content will be '
                "deleted and can't be recovered."
            )
        else:
            description = (
                f'Removing mailbox Identity:"{ident}" will remove the Active Directory user object and mark '
                "the mailbox and the archive (if present) in the database for removal."
            )
        transition = lifecycle.permanently_delete_mailbox if permanently else lifecycle.remove_mailbox
        try:
            run_transition(
                model,
                call,
                lambda m: transition(m, guid, now, public_folder=public_folder),
                high_impact=True,
                force_suppresses=True,
                command=name,
                description=description,
            )
        except LifecycleError as exc:
            refuse(session, runtime, name, exc)


# --------------------------------------------------------------------------- Undo-SoftDeletedMailbox


@cmdlet("Undo-SoftDeletedMailbox", requires="exo")
def undo_soft_deleted_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Reconnect a soft-deleted mailbox to its original user within 30 days (§2.6).

    Refused for inactive mailboxes (recover those with New-Mailbox -InactiveMailbox or by
    restoring the user, §1.2 "Recovering"); a new -WindowsLiveID needs a -Password; if the original
    user is gone or was not deleted with the mailbox, -WindowsLiveID and -Password are required.
    """
    name = "Undo-SoftDeletedMailbox"
    public_folder = call.switch("PublicFolder")
    live_id = call.bound.get("WindowsLiveID")
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        mbx = resolve_one(
            session,
            runtime,
            model,
            name,
            call.bound.get("SoftDeletedObject"),
            SOFT,
            public_folder=public_folder,
        )
        if mbx is None:
            return
        if mbx.state is MailboxState.INACTIVE:
            exo_refusal(
                session,
                runtime,
                name,
                f"The mailbox '{mbx.name}' is an inactive mailbox and can't be restored with "
                "Undo-SoftDeletedMailbox. Recover it with New-Mailbox -InactiveMailbox, or restore its user "
                "account.",
                exception_type=RECIPIENT_TASK,
                target=mbx.name,
            )
            return
        if live_id is not None and call.bound.get("Password") is None:
            raise missing_mandatory(name, ["Password"])
        now = tenant.now()
        guid = mbx.exchange_guid
        try:
            result = run_transition(
                model,
                call,
                lambda m: lifecycle.undo_soft_deleted_mailbox(
                    m,
                    guid,
                    now,
                    windows_live_id=str(live_id) if live_id is not None else None,
                    name=call.bound.get("Name"),
                    display_name=call.bound.get("DisplayName"),
                    public_folder=public_folder,
                ),
                high_impact=False,
                command=name,
                description=f'Restoring soft-deleted mailbox "{mbx.name}".',
            )
        except LifecycleError as exc:
            if exc.refusal is lifecycle.Refusal.WINDOWS_LIVE_ID_REQUIRED:
                raise missing_mandatory(name, ["WindowsLiveID", "Password"]) from exc
            refuse(session, runtime, name, exc)
            return
        if result is not None:
            runtime.write_output(mailbox_object(model, result, now))


# --------------------------------------------------------------------------- New-Mailbox -InactiveMailbox

_NAME_BAD = re.compile(r'[\\/"\[\]:|<>+=;,?*@]')


def _default_domain(model: TenantModel) -> str:
    for domain in model.domains.values():
        if domain.is_default:
            return domain.name
    return model.tenant.organization


@cmdlet("New-Mailbox", requires="exo")
def new_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """``New-Mailbox -InactiveMailbox``: recover a soft-deleted/inactive mailbox to a new user (§2.5).

    Decided from the parameters present (the binder picks the MicrosoftOnlineServicesID set when
    that id is given). -Password is required (the parameter table says so, §2.5); without
    -MicrosoftOnlineServicesID the sign-in id is ``<alias>@<default domain>``. Other forms of
    New-Mailbox are not simulated.
    """
    name = "New-Mailbox"
    if "InactiveMailbox" not in call.bound:
        not_implemented(runtime, name, [p for p in explicit_parameters(call) if p != "Name"] or ["Name"])
        return
    if call.bound.get("Password") is None:
        raise missing_mandatory(name, ["Password"])
    new_name = str(call.bound.get("Name") or "")
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        if len(new_name) > 64 or _NAME_BAD.search(new_name):
            exo_refusal(
                session,
                runtime,
                name,
                f"The name '{new_name}' contains characters that aren't allowed or is longer than 64 "
                "characters.",
                exception_type="Microsoft.Exchange.Management.Tasks.UserInputInvalidException",
                target=new_name,
            )
            return
        mbx = resolve_one(session, runtime, model, name, call.bound.get("InactiveMailbox"), SOFT)
        if mbx is None:
            return
        alias = str(call.bound.get("Alias") or re.sub(r"[^A-Za-z0-9._-]", "", new_name) or "mailbox")
        mosid = call.bound.get("MicrosoftOnlineServicesID")
        sign_in = str(mosid) if mosid is not None else f"{alias}@{_default_domain(model)}"
        display = (
            call.bound.get("DisplayName")
            or " ".join(str(p) for p in (call.bound.get("FirstName"), call.bound.get("LastName")) if p)
            or new_name
        )
        now = tenant.now()
        guid = mbx.exchange_guid
        try:
            result = run_transition(
                model,
                call,
                lambda m: lifecycle.recover_inactive_mailbox(
                    m,
                    guid,
                    now,
                    name=new_name,
                    microsoft_online_services_id=sign_in,
                    alias=alias if "Alias" in call.bound else None,
                    display_name=str(display),
                ),
                high_impact=False,
                command=name,
                description=f'Creating mailbox "{new_name}" from mailbox "{mbx.name}".',
            )
        except LifecycleError as exc:
            refuse(session, runtime, name, exc)
            return
        if result is not None:
            runtime.write_warning(LICENSE_WARNING)
            runtime.write_output(mailbox_object(model, result, now))


# --------------------------------------------------------------------------- Set-Mailbox (holds)

#: Parameters Set-Mailbox simulates (identity and ShouldProcess aside), all hold-related (§2.9).
_HOLD_PARAMETERS = (
    "LitigationHoldEnabled",
    "LitigationHoldOwner",
    "LitigationHoldDuration",
    "RemoveDelayHoldApplied",
    "RemoveDelayReleaseHoldApplied",
    "ExcludeFromOrgHolds",
    "ExcludeFromAllOrgHolds",
    "RemoveComplianceTagHoldApplied",
    "ProvideConsent",
    "RecalculateInactiveMailbox",
)
_FRAME = ("Identity", "InactiveMailbox", "Force")
_INACTIVE_ONLY = ("ExcludeFromOrgHolds", "ExcludeFromAllOrgHolds", "RecalculateInactiveMailbox")


def _duration_days(value: object) -> int | None:
    """``-LitigationHoldDuration`` is ``Unlimited`` or a number of days."""
    if value is None or str(value).lower() == "unlimited":
        return None
    return int(str(value))


@cmdlet("Set-Mailbox", requires="exo")
def set_mailbox(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """The hold parameters of Set-Mailbox (§2.9) and their consequences (§1.2 "Delay holds").

    With -InactiveMailbox the identity is looked up among inactive mailboxes only, without it
    among active ones (so the wrong switch gives "couldn't be found", §4 row 7). Removing a hold
    stamps both delay holds for 30 days; when an inactive mailbox's last hold goes it becomes
    formerly inactive (``lifecycle``). Other Set-Mailbox parameters are not simulated; on a
    dir-synced mailbox they fail as the service does (the DualWrite error, §4 row 12).
    """
    name = "Set-Mailbox"
    others = [p for p in explicit_parameters(call) if p not in _HOLD_PARAMETERS and p not in _FRAME]
    inactive = call.switch("InactiveMailbox")
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        states = frozenset({MailboxState.INACTIVE}) if inactive else ACTIVE
        mbx = resolve_one(session, runtime, model, name, call.bound.get("Identity"), states)
        if mbx is None:
            return
        if others:
            if mbx.is_dir_synced:  # §4 row 12: directory attributes of a synced object are on-premises'
                runtime.write_error(errors.dirsync_dualwrite(session, name, mbx.name))
            else:
                not_implemented(runtime, name, others)
            return
        only_inactive = [
            p for p in _INACTIVE_ONLY if p in call.bound and (call.switch(p) or p == "ExcludeFromOrgHolds")
        ]
        if only_inactive and not inactive:
            exo_refusal(
                session,
                runtime,
                name,
                f"The {only_inactive[0]} parameter can only be used with inactive mailboxes. Use the "
                "InactiveMailbox switch and identify the mailbox by DistinguishedName or ExchangeGuid.",
                target=mbx.name,
            )
            return
        if (
            call.switch("RemoveComplianceTagHoldApplied")
            and not inactive
            and not call.switch("ProvideConsent")
        ):
            exo_refusal(
                session,
                runtime,
                name,
                "Removing ComplianceTagHoldApplied from an active mailbox permanently allows deletion of "
                "items with retention labels. Specify the ProvideConsent switch to confirm.",
                target=mbx.name,
            )
            return
        now = tenant.now()
        guid = mbx.exchange_guid
        ops = _hold_operations(call, model, guid, now)
        if isinstance(ops, str):
            exo_refusal(session, runtime, name, ops, target=mbx.name)
            return

        def apply(m: TenantModel) -> None:
            for op in ops:
                op(m)

        try:
            run_transition(
                model,
                call,
                apply,
                high_impact=False,
                command=name,
                description=f'Setting mailbox Identity:"{mbx.name}".',
            )
        except LifecycleError as exc:
            refuse(session, runtime, name, exc)


def _hold_operations(
    call: CmdletCall, model: TenantModel, guid: uuid.UUID, now: datetime
) -> list[Callable[[TenantModel], None]] | str:
    """The transitions the bound parameters ask for, in a fixed order; a str is a refusal text."""
    ops: list[Callable[[TenantModel], None]] = []
    bound = call.bound
    if (
        "LitigationHoldEnabled" in bound
        or "LitigationHoldDuration" in bound
        or "LitigationHoldOwner" in bound
    ):
        mbx = model.mailboxes[guid]
        enabled = bool(bound.get("LitigationHoldEnabled", mbx.holds.litigation_hold_enabled))
        try:
            days = _duration_days(bound.get("LitigationHoldDuration"))
        except ValueError:
            return f"'{bound.get('LitigationHoldDuration')}' isn't a valid LitigationHoldDuration."
        owner = bound.get("LitigationHoldOwner")
        ops.append(
            lambda m: lifecycle.set_litigation_hold(
                m, guid, now, enabled=enabled, owner=str(owner) if owner else None, duration_days=days
            )
        )
    if call.switch("RemoveComplianceTagHoldApplied"):
        ops.append(lambda m: lifecycle.remove_compliance_tag_hold(m, guid, now))
    for value in _list(bound.get("ExcludeFromOrgHolds")):
        policy = parse_guid(value)
        if policy is None:
            return (
                f"'{value}' isn't a valid retention policy GUID. Specify the GUID without prefix or suffix."
            )
        locked = model.retention_policies.get(policy)
        if locked is not None and locked.preservation_lock:
            return PRESERVATION_LOCK_TEXT.format(name=locked.name)
        ops.append(_excluder(guid, policy, now))
    if call.switch("ExcludeFromAllOrgHolds"):
        for pol in sorted(model.retention_policies.values(), key=lambda p: p.name.lower()):
            if pol.exchange_location_all and not pol.preservation_lock:
                ops.append(_excluder(guid, pol.guid, now))
    delay, release = call.switch("RemoveDelayHoldApplied"), call.switch("RemoveDelayReleaseHoldApplied")
    if delay or release:
        ops.append(lambda m: lifecycle.clear_delay_holds(m, guid, now, delay=delay, release=release))
    if call.switch("RecalculateInactiveMailbox"):
        ops.append(lambda m: lifecycle.recalculate_inactive(m, guid, now))
    return ops


def _excluder(guid: uuid.UUID, policy: uuid.UUID, now: datetime) -> Callable[[TenantModel], None]:
    return lambda m: lifecycle.exclude_from_org_hold(m, guid, policy, now)


def _list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


#: [assumed text] Preservation Lock: "the policy can't be reduced or removed" (§2.12).
PRESERVATION_LOCK_TEXT = (
    'The policy "{name}" has Preservation Lock enabled (RestrictiveRetention). Its locations can\'t be '
    "removed and mailboxes can't be excluded from it."
)
