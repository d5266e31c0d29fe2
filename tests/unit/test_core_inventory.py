"""The inventory parser: rows as the template emits them -> records; malformed rows -> clear errors."""

import datetime as dt
import json
import uuid

import pytest

from orchestrator.core.holds import HoldKind
from orchestrator.core.inventory import ObservationError, build_inventory
from orchestrator.core.mailboxes import DirectoryUser, MailboxState
from orchestrator.output import inventory_to_csv, inventory_to_json, inventory_to_table

NOW = "2026-03-01T00:00:00.0000000Z"
ORG_POLICY = "a" * 32
USER_A = "11111111-1111-1111-1111-111111111111"


def snapshot(**kw):
    return {
        "Kind": "Snapshot",
        "ObservedAt": NOW,
        "OrganizationInPlaceHolds": [f"mbx{ORG_POLICY}:2"],
        "DirectoryChecked": True,
        **kw,
    }


def mailbox(**kw):
    row = {
        "Kind": "Mailbox",
        "ExchangeGuid": str(uuid.uuid4()),
        "Name": "n",
        "DisplayName": "N",
        "DistinguishedName": "CN=n",
        "PrimarySmtpAddress": "n@contoso.com",
        "UserPrincipalName": "n@contoso.com",
        "RecipientTypeDetails": "UserMailbox",
        "WhenSoftDeleted": "2026-02-20T00:00:00.0000000Z",
        "IsInactiveMailbox": False,
        "WasInactiveMailbox": False,
        "InactiveMailboxRetireTime": None,
        "ExternalDirectoryObjectId": "",
        "IsDirSynced": False,
        "LitigationHoldEnabled": False,
        "InPlaceHolds": [f"-mbx{ORG_POLICY}"],
        "ComplianceTagHoldApplied": False,
        "DelayHoldApplied": False,
        "DelayReleaseHoldApplied": False,
    }
    row.update(kw)
    return row


def deleted_user(**kw):
    return {
        "Kind": "DeletedUser",
        "Id": USER_A,
        "UserPrincipalName": "a@contoso.com",
        "Mail": "a@contoso.com",
        "DisplayName": "A",
        "DeletedDateTime": "2026-02-25T00:00:00Z",
        "OnPremisesSyncEnabled": False,
        **kw,
    }


def test_soft_deleted_orphan_with_days_left():
    inv = build_inventory([snapshot(), mailbox()])
    (record,) = inv.records
    assert record.state is MailboxState.SOFT_DELETED
    assert record.days_left == 21  # 2026-02-20 + 30 days = 2026-03-22, observed 2026-03-01
    assert record.orphaned and record.directory_user is DirectoryUser.PURGED
    assert inv.observed_at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_org_wide_policy_applies_unless_excluded():
    excluded = build_inventory([snapshot(), mailbox()]).records[0]
    assert [h.kind for h in excluded.facts.holds] == [HoldKind.EXCLUDED]
    held = build_inventory([snapshot(), mailbox(InPlaceHolds=[])]).records[0]
    assert [h.kind for h in held.facts.holds] == [HoldKind.ORG_RETENTION_POLICY]
    assert held.blocking_holds


def test_user_in_recycle_bin_is_linked_not_listed_twice():
    rows = [snapshot(), mailbox(ExternalDirectoryObjectId=USER_A), deleted_user()]
    (record,) = build_inventory(rows).records
    assert record.directory_user is DirectoryUser.IN_RECYCLE_BIN
    assert not record.orphaned


def test_deleted_user_without_mailbox_is_licence_removed_user_deleted():
    (record,) = build_inventory([snapshot(), deleted_user()]).records
    assert record.state is MailboxState.LICENCE_REMOVED_USER_DELETED
    assert record.days_left == 26
    assert record.facts.exchange_guid is None


def test_deleted_user_without_mail_is_ignored():
    assert build_inventory([snapshot(), deleted_user(Mail="")]).records == ()


def test_licence_removed_user():
    row = {
        "Kind": "LicenceRemovedUser",
        "UserPrincipalName": "l@contoso.com",
        "DisplayName": "L",
        "ExternalDirectoryObjectId": USER_A,
        "IsDirSynced": True,
        "WhenChanged": NOW,
    }
    (record,) = build_inventory([snapshot(), row]).records
    assert record.state is MailboxState.LICENCE_REMOVED
    assert record.days_left is None and record.directory_user is DirectoryUser.ACTIVE


def test_inactive_and_formerly_inactive():
    rows = [
        snapshot(),
        mailbox(IsInactiveMailbox=True, LitigationHoldEnabled=True, PrimarySmtpAddress="i@contoso.com"),
        mailbox(
            WasInactiveMailbox=True,
            InactiveMailboxRetireTime="2026-01-01T00:00:00Z",
            PrimarySmtpAddress="f@contoso.com",
        ),
    ]
    by_address = {r.facts.primary_smtp_address: r for r in build_inventory(rows).records}
    assert by_address["i@contoso.com"].state is MailboxState.INACTIVE
    assert by_address["i@contoso.com"].days_left is None
    assert by_address["f@contoso.com"].state is MailboxState.FORMERLY_INACTIVE
    assert by_address["f@contoso.com"].days_left == 124  # 2026-01-01 + 183 d = 2026-07-03


def test_directory_not_checked_gives_unknown_user():
    (record,) = build_inventory(
        [snapshot(DirectoryChecked=False), mailbox(ExternalDirectoryObjectId=USER_A)]
    ).records
    assert record.directory_user is DirectoryUser.UNKNOWN


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([mailbox()], "no Snapshot"),
        ([snapshot(ObservedAt=None)], "no ObservedAt"),
        ([snapshot(), {"Kind": "Weird"}], "unknown Kind"),
        ([snapshot(), "text"], "not an object"),
        ([snapshot(), {k: v for k, v in mailbox().items() if k != "IsDirSynced"}], "lacks 'IsDirSynced'"),
        ([snapshot(), mailbox(IsDirSynced="True")], "should be true/false"),
        ([snapshot(), mailbox(ExchangeGuid="nope")], "is not a GUID"),
        ([snapshot(), mailbox(WhenSoftDeleted="01/02/2026 10:00:00")], "not an ISO 8601 date"),
        ([snapshot(), mailbox(InPlaceHolds=[1])], "list of text"),
    ],
)
def test_malformed_rows_are_refused(rows, fragment):
    with pytest.raises(ObservationError, match=fragment):
        build_inventory(rows)


def test_single_string_holds_are_accepted_as_one_entry():
    (record,) = build_inventory(
        [snapshot(OrganizationInPlaceHolds=[]), mailbox(InPlaceHolds=f"mbx{'b' * 32}:2")]
    ).records
    assert [h.policy_id for h in record.facts.holds] == ["b" * 32]


def test_outputs_render_every_format():
    rows = [snapshot(), mailbox(PrimarySmtpAddress="x@contoso.com"), deleted_user()]
    inv = build_inventory(rows)
    data = json.loads(inventory_to_json(inv))
    assert isinstance(data, list) and len(data) == 2
    for key in (
        "exchange_guid",
        "primary_smtp_address",
        "state",
        "when_soft_deleted",
        "external_directory_object_id",
        "holds",
        "days_left",
        "orphaned",
    ):
        assert key in data[0]
    assert data[0]["when_soft_deleted"] is None or data[0]["when_soft_deleted"].endswith("Z")
    csv_text = inventory_to_csv(inv)
    assert csv_text.splitlines()[0].startswith("exchange_guid,primary_smtp_address")
    assert len(csv_text.splitlines()) == 3
    table = inventory_to_table(inv)
    assert "x@contoso.com" in table and "2 mailbox(es)" in table
