"""Mailbox states and what an observation of one says: pure data, table-driven.

The states follow the reference's state table (section 1.1). A state is *derived* from what the
service shows, never stored: the same observation always gives the same state, so a resumed run
re-observes and re-derives instead of trusting a journal.

=====================  ======================================  ===================================
state                  seen as                                 removed for good
=====================  ======================================  ===================================
soft_deleted           WhenSoftDeleted set, not inactive       30 days after WhenSoftDeleted
inactive               IsInactiveMailbox                       never, while any hold applies
formerly_inactive      WasInactiveMailbox, no longer inactive  183 days after InactiveMailboxRetireTime
licence_removed        Get-User: User, previously UserMailbox  30 days after the licence went (the
                                                               service does not show when)
licence_removed_user_deleted  a deleted user with a mail      the user leaves the recycle bin 30
                       address and no soft-deleted mailbox     days after deletion; then never
=====================  ======================================  ===================================
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from dataclasses import dataclass, field

from orchestrator.core.holds import Hold, retaining_holds


class MailboxState(enum.StrEnum):
    ACTIVE = "active"
    SOFT_DELETED = "soft_deleted"
    INACTIVE = "inactive"
    FORMERLY_INACTIVE = "formerly_inactive"
    LICENCE_REMOVED = "licence_removed"
    LICENCE_REMOVED_USER_DELETED = "licence_removed_user_deleted"


class DirectoryUser(enum.StrEnum):
    """Where the mailbox's Entra ID user is, as far as the observation shows."""

    ACTIVE = "active"
    IN_RECYCLE_BIN = "in_recycle_bin"
    PURGED = "purged"
    UNKNOWN = "unknown"


SOFT_DELETE_RETENTION = dt.timedelta(days=30)
RECYCLE_BIN_RETENTION = dt.timedelta(days=30)
FORMERLY_INACTIVE_RETENTION = dt.timedelta(days=183)

# state -> (which timestamp starts the clock, how long it runs); None = no deadline known.
_DEADLINES: dict[MailboxState, tuple[str, dt.timedelta] | None] = {
    MailboxState.ACTIVE: None,
    MailboxState.SOFT_DELETED: ("when_soft_deleted", SOFT_DELETE_RETENTION),
    MailboxState.INACTIVE: None,
    MailboxState.FORMERLY_INACTIVE: ("inactive_retire_time", FORMERLY_INACTIVE_RETENTION),
    MailboxState.LICENCE_REMOVED: None,
    MailboxState.LICENCE_REMOVED_USER_DELETED: ("user_deleted_at", RECYCLE_BIN_RETENTION),
}


@dataclass(frozen=True)
class MailboxFacts:
    """What one observation says about one mailbox (or a user who had one)."""

    exchange_guid: uuid.UUID | None
    primary_smtp_address: str | None
    user_principal_name: str | None
    display_name: str | None = None
    name: str | None = None
    distinguished_name: str | None = None
    recipient_type_details: str | None = None
    when_soft_deleted: dt.datetime | None = None
    is_inactive: bool = False
    was_inactive: bool = False
    inactive_retire_time: dt.datetime | None = None
    external_directory_object_id: uuid.UUID | None = None
    is_dir_synced: bool = False
    holds: tuple[Hold, ...] = ()
    licence_removed: bool = False
    user_deleted_at: dt.datetime | None = None


def derive_state(facts: MailboxFacts) -> MailboxState:
    """The single state these facts put the mailbox in (first matching rule wins)."""
    if facts.licence_removed:
        if facts.user_deleted_at is not None:
            return MailboxState.LICENCE_REMOVED_USER_DELETED
        return MailboxState.LICENCE_REMOVED
    if facts.is_inactive:
        return MailboxState.INACTIVE
    if facts.was_inactive and facts.when_soft_deleted is not None:
        return MailboxState.FORMERLY_INACTIVE
    if facts.when_soft_deleted is not None:
        return MailboxState.SOFT_DELETED
    return MailboxState.ACTIVE


def deadline(facts: MailboxFacts, state: MailboxState) -> dt.datetime | None:
    """When the service removes the mailbox for good, if the observation shows it."""
    rule = _DEADLINES[state]
    if rule is None:
        return None
    start = getattr(facts, rule[0])
    return None if start is None else start + rule[1]


def days_left(when: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole days left before ``when`` (rounded up; 0 once it has passed)."""
    if when is None:
        return None
    return max(0, math.ceil((when - now) / dt.timedelta(days=1)))


@dataclass(frozen=True)
class MailboxRecord:
    """A mailbox in the inventory: facts plus everything derived from them."""

    facts: MailboxFacts
    state: MailboxState
    directory_user: DirectoryUser
    deadline: dt.datetime | None
    days_left: int | None
    notes: tuple[str, ...] = field(default=())

    @property
    def orphaned(self) -> bool:
        """Soft-deleted or inactive with no Entra user behind it (reference 1.2, B-PURGE)."""
        return self.state in _DELETED_STATES and self.facts.external_directory_object_id is None

    @property
    def blocking_holds(self) -> tuple[Hold, ...]:
        return retaining_holds(self.facts.holds)


_DELETED_STATES = frozenset(
    {MailboxState.SOFT_DELETED, MailboxState.INACTIVE, MailboxState.FORMERLY_INACTIVE}
)


def directory_user_of(facts: MailboxFacts, deleted_user_ids: frozenset[uuid.UUID] | None) -> DirectoryUser:
    """Where the mailbox's user is. ``deleted_user_ids`` is None when the directory was not read."""
    if facts.user_deleted_at is not None:
        return DirectoryUser.IN_RECYCLE_BIN
    if facts.licence_removed:  # seen through Get-User: the user exists
        return DirectoryUser.ACTIVE
    if facts.external_directory_object_id is None:
        return DirectoryUser.PURGED if facts.when_soft_deleted is not None else DirectoryUser.UNKNOWN
    if deleted_user_ids is None:
        return DirectoryUser.UNKNOWN
    if facts.external_directory_object_id in deleted_user_ids:
        return DirectoryUser.IN_RECYCLE_BIN
    return DirectoryUser.ACTIVE


def notes_for(facts: MailboxFacts, state: MailboxState, user: DirectoryUser) -> tuple[str, ...]:
    """Short operator-facing remarks: what this state means for the chores ahead."""
    notes: list[str] = []
    if state is MailboxState.LICENCE_REMOVED:
        notes.append("relicense within 30 days of removal to reconnect (KB 3158794); removal date not shown")
    if state is MailboxState.LICENCE_REMOVED_USER_DELETED:
        notes.append("restore the user from the recycle bin, then add an Exchange licence (KB 3158794)")
    if state in _DELETED_STATES and user is DirectoryUser.IN_RECYCLE_BIN:
        notes.append("user still in the recycle bin: a purge fails until the user is hard-deleted")
    if state in _DELETED_STATES and facts.is_dir_synced:
        notes.append(
            "dir-synced: a purge fails ('outside the writing scope') until on-premises sync removes it"
        )
    if state is MailboxState.INACTIVE and not retaining_holds(facts.holds):
        notes.append("inactive but no retaining hold visible: check org-wide and delay holds")
    return tuple(notes)
