"""Mailbox restore requests: New-, Get-, Get-...Statistics, Resume-, Remove-MailboxRestoreRequest.

A restore request copies a soft-deleted, inactive or disconnected mailbox's content into an active
one; the source stays where it is (§1.2 "three ways back", §2.7). Requests live in the tenant and
progress over *simulated* time (``tenant.restore`` + timers): Queued, then InProgress with a
linear PercentComplete, then Completed, or Failed when it starts if the source LegacyExchangeDN
is neither the target's nor one of its ``X500:`` proxies and -AllowLegacyDNMismatch was not given
(§2.7, §4 "Also relevant"; the failure text is ours, see docs/sandbox/cmdlets-write.md).

Identities are ``<target alias>\\<request name>`` (§2.8) or the request GUID; names default to
MailboxRestore, MailboxRestore1 ... MailboxRestore9 per target mailbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.cmdlets.registry import SessionState, cmdlet
from orchestrator.sandbox.cmdlets.write_support import (
    ACTIVE,
    SOFT,
    LifecycleError,
    exo_refusal,
    find_mailboxes,
    identity_text,
    parse_guid,
    rbac_refusal,
    refuse,
    resolve_one,
    run_transition,
)
from orchestrator.sandbox.runtime import (
    CmdletCall,
    CommandRuntime,
    ErrorCategory,
    ErrorRecord,
    PSObject,
    PSTerminatingError,
)
from orchestrator.sandbox.tenant import lifecycle
from orchestrator.sandbox.tenant.model import (
    Mailbox,
    MailboxState,
    RestoreRequest,
    RestoreStatus,
    TenantModel,
)
from orchestrator.sandbox.tenant.restore import LEGACY_DN_FAILURE

__all__ = [
    "CONFLICT_OPTIONS",
    "LEGACY_DN_MESSAGE",
    "REQUEST_NOT_FOUND",
    "get_mailbox_restore_request",
    "get_mailbox_restore_request_statistics",
    "new_mailbox_restore_request",
    "remove_mailbox_restore_request",
    "resume_mailbox_restore_request",
]

CONFLICT_OPTIONS = (
    "ForceCopy",
    "KeepSourceItem",
    "KeepLatestItem",
    "KeepAll",
    "UpdateFromSource",
    "KeepTargetItem",
)
#: Mailbox Replication service's text for an unknown request.
REQUEST_NOT_FOUND = (
    "Couldn't find a request that matches the information provided. Reason: No such request exists in "
    "the specified index."
)
#: [assumed text] The reference has none: "might fail" (§2.7, §4 "Also relevant").
LEGACY_DN_MESSAGE = (
    "The LegacyExchangeDN of the source mailbox ('{dn}') doesn't match the target mailbox and isn't one "
    "of its X500 proxy addresses. Use the AllowLegacyDNMismatch switch, or add the source LegacyExchangeDN "
    "to the target mailbox as an X500 proxy address."
)
_SOURCE_STATES = SOFT | frozenset({MailboxState.DISCONNECTED})
_REQUEST_TYPES = (
    "Microsoft.Exchange.Management.RecipientTasks.MailboxRestoreRequest",
    "Microsoft.Exchange.Management.RecipientTasks.RequestBase",
    "System.Object",
)
_STATS_TYPES = (
    "Microsoft.Exchange.Management.RecipientTasks.MailboxRestoreRequestStatistics",
    "Microsoft.Exchange.Management.RecipientTasks.RequestStatisticsBase",
    "System.Object",
)
_STATUS_DETAIL = {
    RestoreStatus.QUEUED: "Queued",
    RestoreStatus.IN_PROGRESS: "CopyingMessages",
    RestoreStatus.COMPLETED: "Completed",
    RestoreStatus.FAILED: "FailedOther",
    RestoreStatus.SUSPENDED: "Suspended",
}


# --------------------------------------------------------------------------- shaping


def _alias(model: TenantModel, guid: uuid.UUID) -> str:
    mbx = model.mailboxes.get(guid)
    return mbx.alias if mbx is not None else str(guid)


def request_identity(model: TenantModel, req: RestoreRequest) -> str:
    return f"{_alias(model, req.target_exchange_guid)}\\{req.name}"


def _failure(model: TenantModel, req: RestoreRequest) -> tuple[str | None, str | None]:
    """(FailureType, Message) of a failed request."""
    if req.status is not RestoreStatus.FAILED:
        return None, None
    if req.failure_reason == LEGACY_DN_FAILURE:
        src = model.mailboxes.get(req.source_exchange_guid)
        dn = src.legacy_exchange_dn if src else ""
        return "LegacyExchangeDNMismatchPermanentException", LEGACY_DN_MESSAGE.format(dn=dn)
    return "SourceMailboxNotFoundPermanentException", (
        f"The source mailbox of the request is no longer available ({req.failure_reason})."
    )


def request_object(model: TenantModel, req: RestoreRequest) -> PSObject:
    source, target = (
        model.mailboxes.get(req.source_exchange_guid),
        model.mailboxes.get(req.target_exchange_guid),
    )
    return PSObject(
        {
            "Identity": request_identity(model, req),
            "Name": req.name,
            "RequestGuid": req.request_guid,
            "Status": str(req.status),
            "BatchName": req.batch_name,
            "Suspend": req.status is RestoreStatus.SUSPENDED,
            "SourceMailbox": source.name if source else str(req.source_exchange_guid),
            "SourceExchangeGuid": req.source_exchange_guid,
            "TargetMailbox": target.name if target else str(req.target_exchange_guid),
            "TargetExchangeGuid": req.target_exchange_guid,
            "RequestStyle": "IntraOrg",
            "Direction": "Pull",
            "WhenCreated": req.created,
        },
        _REQUEST_TYPES,
        adapted=True,
    )


def statistics_object(model: TenantModel, req: RestoreRequest, now: datetime, *, report: bool) -> PSObject:
    src = model.mailboxes.get(req.source_exchange_guid)
    size = src.total_item_size_bytes if src else 0
    items = src.item_count if src else 0
    percent = lifecycle.restore_progress(req, now)
    failure_type, message = _failure(model, req)
    props: dict[str, Any] = {
        "Identity": request_identity(model, req),
        "Name": req.name,
        "RequestGuid": req.request_guid,
        "Status": str(req.status),
        "StatusDetail": _STATUS_DETAIL[req.status],
        "PercentComplete": percent,
        "BatchName": req.batch_name,
        "SourceAlias": _alias(model, req.source_exchange_guid),
        "SourceExchangeGuid": req.source_exchange_guid,
        "SourceIsArchive": req.source_is_archive,
        "TargetAlias": _alias(model, req.target_exchange_guid),
        "TargetExchangeGuid": req.target_exchange_guid,
        "TargetIsArchive": req.target_is_archive,
        "TargetRootFolder": req.target_root_folder,
        "AllowLegacyDNMismatch": req.allow_legacy_dn_mismatch,
        "QueuedTimestamp": req.created,
        "StartTimestamp": req.start_at if req.status is not RestoreStatus.QUEUED else None,
        "CompletionTimestamp": req.completed_at,
        "SuspendedTimestamp": req.suspended_at,
        "EstimatedTransferSize": size,
        "EstimatedTransferItemCount": items,
        "BytesTransferred": size * percent // 100,
        "ItemsTransferred": items * percent // 100,
        "FailureType": failure_type,
        "Message": message or "",
    }
    if report:
        props["Report"] = PSObject({"Entries": _report(model, req, now, message)}, adapted=True)
    return PSObject(props, _STATS_TYPES, adapted=True)


def _report(model: TenantModel, req: RestoreRequest, now: datetime, message: str | None) -> list[str]:
    entries = [f"{req.created.isoformat()} [sandbox] '{request_identity(model, req)}' created request."]
    if req.status is not RestoreStatus.QUEUED and req.start_at <= now:
        entries.append(
            f"{req.start_at.isoformat()} [sandbox] The Mailbox Replication service started the request."
        )
    if req.status is RestoreStatus.IN_PROGRESS:
        entries.append(f"{now.isoformat()} [sandbox] Copy progress: {lifecycle.restore_progress(req, now)}%.")
    if req.status is RestoreStatus.FAILED and message:
        entries.append(f"{req.start_at.isoformat()} [sandbox] Fatal error: {message}")
    if req.completed_at is not None:
        entries.append(f"{req.completed_at.isoformat()} [sandbox] Request is complete.")
    return entries


# --------------------------------------------------------------------------- identities


def find_requests(model: TenantModel, value: Any) -> list[RestoreRequest]:
    """Requests named by ``Alias\\Name``, by request GUID, or by a piped request object."""
    if isinstance(value, PSObject):
        guid = parse_guid(value.get("RequestGuid"))
        if guid is not None:
            return [r for r in model.restore_requests.values() if r.request_guid == guid]
        value = value.get("Identity")
    guid = parse_guid(value)
    if guid is not None:
        return [r for r in model.restore_requests.values() if r.request_guid == guid]
    text = identity_text(value).strip().lower()
    return [r for r in model.restore_requests.values() if request_identity(model, r).lower() == text]


def _one_request(
    session: SessionState, runtime: CommandRuntime, model: TenantModel, cmdlet_name: str, value: Any
) -> RestoreRequest | None:
    found = find_requests(model, value)
    if len(found) == 1:
        return found[0]
    if found:
        runtime.write_error(errors.ambiguous(session, cmdlet_name, identity_text(value)))
    else:
        runtime.write_error(
            errors.exo_error(
                session,
                cmdlet_name,
                "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
                REQUEST_NOT_FOUND,
                target=identity_text(value),
            )
        )
    return None


def _rbac_ok(session: SessionState, runtime: CommandRuntime, model: TenantModel, call: CmdletCall) -> bool:
    parameter = rbac_refusal(model, call)
    if parameter is None:
        return True
    runtime.write_error(errors.rbac_parameter(session, call.name, parameter))
    return False


# --------------------------------------------------------------------------- New-MailboxRestoreRequest


def _conflict_option(call: CmdletCall) -> None:
    value = call.bound.get("ConflictResolutionOption")
    if value is None or str(value).lower() in {o.lower() for o in CONFLICT_OPTIONS}:
        return
    enum = "Microsoft.Exchange.MailboxReplicationService.ConflictResolutionOption"
    raise PSTerminatingError(
        ErrorRecord(
            message=(
                f"Cannot bind parameter 'ConflictResolutionOption'. Cannot convert value \"{value}\" to type "
                f'"{enum}". Error: "Unable to match the identifier name {value} to a valid enumerator name. '
                f'Specify one of the following enumerator names and try again: {", ".join(CONFLICT_OPTIONS)}"'
            ),
            fq_error_id=f"CannotConvertArgumentNoMessage,{call.name}",
            category=ErrorCategory.InvalidArgument,
            exception_type="System.Management.Automation.ParameterBindingException",
            activity=call.name,
        )
    )


def _archive_refusal(source: Mailbox, target: Mailbox, call: CmdletCall) -> str | None:
    if call.switch("SourceIsArchive") and source.archive_guid is None:
        return f"The mailbox '{source.name}' doesn't have an archive."
    if call.switch("TargetIsArchive") and target.archive_guid is None:
        return f"The mailbox '{target.name}' doesn't have an archive."
    return None


@cmdlet("New-MailboxRestoreRequest", requires="exo")
def new_mailbox_restore_request(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Queue a restore of a soft-deleted/inactive/disconnected mailbox into an active one (§2.7)."""
    name = call.name
    _conflict_option(call)
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        if "SourceMailbox" not in call.bound:
            exo_refusal(
                session, runtime, name, "The sandbox simulates only the SourceMailbox form of this cmdlet."
            )
            return
        source = resolve_one(session, runtime, model, name, call.bound["SourceMailbox"], _SOURCE_STATES)
        if source is None:
            return
        target = resolve_one(session, runtime, model, name, call.bound.get("TargetMailbox"), ACTIVE)
        if target is None:
            return
        if source.state is MailboxState.INACTIVE and source.auto_expanding_archive:
            runtime.write_error(errors.auto_expanding_archive(session, name, source.name))
            return
        refusal = _archive_refusal(source, target, call)
        if refusal is not None:
            exo_refusal(session, runtime, name, refusal, target=source.name)
            return
        now = tenant.now()
        src, tgt = source.exchange_guid, target.exchange_guid
        request_name = call.bound.get("Name")
        try:
            req = run_transition(
                model,
                call,
                lambda m: lifecycle.new_restore_request(
                    m,
                    src,
                    tgt,
                    now,
                    name=str(request_name) if request_name else None,
                    allow_legacy_dn_mismatch=call.switch("AllowLegacyDNMismatch"),
                    batch_name=str(call.bound.get("BatchName") or ""),
                    target_root_folder=call.bound.get("TargetRootFolder"),
                    source_is_archive=call.switch("SourceIsArchive"),
                    target_is_archive=call.switch("TargetIsArchive"),
                ),
                high_impact=False,
                command=name,
                description=f'Creating restore request "{request_name or "MailboxRestore"}" for '
                f'"{target.name}".',
            )
        except LifecycleError as exc:
            refuse(session, runtime, name, exc)
            return
        if req is None:
            return
        if call.switch("Suspend"):
            lifecycle.suspend_restore_request(model, req.request_guid, now)
        if req.target_is_archive and not req.source_is_archive and not req.target_root_folder:
            runtime.write_warning(
                "The content of a primary mailbox restored into an archive without TargetRootFolder isn't "
                "visible to the user. Specify TargetRootFolder."
            )
        runtime.write_output(request_object(model, req))


# --------------------------------------------------------------------------- Get-*


@cmdlet("Get-MailboxRestoreRequest", requires="exo")
def get_mailbox_restore_request(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """By identity (``Alias\\Name``), or filtered by -Status, -TargetMailbox, -BatchName, -Name, -Suspend."""
    bound = call.bound
    with session.tenant.transaction() as model:
        if "Identity" in bound and bound["Identity"] is not None:
            found = find_requests(model, bound["Identity"])
            if not found:
                _one_request(session, runtime, model, call.name, bound["Identity"])
                return
        else:
            found = sorted(model.restore_requests.values(), key=lambda r: (r.created, r.name.lower()))
        if "TargetMailbox" in bound:
            targets = find_mailboxes(model, bound["TargetMailbox"], set(MailboxState) - {MailboxState.PURGED})
            if not targets:
                runtime.write_error(
                    errors.not_found(session, call.name, identity_text(bound["TargetMailbox"]))
                )
                return
            wanted = {m.exchange_guid for m in targets}
            found = [r for r in found if r.target_exchange_guid in wanted]
        if bound.get("Status") is not None:
            found = [r for r in found if str(r.status).lower() == str(bound["Status"]).lower()]
        if bound.get("BatchName") is not None:
            found = [r for r in found if r.batch_name.lower() == str(bound["BatchName"]).lower()]
        if bound.get("Name") is not None:
            found = [r for r in found if r.name.lower() == str(bound["Name"]).lower()]
        if bound.get("Suspend") is not None:
            found = [r for r in found if (r.status is RestoreStatus.SUSPENDED) == bool(bound["Suspend"])]
        limit = bound.get("ResultSize")
        if isinstance(limit, int):
            found = found[:limit]
        for req in found:
            runtime.write_output(request_object(model, req))


@cmdlet("Get-MailboxRestoreRequestStatistics", requires="exo")
def get_mailbox_restore_request_statistics(
    call: CmdletCall, runtime: CommandRuntime, session: SessionState
) -> None:
    """PercentComplete, Status, StatusDetail at the simulated now; -IncludeReport adds ``Report``."""
    with session.tenant.transaction() as model:
        req = _one_request(session, runtime, model, call.name, call.bound.get("Identity"))
        if req is not None:
            now = session.tenant.now()
            report = call.switch("IncludeReport") or call.switch("ReportOnly")
            runtime.write_output(statistics_object(model, req, now, report=report))


# --------------------------------------------------------------------------- Resume-/Remove-


@cmdlet("Resume-MailboxRestoreRequest", requires="exo")
def resume_mailbox_restore_request(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Resume a suspended or failed request (§2.8); it is queued again for the remaining content."""
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        req = _one_request(session, runtime, model, call.name, call.bound.get("Identity"))
        if req is None:
            return
        if req.status not in (RestoreStatus.SUSPENDED, RestoreStatus.FAILED):
            exo_refusal(
                session,
                runtime,
                call.name,
                f"The request '{request_identity(model, req)}' can't be resumed because its status is "
                f"{req.status}. Only suspended or failed requests can be resumed.",
                target=request_identity(model, req),
            )
            return
        now, guid = tenant.now(), req.request_guid
        try:
            run_transition(
                model,
                call,
                lambda m: lifecycle.resume_restore_request(m, guid, now),
                high_impact=False,
                command=call.name,
                description=f'Resuming request "{request_identity(model, req)}".',
            )
        except LifecycleError as exc:
            refuse(session, runtime, call.name, exc)


@cmdlet("Remove-MailboxRestoreRequest", requires="exo", destructive=True)
def remove_mailbox_restore_request(call: CmdletCall, runtime: CommandRuntime, session: SessionState) -> None:
    """Delete a request (an unfinished one is cancelled); prompts unless -Confirm:$false/-Force."""
    tenant = session.tenant
    with tenant.transaction() as model:
        if not _rbac_ok(session, runtime, model, call):
            return
        req = _one_request(session, runtime, model, call.name, call.bound.get("Identity"))
        if req is None:
            return
        now, guid, ident = tenant.now(), req.request_guid, request_identity(model, req)
        try:
            run_transition(
                model,
                call,
                lambda m: lifecycle.remove_restore_request(m, guid, now),
                high_impact=True,
                force_suppresses=True,
                command=call.name,
                description=f'Removing completed request "{ident}".'
                if req.status is RestoreStatus.COMPLETED
                else f'Removing request "{ident}" with status {req.status}.',
            )
        except LifecycleError as exc:
            refuse(session, runtime, call.name, exc)
