"""The state table, deadlines, directory-user inference and notes, rule by rule."""

import datetime as dt
import uuid

import pytest

from orchestrator.core.holds import Hold, HoldKind
from orchestrator.core.mailboxes import (
    DirectoryUser,
    MailboxFacts,
    MailboxRecord,
    MailboxState,
    days_left,
    deadline,
    derive_state,
    directory_user_of,
    notes_for,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
USER = uuid.UUID("11111111-2222-3333-4444-555555555555")


def facts(**kw):
    base = {
        "exchange_guid": uuid.uuid4(),
        "primary_smtp_address": "a@contoso.com",
        "user_principal_name": None,
    }
    return MailboxFacts(**{**base, **kw})


@pytest.mark.parametrize(
    ("kw", "state"),
    [
        ({}, MailboxState.ACTIVE),
        ({"when_soft_deleted": T0}, MailboxState.SOFT_DELETED),
        ({"when_soft_deleted": T0, "is_inactive": True}, MailboxState.INACTIVE),
        ({"is_inactive": True}, MailboxState.INACTIVE),
        ({"when_soft_deleted": T0, "was_inactive": True}, MailboxState.FORMERLY_INACTIVE),
        ({"when_soft_deleted": T0, "was_inactive": True, "is_inactive": True}, MailboxState.INACTIVE),
        ({"licence_removed": True}, MailboxState.LICENCE_REMOVED),
        ({"licence_removed": True, "user_deleted_at": T0}, MailboxState.LICENCE_REMOVED_USER_DELETED),
    ],
)
def test_derive_state(kw, state):
    assert derive_state(facts(**kw)) is state


@pytest.mark.parametrize(
    ("kw", "state", "expected"),
    [
        ({"when_soft_deleted": T0}, MailboxState.SOFT_DELETED, T0 + dt.timedelta(days=30)),
        ({"when_soft_deleted": T0, "is_inactive": True}, MailboxState.INACTIVE, None),
        (
            {"when_soft_deleted": T0, "was_inactive": True, "inactive_retire_time": T0},
            MailboxState.FORMERLY_INACTIVE,
            T0 + dt.timedelta(days=183),
        ),
        ({"when_soft_deleted": T0, "was_inactive": True}, MailboxState.FORMERLY_INACTIVE, None),
        ({"licence_removed": True}, MailboxState.LICENCE_REMOVED, None),
        (
            {"licence_removed": True, "user_deleted_at": T0},
            MailboxState.LICENCE_REMOVED_USER_DELETED,
            T0 + dt.timedelta(days=30),
        ),
        ({}, MailboxState.ACTIVE, None),
    ],
)
def test_deadline_per_state(kw, state, expected):
    f = facts(**kw)
    assert derive_state(f) is state
    assert deadline(f, state) == expected


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (dt.timedelta(days=30), 30),
        (dt.timedelta(days=29, hours=1), 30),
        (dt.timedelta(seconds=1), 1),
        (dt.timedelta(0), 0),
        (dt.timedelta(days=-3), 0),
    ],
)
def test_days_left_rounds_up_and_floors_at_zero(delta, expected):
    assert days_left(T0 + delta, T0) == expected


def test_days_left_none_without_deadline():
    assert days_left(None, T0) is None


@pytest.mark.parametrize(
    ("kw", "deleted_ids", "expected"),
    [
        ({"when_soft_deleted": T0}, frozenset(), DirectoryUser.PURGED),
        ({}, frozenset(), DirectoryUser.UNKNOWN),
        (
            {"when_soft_deleted": T0, "external_directory_object_id": USER},
            frozenset({USER}),
            DirectoryUser.IN_RECYCLE_BIN,
        ),
        ({"when_soft_deleted": T0, "external_directory_object_id": USER}, frozenset(), DirectoryUser.ACTIVE),
        ({"when_soft_deleted": T0, "external_directory_object_id": USER}, None, DirectoryUser.UNKNOWN),
        ({"licence_removed": True, "user_deleted_at": T0}, None, DirectoryUser.IN_RECYCLE_BIN),
        ({"licence_removed": True}, None, DirectoryUser.ACTIVE),
        ({"licence_removed": True, "external_directory_object_id": USER}, frozenset(), DirectoryUser.ACTIVE),
    ],
)
def test_directory_user(kw, deleted_ids, expected):
    assert directory_user_of(facts(**kw), deleted_ids) is expected


def test_orphaned_only_for_deleted_states_without_user():
    orphan = MailboxRecord(
        facts(when_soft_deleted=T0), MailboxState.SOFT_DELETED, DirectoryUser.PURGED, None, None
    )
    assert orphan.orphaned
    owned = MailboxRecord(
        facts(when_soft_deleted=T0, external_directory_object_id=USER),
        MailboxState.SOFT_DELETED,
        DirectoryUser.ACTIVE,
        None,
        None,
    )
    assert not owned.orphaned
    removed = MailboxRecord(
        facts(licence_removed=True), MailboxState.LICENCE_REMOVED, DirectoryUser.ACTIVE, None, None
    )
    assert not removed.orphaned


def test_notes_name_the_blockers():
    f = facts(when_soft_deleted=T0, external_directory_object_id=USER, is_dir_synced=True)
    notes = notes_for(f, MailboxState.SOFT_DELETED, DirectoryUser.IN_RECYCLE_BIN)
    assert any("recycle bin" in n for n in notes)
    assert any("writing scope" in n for n in notes)
    inactive = facts(when_soft_deleted=T0, is_inactive=True, holds=(Hold(HoldKind.EXCLUDED, "-mbx", "x"),))
    assert any(
        "no retaining hold" in n for n in notes_for(inactive, MailboxState.INACTIVE, DirectoryUser.PURGED)
    )
    assert notes_for(facts(licence_removed=True), MailboxState.LICENCE_REMOVED, DirectoryUser.ACTIVE)
