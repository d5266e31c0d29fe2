"""Graph write cmdlets called directly: users, the recycle bin, licences (§1.2, §3, KB 3158794)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_cmdlets_write import (  # type: ignore[import-not-found,unused-ignore]
    ALICE,
    BOB,
    CAROL,
    MALLORY,
    ON,
    SKU_E3,
    SKU_E5,
    USER_ALICE,
    USER_BOB,
    USER_CAROL,
    USER_HEIDI,
    USER_MALLORY,
    USER_OLIVIA,
    Harness,
    ok,
)

from orchestrator.sandbox.runtime import Hashtable, PSTerminatingError
from orchestrator.sandbox.tenant.model import MailboxState, UserState


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness(tmp_path / "tenant")
    yield harness
    harness.close()


def licence(sku: object) -> Hashtable:
    return Hashtable({"SkuId": str(sku)})


def test_remove_licensed_user_soft_deletes_the_mailbox(h: Harness) -> None:
    ok(h.run("Remove-MgUser", {"UserId": str(USER_ALICE)}, parameter_set="Delete"))
    assert h.model.users[USER_ALICE].state is UserState.RECYCLE_BIN
    assert h.state(ALICE) is MailboxState.SOFT_DELETED


def test_remove_held_user_makes_the_mailbox_inactive_and_passthru(h: Harness) -> None:
    rt = ok(h.run("Remove-MgUser", {"UserId": "bob@contoso.com", "PassThru": ON}, parameter_set="Delete"))
    assert rt.output == [True] and h.state(BOB) is MailboxState.INACTIVE


def test_remove_unknown_user_is_request_resource_not_found(h: Harness) -> None:
    rt = h.run("Remove-MgUser", {"UserId": "nobody@contoso.com"}, parameter_set="Delete")
    assert rt.error.fq_error_id == (
        "Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.RemoveMgUser_Delete"
    )
    assert rt.error.message.startswith("Resource 'nobody@contoso.com' does not exist")


def test_remove_dirsynced_user_is_row_13(h: Harness) -> None:
    rt = h.run("Remove-MgUser", {"UserId": str(USER_OLIVIA)}, parameter_set="Delete")
    assert "on-premises mastered Directory Sync objects" in rt.error.message


def test_graph_cmdlets_fail_before_connect(h: Harness) -> None:
    h.session.graph_connected = False
    rt = h.run("Remove-MgUser", {"UserId": str(USER_ALICE)}, parameter_set="Delete")
    assert rt.error.message == "Authentication needed. Please call Connect-MgGraph."


def test_explicit_confirm_on_graph_cmdlet_fails_the_prompt(h: Harness) -> None:
    with pytest.raises(PSTerminatingError):
        h.run("Remove-MgUser", {"UserId": str(USER_ALICE), "Confirm": ON}, parameter_set="Delete")
    assert h.model.users[USER_ALICE].state is UserState.ACTIVE


def test_purge_user_leaves_an_orphan_soft_deleted_mailbox(h: Harness) -> None:
    ok(h.run("Remove-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_CAROL)}, parameter_set="Delete"))
    mbx = h.model.mailboxes[CAROL]
    assert mbx.state is MailboxState.SOFT_DELETED and mbx.external_directory_object_id is None
    assert h.model.users[USER_CAROL].state is UserState.PURGED


def test_purge_of_active_user_is_not_found(h: Harness) -> None:
    rt = h.run(
        "Remove-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_ALICE)}, parameter_set="Delete"
    )
    assert rt.error.fq_error_id.endswith("RemoveMgDirectoryDeletedItem_Delete")
    assert rt.error.fq_error_id.startswith("Request_ResourceNotFound,")


def test_restore_user_reconnects_licensed_mailbox(h: Harness) -> None:
    rt = ok(
        h.run(
            "Restore-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_CAROL)}, parameter_set="Restore"
        )
    )
    assert rt.output[0].get("Id") == str(USER_CAROL)
    assert h.state(CAROL) is MailboxState.ACTIVE
    assert h.model.users[USER_CAROL].state is UserState.ACTIVE


def test_restore_with_proxy_conflict_needs_auto_reconcile(h: Harness) -> None:
    model = h.model
    with h.tenant.transaction() as m:
        alice = m.mailboxes[ALICE]
        alice.email_addresses = [*alice.email_addresses, "smtp:carol@contoso.com"]
        m.touch(alice)
    del model
    rt = h.run(
        "Restore-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_CAROL)}, parameter_set="Restore"
    )
    assert rt.error.message.startswith("Another object with the same value for property proxyAddresses")
    assert h.model.users[USER_CAROL].state is UserState.RECYCLE_BIN
    body = Hashtable({"autoReconcileProxyConflict": True})
    ok(
        h.run(
            "Restore-MgDirectoryDeletedItem",
            {"DirectoryObjectId": str(USER_CAROL), "BodyParameter": body},
            parameter_set="Restore",
        )
    )
    carol = h.model.mailboxes[CAROL]
    assert carol.state is MailboxState.ACTIVE
    assert all("carol@contoso.com" not in a.lower() for a in carol.email_addresses)


def test_restore_after_30_days_is_not_found(h: Harness) -> None:
    h.advance(days=26)
    rt = h.run(
        "Restore-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_CAROL)}, parameter_set="Restore"
    )
    assert rt.error.fq_error_id.startswith("Request_ResourceNotFound,")


def test_restore_user_of_inactive_mailbox_keeps_held_mailbox_reconnected(h: Harness) -> None:
    ok(
        h.run(
            "Restore-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_HEIDI)}, parameter_set="Restore"
        )
    )
    assert h.model.users[USER_HEIDI].state is UserState.ACTIVE


def test_removing_group_licence_is_row_16(h: Harness) -> None:
    rt = h.run(
        "Set-MgUserLicense",
        {"UserId": str(USER_ALICE), "AddLicenses": [], "RemoveLicenses": [str(SKU_E3)]},
        parameter_set="AssignExpanded",
    )
    assert rt.error.message.startswith(
        "User license is inherited from a group membership and it cannot be removed directly from the user."
    )


def test_licence_call_needs_both_lists(h: Harness) -> None:
    rt = h.run(
        "Set-MgUserLicense",
        {"UserId": str(USER_BOB), "RemoveLicenses": [str(SKU_E5)]},
        parameter_set="AssignExpanded",
    )
    assert "Invalid value specified for property 'addLicenses'" in rt.error.message


def test_kb3158794_licence_removal_disconnects_and_relicensing_reconnects(h: Harness) -> None:
    ok(
        h.run(
            "Set-MgUserLicense",
            {"UserId": str(USER_BOB), "AddLicenses": [], "RemoveLicenses": [str(SKU_E5)]},
            parameter_set="AssignExpanded",
        )
    )
    assert h.state(BOB) is MailboxState.DISCONNECTED
    rt = ok(
        h.run(
            "Set-MgUserLicense",
            {"UserId": str(USER_BOB), "AddLicenses": [licence(SKU_E5)], "RemoveLicenses": []},
            parameter_set="AssignExpanded",
        )
    )
    assert rt.output[0].get("Id") == str(USER_BOB)
    assert h.state(BOB) is MailboxState.DISCONNECTED  # provisioning delay
    h.advance(minutes=10)
    assert h.state(BOB) is MailboxState.ACTIVE


def test_relicensing_mallory_within_grace_reconnects(h: Harness) -> None:
    ok(
        h.run(
            "Set-MgUserLicense",
            {
                "UserId": str(USER_MALLORY),
                "BodyParameter": Hashtable({"addLicenses": [licence(SKU_E5)], "removeLicenses": []}),
            },
            parameter_set="Assign",
        )
    )
    h.advance(minutes=10)
    assert h.state(MALLORY) is MailboxState.ACTIVE


def test_unknown_sku_and_not_assigned_licence(h: Harness) -> None:
    rt = h.run(
        "Set-MgUserLicense",
        {
            "UserId": str(USER_BOB),
            "AddLicenses": [licence("00000000-0000-0000-0000-000000000001")],
            "RemoveLicenses": [],
        },
        parameter_set="AssignExpanded",
    )
    assert "does not correspond to a valid company License" in rt.error.message
    rt = h.run(
        "Set-MgUserLicense",
        {"UserId": str(USER_BOB), "AddLicenses": [], "RemoveLicenses": [str(SKU_E3)]},
        parameter_set="AssignExpanded",
    )
    assert rt.error.message.startswith("User does not have a corresponding license.")


def test_new_and_update_user(h: Harness) -> None:
    rt = ok(
        h.run(
            "New-MgUser",
            {
                "AccountEnabled": True,
                "DisplayName": "Zed",
                "MailNickname": "zed",
                "UserPrincipalName": "zed@contoso.com",
                "PasswordProfile": Hashtable({"Password": "x"}),
            },
            parameter_set="CreateExpanded",
        )
    )
    zed = rt.output[0].get("Id")
    ok(h.run("Update-MgUser", {"UserId": zed, "DisplayName": "Zed Z"}, parameter_set="UpdateExpanded"))
    assert any(u.display_name == "Zed Z" for u in h.model.users.values())
    rt = h.run(
        "Update-MgUser", {"UserId": str(USER_OLIVIA), "DisplayName": "O"}, parameter_set="UpdateExpanded"
    )
    assert "on-premises mastered" in rt.error.message
    rt = h.run("New-MgUser", {"DisplayName": "Q"}, parameter_set="CreateExpanded")
    assert "accountEnabled" in rt.error.message
