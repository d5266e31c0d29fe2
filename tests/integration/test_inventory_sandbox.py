"""inventory end to end: templates -> real pypsrp client -> WinRM sandbox -> evaluator -> tenant."""

from __future__ import annotations

import pytest

from orchestrator.core.holds import HoldKind
from orchestrator.core.mailboxes import DirectoryUser, MailboxState
from orchestrator.inventory import run_inventory
from orchestrator.sandbox.embedded import read_audit_log
from orchestrator.session import PowerShellSession


@pytest.fixture(scope="module")
def inventory(sandbox):
    settings = sandbox.settings()
    with PowerShellSession(settings.winrm) as session:
        return run_inventory(session, settings.require_tenant())


def by_address(inventory):
    return {(r.facts.primary_smtp_address or r.facts.user_principal_name): r for r in inventory.records}


def test_every_reported_state_is_present(inventory):
    states = {r.state for r in inventory.records}
    assert {
        MailboxState.SOFT_DELETED,
        MailboxState.INACTIVE,
        MailboxState.FORMERLY_INACTIVE,
        MailboxState.LICENCE_REMOVED,
    } <= states
    assert MailboxState.ACTIVE not in states


def test_soft_deleted_mailboxes_have_deadlines(inventory):
    soft = [r for r in inventory.records if r.state is MailboxState.SOFT_DELETED]
    assert soft
    for record in soft:
        assert record.facts.exchange_guid is not None
        assert record.facts.when_soft_deleted is not None
        assert record.days_left is not None and 0 <= record.days_left <= 30


def test_holds_are_classified(inventory):
    kinds = {h.kind for r in inventory.records for h in r.facts.holds}
    assert {
        HoldKind.LITIGATION,
        HoldKind.EDISCOVERY_CASE,
        HoldKind.RETENTION_POLICY,
        HoldKind.EXCLUDED,
        HoldKind.LEGACY_IN_PLACE,
    } <= kinds


def test_orphans_and_users_in_the_recycle_bin(inventory):
    users = {r.directory_user for r in inventory.records if r.state is MailboxState.SOFT_DELETED}
    assert DirectoryUser.PURGED in users
    assert DirectoryUser.IN_RECYCLE_BIN in users
    assert any(r.orphaned for r in inventory.records)


def test_public_folder_mailbox_is_listed(inventory):
    assert any(r.facts.recipient_type_details == "PublicFolderMailbox" for r in inventory.records)


def test_ambiguous_names_are_both_listed_with_distinct_guids(inventory):
    franks = [r for r in inventory.records if r.facts.name == "Frank Miller"]
    assert len(franks) == 2
    assert franks[0].facts.exchange_guid != franks[1].facts.exchange_guid


def test_the_tenant_saw_a_read_only_run(sandbox, inventory):
    calls = {r["cmdlet"] for r in read_audit_log(sandbox.state_dir)}
    assert "Get-EXOMailbox" in calls
    assert not {c for c in calls if c.split("-")[0] in {"Remove", "Set", "New", "Undo", "Restore"}}
