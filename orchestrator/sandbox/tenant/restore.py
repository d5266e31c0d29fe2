"""Mailbox restore requests: copy a deleted mailbox's content into an active one (§2.7, §2.8).

The source (soft-deleted, inactive, formerly inactive or disconnected) stays where it is. The
timeline is deterministic: Queued for ``restore_queue_delay_s``, then InProgress with linear
progress over max(``restore_min_duration_s``, size / ``restore_bytes_per_s``), then Completed.
Without ``-AllowLegacyDNMismatch`` and without the source LegacyExchangeDN on the target (as its
LegacyExchangeDN or an ``X500:`` proxy) the request fails when it starts [P-RST "might fail";
the sandbox is strict].
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from orchestrator.sandbox.tenant.common import LifecycleError, Refusal, require_mailbox
from orchestrator.sandbox.tenant.model import MailboxState, RestoreRequest, RestoreStatus, TenantModel

__all__ = [
    "LEGACY_DN_FAILURE",
    "new_restore_request",
    "remove_restore_request",
    "restore_progress",
    "resume_restore_request",
    "suspend_restore_request",
]

LEGACY_DN_FAILURE = "LegacyExchangeDNMismatch"
_SOURCE_STATES = (
    MailboxState.SOFT_DELETED,
    MailboxState.INACTIVE,
    MailboxState.FORMERLY_INACTIVE,
    MailboxState.DISCONNECTED,
)


def _timeline(model: TenantModel, size_bytes: int, now: datetime) -> tuple[datetime, datetime]:
    knobs = model.knobs
    start = now + timedelta(seconds=knobs.restore_queue_delay_s)
    seconds = max(knobs.restore_min_duration_s, size_bytes // max(1, knobs.restore_bytes_per_s))
    return start, start + timedelta(seconds=seconds)


def new_restore_request(
    model: TenantModel,
    source: uuid.UUID,
    target: uuid.UUID,
    now: datetime,
    *,
    name: str | None = None,
    allow_legacy_dn_mismatch: bool = False,
    batch_name: str = "",
    target_root_folder: str | None = None,
    source_is_archive: bool = False,
    target_is_archive: bool = False,
) -> RestoreRequest:
    src = require_mailbox(model, source)
    if src.state not in _SOURCE_STATES:
        raise LifecycleError(Refusal.NOT_FOUND, f"Mailbox '{src.name}' was not found.", identity=str(source))
    tgt = require_mailbox(model, target)
    if tgt.state is not MailboxState.ACTIVE:
        raise LifecycleError(Refusal.NOT_FOUND, f"Mailbox '{tgt.name}' was not found.", identity=str(target))
    taken = {r.name.lower() for r in model.restore_requests.values() if r.target_exchange_guid == target}
    if name is None:
        candidates = ["MailboxRestore", *(f"MailboxRestore{i}" for i in range(1, 10))]
        free = [c for c in candidates if c.lower() not in taken]
        if not free:
            raise LifecycleError(
                Refusal.TOO_MANY_REQUESTS, "Too many restore requests for this mailbox.", identity=tgt.alias
            )
        name = free[0]
    elif name.lower() in taken:
        raise LifecycleError(
            Refusal.ALREADY_EXISTS, f"A restore request named '{name}' already exists.", name=name
        )
    x500 = {a.lower() for a in tgt.email_addresses}
    dn_ok = (
        allow_legacy_dn_mismatch
        or src.legacy_exchange_dn.lower() == tgt.legacy_exchange_dn.lower()
        or f"x500:{src.legacy_exchange_dn.lower()}" in x500
    )
    start, complete = _timeline(model, src.total_item_size_bytes, now)
    req = RestoreRequest(
        request_guid=model.new_guid(),
        name=name,
        source_exchange_guid=source,
        target_exchange_guid=target,
        status=RestoreStatus.QUEUED,
        created=now,
        start_at=start,
        complete_at=complete,
        batch_name=batch_name,
        allow_legacy_dn_mismatch=allow_legacy_dn_mismatch,
        target_root_folder=target_root_folder,
        source_is_archive=source_is_archive,
        target_is_archive=target_is_archive,
        failure_reason=None if dn_ok else LEGACY_DN_FAILURE,
    )
    model.restore_requests[req.request_guid] = req
    model.touch(req)
    model.schedule(start)
    return req


def _request(model: TenantModel, request_guid: uuid.UUID) -> RestoreRequest:
    req = model.restore_requests.get(request_guid)
    if req is None:
        raise LifecycleError(
            Refusal.NOT_FOUND, f"Restore request '{request_guid}' was not found.", identity=str(request_guid)
        )
    return req


def restore_progress(req: RestoreRequest, now: datetime) -> int:
    """PercentComplete at ``now`` (linear while InProgress)."""
    if req.status is RestoreStatus.COMPLETED:
        return 100
    if req.status is RestoreStatus.IN_PROGRESS:
        total = (req.complete_at - req.start_at).total_seconds()
        done = (now - req.start_at).total_seconds()
        return max(0, min(99, int(100 * done / total))) if total > 0 else 99
    return req.percent_complete


def suspend_restore_request(model: TenantModel, request_guid: uuid.UUID, now: datetime) -> None:
    req = _request(model, request_guid)
    if req.status not in (RestoreStatus.QUEUED, RestoreStatus.IN_PROGRESS):
        raise LifecycleError(Refusal.INVALID_STATE, f"The request is {req.status}.", identity=req.name)
    req.percent_complete = restore_progress(req, now)
    req.status = RestoreStatus.SUSPENDED
    req.suspended_at = now
    model.touch(req)


def resume_restore_request(model: TenantModel, request_guid: uuid.UUID, now: datetime) -> None:
    """Resume-MailboxRestoreRequest (suspended or failed); the remaining work is re-queued."""
    req = _request(model, request_guid)
    if req.status not in (RestoreStatus.SUSPENDED, RestoreStatus.FAILED):
        raise LifecycleError(Refusal.INVALID_STATE, f"The request is {req.status}.", identity=req.name)
    src = model.mailboxes.get(req.source_exchange_guid)
    if src is None or src.state is MailboxState.PURGED:
        raise LifecycleError(Refusal.NOT_FOUND, "The source mailbox no longer exists.", identity=req.name)
    remaining = int(src.total_item_size_bytes * (100 - req.percent_complete) / 100)
    req.start_at, req.complete_at = _timeline(model, remaining, now)
    req.status = RestoreStatus.QUEUED
    req.suspended_at = None
    model.touch(req)
    model.schedule(req.start_at)


def remove_restore_request(model: TenantModel, request_guid: uuid.UUID, now: datetime) -> None:
    model.remove(_request(model, request_guid))
