"""``advance(model, now)``: apply every lifecycle timer that is due, in time order (§1.6 timers).

Timers: soft delete 30 d, recycle bin 30 d, licence grace 30 d, delay holds 30 d, formerly
inactive 183 d, provisioning delays, restore request progress. Events are applied at their own due
time (not at ``now``), in order, so one big jump gives the same result as many small ones: a delay
hold that expires on day 30 starts the 183-day formerly-inactive window on day 30.

Fast path: ``model.next_due`` is the earliest pending timer; lifecycle functions lower it with
``model.schedule`` when they create one, so an ``advance`` with nothing due costs nothing (the
store calls it before every transaction).
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestrator.sandbox.tenant.common import (
    disconnect_mailbox,
    purge_mailbox,
    reconnect_disconnected,
)
from orchestrator.sandbox.tenant.directory import purge_user
from orchestrator.sandbox.tenant.hold_changes import reevaluate_inactive
from orchestrator.sandbox.tenant.holds import is_on_hold
from orchestrator.sandbox.tenant.mailboxes import new_mailbox
from orchestrator.sandbox.tenant.model import (
    FORMERLY_INACTIVE_PERIOD,
    LICENSE_GRACE_PERIOD,
    RECYCLE_BIN_PERIOD,
    SOFT_DELETE_PERIOD,
    MailboxState,
    RestoreStatus,
    TenantModel,
    UserState,
)

__all__ = ["FAR_FUTURE", "Event", "advance", "pending_timers"]

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, order=True)
class Event:
    """A timer: ``what`` happens to object ``kind``/``key`` at ``when`` (``priority`` breaks ties)."""

    when: datetime
    priority: int
    kind: str
    key: str
    what: str


def _mailbox_timers(model: TenantModel, guid: uuid.UUID) -> Iterator[Event]:
    mbx = model.mailboxes[guid]
    key = str(guid)
    h = mbx.holds
    if mbx.state is MailboxState.PURGED:
        return
    if h.delay_hold_applied and h.delay_hold_expires is not None:
        yield Event(h.delay_hold_expires, 0, "mailbox", key, "delay_hold_expired")
    if h.delay_release_hold_applied and h.delay_release_hold_expires is not None:
        yield Event(h.delay_release_hold_expires, 0, "mailbox", key, "delay_release_hold_expired")
    if mbx.retention_hold_until is not None:
        yield Event(mbx.retention_hold_until, 0, "mailbox", key, "retention_hold_ended")
    if mbx.state is MailboxState.SOFT_DELETED and mbx.when_soft_deleted is not None:
        yield Event(mbx.when_soft_deleted + SOFT_DELETE_PERIOD, 3, "mailbox", key, "soft_delete_expired")
    elif mbx.state is MailboxState.FORMERLY_INACTIVE and mbx.inactive_mailbox_retire_time is not None:
        yield Event(mbx.inactive_mailbox_retire_time + FORMERLY_INACTIVE_PERIOD, 3, "mailbox", key, "retired")
    elif mbx.state is MailboxState.DISCONNECTED:
        if mbx.reconnect_due is not None:
            yield Event(mbx.reconnect_due, 1, "mailbox", key, "reconnect")
        if mbx.when_disconnected is not None and not is_on_hold(model, mbx):
            yield Event(
                mbx.when_disconnected + LICENSE_GRACE_PERIOD, 3, "mailbox", key, "license_grace_expired"
            )
    elif mbx.state is MailboxState.ACTIVE and mbx.license_grace_until is not None:
        yield Event(mbx.license_grace_until, 1, "mailbox", key, "unlicensed_grace_expired")


def _user_timers(model: TenantModel, oid: uuid.UUID) -> Iterator[Event]:
    user = model.users[oid]
    if user.state is UserState.RECYCLE_BIN and user.deleted_at is not None:
        yield Event(user.deleted_at + RECYCLE_BIN_PERIOD, 2, "user", str(oid), "recycle_bin_expired")
    if user.state is UserState.ACTIVE and user.mailbox_provision_due is not None:
        yield Event(user.mailbox_provision_due, 1, "user", str(oid), "provision_mailbox")


def _request_timers(model: TenantModel, rid: uuid.UUID) -> Iterator[Event]:
    req = model.restore_requests[rid]
    if req.status is RestoreStatus.QUEUED:
        yield Event(req.start_at, 4, "restore_request", str(rid), "start")
    elif req.status is RestoreStatus.IN_PROGRESS:
        yield Event(req.complete_at, 4, "restore_request", str(rid), "complete")


def _timers_of(model: TenantModel, kind: str, key: str) -> list[Event]:
    guid = uuid.UUID(key)
    if kind == "mailbox":
        return list(_mailbox_timers(model, guid)) if guid in model.mailboxes else []
    if kind == "user":
        return list(_user_timers(model, guid)) if guid in model.users else []
    return list(_request_timers(model, guid)) if guid in model.restore_requests else []


def pending_timers(model: TenantModel) -> list[Event]:
    """Every pending timer (due or not), for tests and ``sandbox status``."""
    events: list[Event] = []
    for guid in model.mailboxes:
        events.extend(_mailbox_timers(model, guid))
    for oid in model.users:
        events.extend(_user_timers(model, oid))
    for rid in model.restore_requests:
        events.extend(_request_timers(model, rid))
    return sorted(events)


def advance(model: TenantModel, now: datetime) -> list[Event]:
    """Apply all timers due at or before ``now``; return the applied events in order."""
    if model.next_due is not None and now < model.next_due:
        return []
    heap = pending_timers(model)
    heapq.heapify(heap)
    queued = set(heap)
    applied: list[Event] = []
    while heap and heap[0].when <= now:
        event = heapq.heappop(heap)
        if event not in _timers_of(model, event.kind, event.key):
            continue  # stale: an earlier event changed this object
        _HANDLERS[event.what](model, event)
        applied.append(event)
        for kind, key in _affected(model, event):
            for follow in _timers_of(model, kind, key):
                if follow.when <= now and follow not in queued:
                    queued.add(follow)
                    heapq.heappush(heap, follow)
    future = [e.when for e in pending_timers(model) if e.when > now] if applied else [e.when for e in heap]
    model.next_due = min(future, default=FAR_FUTURE)
    return applied


def _affected(model: TenantModel, event: Event) -> list[tuple[str, str]]:
    """Objects whose timers may have changed after ``event`` (itself and its mailbox/user)."""
    pairs = [(event.kind, event.key)]
    if event.kind == "user":
        mbx = model.mailbox_of_user(uuid.UUID(event.key))
        if mbx is not None:
            pairs.append(("mailbox", str(mbx.exchange_guid)))
    elif event.kind == "mailbox":
        mbx = model.mailboxes[uuid.UUID(event.key)]
        if mbx.user_id is not None:
            pairs.append(("user", str(mbx.user_id)))
    return pairs


# --------------------------------------------------------------------------- handlers


def _mbx_delay(model: TenantModel, event: Event) -> None:
    mbx = model.mailboxes[uuid.UUID(event.key)]
    if event.what == "delay_hold_expired":
        mbx.holds.delay_hold_applied, mbx.holds.delay_hold_expires = False, None
    else:
        mbx.holds.delay_release_hold_applied, mbx.holds.delay_release_hold_expires = False, None
    model.touch(mbx)
    reevaluate_inactive(model, mbx, event.when)


def _mbx_retention_hold(model: TenantModel, event: Event) -> None:
    mbx = model.mailboxes[uuid.UUID(event.key)]
    mbx.retention_hold_until = None
    model.touch(mbx)


def _mbx_purge(model: TenantModel, event: Event) -> None:
    purge_mailbox(model, model.mailboxes[uuid.UUID(event.key)], event.when)


def _mbx_reconnect(model: TenantModel, event: Event) -> None:
    mbx = model.mailboxes[uuid.UUID(event.key)]
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    if user is not None and user.state is UserState.ACTIVE and model.has_exchange_license(user):
        reconnect_disconnected(model, mbx)
    else:
        mbx.reconnect_due = None
        model.touch(mbx)


def _mbx_unlicensed(model: TenantModel, event: Event) -> None:
    mbx = model.mailboxes[uuid.UUID(event.key)]
    user = model.users.get(mbx.user_id) if mbx.user_id else None
    if user is not None and model.has_exchange_license(user):
        mbx.license_grace_until = None
        model.touch(mbx)
    else:
        disconnect_mailbox(model, mbx, event.when)


def _user_purge(model: TenantModel, event: Event) -> None:
    purge_user(model, uuid.UUID(event.key), event.when)


def _user_provision(model: TenantModel, event: Event) -> None:
    user = model.users[uuid.UUID(event.key)]
    user.mailbox_provision_due = None
    model.touch(user)
    if not model.has_exchange_license(user) or model.mailbox_of_user(user.object_id) is not None:
        return
    base = user.user_principal_name.split("@", 1)[0]
    used = {m.alias.lower() for m in model.mailboxes.values() if m.state is not MailboxState.PURGED}
    used |= {m.name.lower() for m in model.mailboxes.values() if m.state is not MailboxState.PURGED}
    alias, n = base, 1
    while alias.lower() in used:
        n += 1
        alias = f"{base}{n}"
    new_mailbox(
        model,
        event.when,
        user=user,
        name=alias,
        alias=alias,
        display_name=user.display_name,
        primary_smtp_address=user.mail or user.user_principal_name,
    )


def _request_start(model: TenantModel, event: Event) -> None:
    req = model.restore_requests[uuid.UUID(event.key)]
    req.status = RestoreStatus.FAILED if req.failure_reason else RestoreStatus.IN_PROGRESS
    model.touch(req)


def _request_complete(model: TenantModel, event: Event) -> None:
    req = model.restore_requests[uuid.UUID(event.key)]
    req.status = RestoreStatus.COMPLETED
    req.percent_complete = 100
    req.completed_at = event.when
    model.touch(req)


_HANDLERS: dict[str, Callable[[TenantModel, Event], None]] = {
    "delay_hold_expired": _mbx_delay,
    "delay_release_hold_expired": _mbx_delay,
    "retention_hold_ended": _mbx_retention_hold,
    "soft_delete_expired": _mbx_purge,
    "retired": _mbx_purge,
    "license_grace_expired": _mbx_purge,
    "reconnect": _mbx_reconnect,
    "unlicensed_grace_expired": _mbx_unlicensed,
    "recycle_bin_expired": _user_purge,
    "provision_mailbox": _user_provision,
    "start": _request_start,
    "complete": _request_complete,
}
