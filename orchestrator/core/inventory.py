"""Turn the inventory script's output rows into an ``Inventory``: pure, strict, no IO.

The inventory template emits plain objects tagged by ``Kind``: one ``Snapshot`` (the host's
clock and the org-wide holds), then ``Mailbox``, ``LicenceRemovedUser`` and ``DeletedUser``
rows. Parsing is strict on purpose: a missing key or a value of the wrong shape means the template
and this parser disagree, which must stop the run with a clear message rather than produce a
wrong inventory that somebody purges from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from orchestrator.core.holds import Hold, HoldFlags, mailbox_holds, org_wide_holds
from orchestrator.core.mailboxes import (
    MailboxFacts,
    MailboxRecord,
    MailboxState,
    days_left,
    deadline,
    derive_state,
    directory_user_of,
    notes_for,
)


class ObservationError(ValueError):
    """The host's output does not have the shape the template promises."""


@dataclass(frozen=True)
class Inventory:
    observed_at: dt.datetime
    records: tuple[MailboxRecord, ...]
    directory_checked: bool

    def by_state(self) -> dict[MailboxState, int]:
        counts: dict[MailboxState, int] = {}
        for record in self.records:
            counts[record.state] = counts.get(record.state, 0) + 1
        return counts


class _Row:
    """Typed access to one output row, naming the row and key in every error."""

    def __init__(self, row: Mapping[str, object], index: int) -> None:
        self.row = row
        self.where = f"output object {index} ({row.get('Kind', '?')})"

    def _raw(self, key: str) -> object:
        if key not in self.row:
            raise ObservationError(f"{self.where} lacks {key!r}; the template and the parser disagree")
        return self.row[key]

    def text(self, key: str) -> str | None:
        value = self._raw(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise ObservationError(f"{self.where}: {key!r} should be text, got {value!r}")
        return value

    def flag(self, key: str) -> bool:
        value = self._raw(key)
        if not isinstance(value, bool):
            raise ObservationError(f"{self.where}: {key!r} should be true/false, got {value!r}")
        return value

    def guid(self, key: str) -> uuid.UUID | None:
        value = self._raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, uuid.UUID):
            return value
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise ObservationError(f"{self.where}: {key!r} is not a GUID: {value!r}") from None

    def when(self, key: str) -> dt.datetime | None:
        value = self._raw(key)
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                raise ObservationError(f"{self.where}: {key!r} is not an ISO 8601 date: {value!r}") from None
        else:
            raise ObservationError(f"{self.where}: {key!r} should be a date, got {value!r}")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._raw(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ObservationError(f"{self.where}: {key!r} should be a list of text, got {value!r}")


def _mailbox_facts(row: _Row, org_holds: Sequence[Hold]) -> MailboxFacts:
    flags = HoldFlags(
        litigation=row.flag("LitigationHoldEnabled"),
        compliance_tag=row.flag("ComplianceTagHoldApplied"),
        delay=row.flag("DelayHoldApplied"),
        delay_release=row.flag("DelayReleaseHoldApplied"),
    )
    return MailboxFacts(
        exchange_guid=row.guid("ExchangeGuid"),
        primary_smtp_address=row.text("PrimarySmtpAddress"),
        user_principal_name=row.text("UserPrincipalName"),
        display_name=row.text("DisplayName"),
        name=row.text("Name"),
        distinguished_name=row.text("DistinguishedName"),
        recipient_type_details=row.text("RecipientTypeDetails"),
        when_soft_deleted=row.when("WhenSoftDeleted"),
        is_inactive=row.flag("IsInactiveMailbox"),
        was_inactive=row.flag("WasInactiveMailbox"),
        inactive_retire_time=row.when("InactiveMailboxRetireTime"),
        external_directory_object_id=row.guid("ExternalDirectoryObjectId"),
        is_dir_synced=row.flag("IsDirSynced"),
        holds=mailbox_holds(flags, row.strings("InPlaceHolds"), org_holds),
    )


def _licence_removed_facts(row: _Row) -> MailboxFacts:
    return MailboxFacts(
        exchange_guid=None,
        primary_smtp_address=None,
        user_principal_name=row.text("UserPrincipalName"),
        display_name=row.text("DisplayName"),
        external_directory_object_id=row.guid("ExternalDirectoryObjectId"),
        is_dir_synced=row.flag("IsDirSynced"),
        licence_removed=True,
    )


def _deleted_user_facts(row: _Row) -> MailboxFacts:
    return MailboxFacts(
        exchange_guid=None,
        primary_smtp_address=row.text("Mail"),
        user_principal_name=row.text("UserPrincipalName"),
        display_name=row.text("DisplayName"),
        external_directory_object_id=row.guid("Id"),
        is_dir_synced=row.flag("OnPremisesSyncEnabled"),
        licence_removed=True,
        user_deleted_at=row.when("DeletedDateTime"),
    )


def build_inventory(rows: Iterable[Mapping[str, object]]) -> Inventory:
    """Parse the inventory script's output into records with states, deadlines and notes."""
    snapshot: _Row | None = None
    mailboxes: list[_Row] = []
    licence_removed: list[_Row] = []
    deleted_users: list[_Row] = []
    buckets = {"Mailbox": mailboxes, "LicenceRemovedUser": licence_removed, "DeletedUser": deleted_users}
    for index, raw in enumerate(rows):
        if not isinstance(raw, Mapping):
            raise ObservationError(f"output object {index} is not an object: {raw!r}")
        row = _Row(raw, index)
        kind = raw.get("Kind")
        if kind == "Snapshot":
            snapshot = row
        elif isinstance(kind, str) and kind in buckets:
            buckets[kind].append(row)
        else:
            raise ObservationError(f"output object {index} has an unknown Kind {kind!r}")
    if snapshot is None:
        raise ObservationError("the inventory script returned no Snapshot object")
    observed_at = snapshot.when("ObservedAt")
    if observed_at is None:
        raise ObservationError("the Snapshot object has no ObservedAt time")
    org_holds = org_wide_holds(snapshot.strings("OrganizationInPlaceHolds"))

    directory_checked = snapshot.flag("DirectoryChecked")
    facts: list[MailboxFacts] = [_mailbox_facts(r, org_holds) for r in mailboxes]
    soft_deleted_owners = {f.external_directory_object_id for f in facts if f.external_directory_object_id}
    deleted_ids = frozenset(g for g in (r.guid("Id") for r in deleted_users) if g is not None)
    facts.extend(_licence_removed_facts(r) for r in licence_removed)
    # A deleted user whose mailbox is soft-deleted is that mailbox's user, not a lost mailbox.
    facts.extend(
        f
        for f in (_deleted_user_facts(r) for r in deleted_users)
        if f.primary_smtp_address and f.external_directory_object_id not in soft_deleted_owners
    )
    records = []
    for fact in facts:
        state = derive_state(fact)
        user = directory_user_of(fact, deleted_ids if directory_checked else None)
        when = deadline(fact, state)
        records.append(
            MailboxRecord(fact, state, user, when, days_left(when, observed_at), notes_for(fact, state, user))
        )
    records.sort(
        key=lambda r: (r.state.value, (r.facts.primary_smtp_address or r.facts.user_principal_name or ""))
    )
    return Inventory(observed_at, tuple(records), directory_checked)
