"""Exchange write cmdlets called directly (no endpoint): one test per transition and per refusal.

The harness (``Harness``) opens the showcase tenant in a temporary directory, builds a connected
``SessionState`` and calls a registered cmdlet with a hand-built ``CmdletCall`` inside one tenant
transaction, as the host does; ``Collected`` gathers what it writes. Other write-side test modules
import it from here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sandbox_streams import CollectingRuntime

import orchestrator.sandbox.cmdlets.compliance
import orchestrator.sandbox.cmdlets.exchange_write
import orchestrator.sandbox.cmdlets.graph_write
import orchestrator.sandbox.cmdlets.restore_requests  # noqa: F401  (registers the write cmdlets)
from orchestrator.sandbox.cmdlets.registry import SessionState, lookup
from orchestrator.sandbox.embedded import showcase_fixture
from orchestrator.sandbox.runtime import CmdletCall, PSObject, PSTerminatingError, SecureString
from orchestrator.sandbox.runtime import SwitchParameter as Sw
from orchestrator.sandbox.tenant.model import MailboxState, TenantModel, UserState
from orchestrator.sandbox.tenant.service import Tenant

ON, OFF = Sw(True), Sw(False)
PASSWORD = SecureString("P@ssw0rd-placeholder")

# Showcase fixture objects (orchestrator/sandbox/fixtures/showcase.json).
ALICE = uuid.UUID("a8a9669b-5486-520f-b341-9ec8093a27bb")  # active, group-licensed
BOB = uuid.UUID("e676e887-b1d8-5738-8b28-5214929ced1a")  # active, Litigation Hold
OLIVIA = uuid.UUID("ef074f6a-ef26-5306-b0ca-628379112dd6")  # active, dir-synced
CAROL = uuid.UUID("efa63057-8b46-569c-babb-c17ae64b8902")  # soft-deleted, user in recycle bin
DAVE = uuid.UUID("b340a699-81c1-50ff-942f-76ecaf244ec3")  # soft-deleted, user purged (orphan)
ERIN = uuid.UUID("3f18f86a-c0b6-52d3-b400-03b45c43b7ee")  # soft-deleted, dir-synced user in bin
FRANK1 = uuid.UUID("53dda549-c0c6-5261-b75c-0631e7870fad")  # two soft-deleted "Frank Miller"
FRANK2 = uuid.UUID("c52d9747-9a41-5bbc-a734-704a7a2a67a8")
PF = uuid.UUID("69bcb906-2e76-5b3b-a6c6-935ba3fbbc20")  # soft-deleted public folder mailbox
GRACE = uuid.UUID("caaaf1ff-8399-5baf-b3b9-e75ae9c16a47")  # inactive, Litigation Hold
HEIDI = uuid.UUID("9acf9520-0171-50b0-be4b-e70fcbbe9cf5")  # inactive, case hold, user in bin
IVAN = uuid.UUID("19559046-9147-5061-bd7c-595addde07d6")  # inactive, specific retention policy
JUDY = uuid.UUID("53649bb1-0880-5ec6-984e-f2dc2c6ad7aa")  # inactive, delay holds only
KEN = uuid.UUID("6252e3c8-4522-5fde-bd55-bc4ea236601b")  # inactive, legacy hold, auto-expanding
LEO = uuid.UUID("a1821a9e-5501-5817-a1fd-19f3b495ac14")  # formerly inactive
MALLORY = uuid.UUID("f6bc288b-2350-5bb1-a8cb-b1fcfe523101")  # disconnected (licence removed)
USER_ALICE = uuid.UUID("63b11f5f-6010-5127-91b3-b6bc92a10bdc")
USER_BOB = uuid.UUID("db01946a-1d7a-5b77-8751-d3ca720e1994")
USER_CAROL = uuid.UUID("bd141da1-f135-53fd-92f9-f21d8a8593e3")
USER_HEIDI = uuid.UUID("bc80fe1b-4c37-5b10-a459-46a8c5d0b325")
USER_MALLORY = uuid.UUID("9979b5c2-7439-5d86-8b5d-0f1e1622be8a")
USER_OLIVIA = uuid.UUID("68d96568-f2da-5b44-b0b1-a2f513d07cd9")
SKU_E5 = uuid.UUID("d5a5f698-61eb-5b39-a0a2-48d71bfd65a6")
SKU_E3 = uuid.UUID("4973f1dd-a9f0-5260-9769-1b5a594acc7f")
CASE = uuid.UUID("d96e629c-5c33-5388-92f7-e1397cd33c7b")
ORG_POLICY = uuid.UUID("f062d730-3d6b-5918-a767-5e248cad5de6")
EXEC_POLICY = uuid.UUID("6d537d57-bbb0-5cf5-8040-bee859588ba1")
NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"


Collected = CollectingRuntime  # the name the write-side tests import


class Harness:
    def __init__(self, state_dir: Path) -> None:
        self.tenant = Tenant.init(state_dir, showcase_fixture())
        self.session = SessionState(
            tenant=self.tenant,
            pool_id="pool",
            username="tester",
            exo_connected=True,
            graph_connected=True,
            ipps_connected=True,
        )

    def run(
        self,
        name: str,
        bound: dict[str, Any],
        *,
        piped: bool = False,
        runtime: Collected | None = None,
        parameter_set: str = "Default",
        invocation_id: str | None = None,
        pipeline_index: int = 0,
    ) -> Collected:
        """One call, inside one transaction (the host's contract). Calls meant as one command
        invocation (one pipeline) share an ``invocation_id``, as the host stamps them."""
        entry = lookup(name)
        assert entry is not None, name
        rt = runtime or Collected()
        call = CmdletCall(entry.name, dict(bound), parameter_set, piped, invocation_id, pipeline_index)
        with self.tenant.transaction():
            entry.impl(call, rt, self.session)
        return rt

    @property
    def model(self) -> TenantModel:
        with self.tenant.transaction() as model:
            return model

    def state(self, guid: uuid.UUID) -> MailboxState:
        return self.model.mailboxes[guid].state

    def advance(self, **kw: float) -> None:
        self.tenant.advance(timedelta(**kw))

    def close(self) -> None:
        self.tenant.close()


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness(tmp_path / "tenant")
    yield harness
    harness.close()


def ok(rt: Collected) -> Collected:
    assert rt.errors == [], [e.message for e in rt.errors]
    return rt


# --------------------------------------------------------------------------- Remove-Mailbox


def test_remove_mailbox_soft_deletes_and_moves_user_to_recycle_bin(h: Harness) -> None:
    ok(h.run("Remove-Mailbox", {"Identity": "alice@contoso.com", "Confirm": OFF}))
    mbx = h.model.mailboxes[ALICE]
    assert mbx.state is MailboxState.SOFT_DELETED and mbx.is_soft_deleted_by_remove
    assert h.model.users[USER_ALICE].state is UserState.RECYCLE_BIN


def test_remove_mailbox_on_hold_makes_it_inactive(h: Harness) -> None:
    ok(h.run("Remove-Mailbox", {"Identity": BOB, "Force": ON}))
    assert h.state(BOB) is MailboxState.INACTIVE


def test_remove_mailbox_without_confirm_false_fails_the_prompt_and_changes_nothing(h: Harness) -> None:
    with pytest.raises(PSTerminatingError) as info:
        h.run("Remove-Mailbox", {"Identity": "alice@contoso.com"})
    record = info.value.record
    assert record.fq_error_id == "HostFunctionNotImplemented,Remove-Mailbox"
    assert record.exception_type == "System.Management.Automation.Host.HostException"
    assert record.message.startswith("A command that prompts the user failed because the host program")
    assert h.state(ALICE) is MailboxState.ACTIVE


def test_explicit_confirm_prompts_even_with_force(h: Harness) -> None:
    with pytest.raises(PSTerminatingError):
        h.run("Remove-Mailbox", {"Identity": "alice@contoso.com", "Force": ON, "Confirm": ON})
    assert h.state(ALICE) is MailboxState.ACTIVE


def test_whatif_changes_nothing_and_writes_nothing(h: Harness) -> None:
    rt = ok(h.run("Remove-Mailbox", {"Identity": DAVE, "PermanentlyDelete": ON, "WhatIf": ON}))
    assert rt.output == [] and rt.warnings == []
    assert h.state(DAVE) is MailboxState.SOFT_DELETED


def test_whatif_still_reports_refusals(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": GRACE, "PermanentlyDelete": ON, "WhatIf": ON})
    assert "Litigation Hold" in rt.text()


def test_permanently_delete_purges_an_orphan(h: Harness) -> None:
    ok(h.run("Remove-Mailbox", {"Identity": DAVE, "PermanentlyDelete": ON, "Confirm": OFF}))
    assert h.state(DAVE) is MailboxState.PURGED


def test_permanently_delete_refuses_active_mailbox(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": ALICE, "PermanentlyDelete": ON, "Confirm": OFF})
    assert rt.error.exception_type == NOT_FOUND
    assert h.state(ALICE) is MailboxState.ACTIVE


def test_public_folder_mailbox_needs_the_switch(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": "PF-Archive", "PermanentlyDelete": ON, "Confirm": OFF})
    assert rt.error.exception_type == NOT_FOUND
    ok(
        h.run(
            "Remove-Mailbox",
            {"Identity": "PF-Archive", "PermanentlyDelete": ON, "PublicFolder": ON, "Confirm": OFF},
        )
    )
    assert h.state(PF) is MailboxState.PURGED


def test_soft_deleted_mailbox_is_not_found_without_permanently_delete(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": DAVE, "Confirm": OFF})
    assert rt.error.exception_type == NOT_FOUND
    assert "couldn't be found" in rt.text()


def test_piped_object_resolves_by_exchange_guid(h: Harness) -> None:
    piped = PSObject({"Identity": "Soft Deleted Objects\\Frank Miller", "ExchangeGuid": FRANK2}, adapted=True)
    ok(h.run("Remove-Mailbox", {"Identity": piped, "PermanentlyDelete": ON, "Confirm": OFF}, piped=True))
    assert h.state(FRANK2) is MailboxState.PURGED and h.state(FRANK1) is MailboxState.SOFT_DELETED


def test_second_purge_in_one_pipeline_needs_the_disconnect_parameter(h: Harness) -> None:
    """§4 row 4 as modelled: the showcase's role lacks ``Disconnect``, so a pipeline purging two
    mailboxes fails on the second; purging them one command at a time works."""
    rt = Collected()
    invocation = uuid.uuid4().hex
    for index, guid in enumerate((DAVE, FRANK1)):
        h.run(
            "Remove-Mailbox",
            {"Identity": PSObject({"ExchangeGuid": guid}), "PermanentlyDelete": ON, "Confirm": OFF},
            piped=True,
            runtime=rt,
            invocation_id=invocation,
            pipeline_index=index,
        )
    assert h.state(DAVE) is MailboxState.PURGED and h.state(FRANK1) is MailboxState.SOFT_DELETED
    assert rt.error.activity == "Remove-Mailbox" and '"Disconnect" parameter' in rt.error.message
    ok(h.run("Remove-Mailbox", {"Identity": FRANK1, "PermanentlyDelete": ON, "Confirm": OFF}))
    assert h.state(FRANK1) is MailboxState.PURGED


def test_purges_are_counted_per_invocation_not_per_stream_object(h: Harness) -> None:
    """Piped calls of different invocations never add up, even when they write to one stream
    object; a call without an invocation id (not made by the host) counts on its own."""
    rt = Collected()
    for guid, invocation in ((DAVE, uuid.uuid4().hex), (FRANK1, uuid.uuid4().hex), (FRANK2, None)):
        h.run(
            "Remove-Mailbox",
            {"Identity": PSObject({"ExchangeGuid": guid}), "PermanentlyDelete": ON, "Confirm": OFF},
            piped=True,
            runtime=rt,
            invocation_id=invocation,
        )
    ok(rt)
    assert {h.state(g) for g in (DAVE, FRANK1, FRANK2)} == {MailboxState.PURGED}


def test_rbac_parameter_not_in_role(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": DAVE, "PermanentlyDelete": ON, "Migration": ON, "Confirm": OFF})
    assert '"Migration" parameter can\'t be used on the "Remove-Mailbox" cmdlet' in rt.text()
    assert h.state(DAVE) is MailboxState.SOFT_DELETED


# --------------------------------------------------------------------------- Undo-SoftDeletedMailbox


def test_undo_restores_mailbox_and_its_user_from_the_recycle_bin(h: Harness) -> None:
    rt = ok(h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": "carol@contoso.com"}))
    assert h.state(CAROL) is MailboxState.ACTIVE
    assert h.model.users[USER_CAROL].state is UserState.ACTIVE
    (out,) = rt.output
    assert out.get("ExchangeGuid") == CAROL


def test_undo_with_user_gone_requires_windows_live_id_and_password(h: Harness) -> None:
    with pytest.raises(PSTerminatingError) as info:
        h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": DAVE})
    assert info.value.record.fq_error_id == "MissingMandatoryParameter,Undo-SoftDeletedMailbox"
    with pytest.raises(PSTerminatingError):
        h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": DAVE, "WindowsLiveID": "dave.new@contoso.com"})
    ok(
        h.run(
            "Undo-SoftDeletedMailbox",
            {"SoftDeletedObject": DAVE, "WindowsLiveID": "dave.new@contoso.com", "Password": PASSWORD},
        )
    )
    mbx = h.model.mailboxes[DAVE]
    assert mbx.state is MailboxState.ACTIVE and mbx.primary_smtp_address == "dave.new@contoso.com"
    assert "smtp:dave@contoso.com" in mbx.email_addresses  # the old id is kept as a proxy (§2.6)


def test_undo_refuses_inactive_and_active_mailboxes(h: Harness) -> None:
    rt = h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": GRACE})
    assert "inactive mailbox" in rt.text()
    assert h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": ALICE}).error.exception_type == NOT_FOUND


def test_undo_refuses_a_taken_name(h: Harness) -> None:
    rt = h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": CAROL, "Name": "Alice Adams"})
    assert "already" in rt.text() and h.state(CAROL) is MailboxState.SOFT_DELETED


def test_undo_after_30_days_finds_nothing(h: Harness) -> None:
    h.advance(days=26)  # Carol was soft-deleted 5 days before the fixture start: purged on day 25
    rt = h.run("Undo-SoftDeletedMailbox", {"SoftDeletedObject": CAROL})
    assert rt.error.exception_type == NOT_FOUND and h.state(CAROL) is MailboxState.PURGED


# --------------------------------------------------------------------------- New-Mailbox -InactiveMailbox


def recover(h: Harness, source: object, mosid: str = "placeholder1@contoso.com", **extra: Any) -> Collected:
    bound = {
        "InactiveMailbox": source,
        "Name": "placeholder1",
        "MicrosoftOnlineServicesID": mosid,
        "Password": PASSWORD,
        "ResetPasswordOnNextLogon": True,
        **extra,
    }
    return h.run("New-Mailbox", bound, parameter_set="MicrosoftOnlineServicesID")


def test_recover_inactive_mailbox_to_new_user(h: Harness) -> None:
    rt = ok(recover(h, GRACE, FirstName="Grace", LastName="Green"))
    mbx = h.model.mailboxes[GRACE]
    assert mbx.state is MailboxState.ACTIVE and mbx.primary_smtp_address == "placeholder1@contoso.com"
    assert not mbx.holds.litigation_hold_enabled  # Litigation Hold removed (§1.2 "Recovering")
    assert mbx.retain_deleted_items_for_days == 30 and mbx.retention_hold_until is not None
    assert rt.warnings and "30 days" in rt.warnings[0]
    assert rt.output[0].get("DisplayName") == "Grace Green"


def test_recover_unlocked_retention_policy_turns_litigation_hold_on(h: Harness) -> None:
    ok(recover(h, IVAN))
    mbx = h.model.mailboxes[IVAN]
    assert mbx.holds.litigation_hold_enabled and mbx.holds.in_place_holds == []


def test_recover_orphan_soft_deleted_mailbox_placeholder_fallback(h: Harness) -> None:
    ok(recover(h, DAVE))
    assert h.state(DAVE) is MailboxState.ACTIVE


def test_recover_refused_while_soft_delete_period_runs(h: Harness) -> None:
    rt = recover(h, HEIDI)  # user still in the recycle bin: ExternalDirectoryObjectId set
    assert "Restore the user account instead" in rt.text()


def test_recover_refused_for_auto_expanding_archive(h: Harness) -> None:
    assert "auto-expanding archive" in recover(h, KEN).text()


def test_recover_in_federated_domain_is_row_6(h: Harness) -> None:
    rt = recover(h, GRACE, mosid="grace@fabrikam.com")
    assert rt.error.exception_type == "Microsoft.Exchange.Management.Tasks.UserInputInvalidException"
    assert h.state(GRACE) is MailboxState.INACTIVE


def test_recover_refuses_used_name_and_sign_in(h: Harness) -> None:
    assert recover(h, GRACE, mosid="alice@contoso.com").errors
    assert h.run(
        "New-Mailbox",
        {
            "InactiveMailbox": GRACE,
            "Name": "Alice Adams",
            "MicrosoftOnlineServicesID": "x1@contoso.com",
            "Password": PASSWORD,
        },
    ).errors
    assert h.state(GRACE) is MailboxState.INACTIVE


def test_recover_requires_password(h: Harness) -> None:
    with pytest.raises(PSTerminatingError) as info:
        h.run("New-Mailbox", {"InactiveMailbox": GRACE, "Name": "g"})
    assert info.value.record.fq_error_id == "MissingMandatoryParameter,New-Mailbox"


def test_new_mailbox_without_inactive_mailbox_is_not_simulated(h: Harness) -> None:
    rt = h.run("New-Mailbox", {"Name": "x", "Shared": ON})
    assert rt.error.fq_error_id == "SandboxNotImplemented,New-Mailbox"


# --------------------------------------------------------------------------- Set-Mailbox holds


def test_release_litigation_hold_stamps_delay_holds_then_formerly_inactive(h: Harness) -> None:
    ok(h.run("Set-Mailbox", {"Identity": GRACE, "InactiveMailbox": ON, "LitigationHoldEnabled": False}))
    mbx = h.model.mailboxes[GRACE]
    assert mbx.state is MailboxState.INACTIVE
    assert mbx.holds.delay_hold_applied and mbx.holds.delay_release_hold_applied
    h.advance(days=30)
    mbx = h.model.mailboxes[GRACE]
    assert mbx.state is MailboxState.FORMERLY_INACTIVE and mbx.inactive_mailbox_retire_time is not None


def test_clearing_delay_holds_releases_at_once(h: Harness) -> None:
    ok(h.run("Set-Mailbox", {"Identity": GRACE, "InactiveMailbox": ON, "LitigationHoldEnabled": False}))
    ok(h.run("Set-Mailbox", {"Identity": GRACE, "InactiveMailbox": ON, "RemoveDelayHoldApplied": ON}))
    assert h.state(GRACE) is MailboxState.INACTIVE
    ok(h.run("Set-Mailbox", {"Identity": GRACE, "InactiveMailbox": ON, "RemoveDelayReleaseHoldApplied": ON}))
    assert h.state(GRACE) is MailboxState.FORMERLY_INACTIVE


def test_inactive_mailbox_needs_the_switch(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": GRACE, "LitigationHoldEnabled": False})
    assert rt.error.exception_type == NOT_FOUND
    assert h.model.mailboxes[GRACE].holds.litigation_hold_enabled


def test_active_mailbox_litigation_hold_off_stamps_delay_holds(h: Harness) -> None:
    ok(h.run("Set-Mailbox", {"Identity": "bob@contoso.com", "LitigationHoldEnabled": False}))
    holds = h.model.mailboxes[BOB].holds
    assert not holds.litigation_hold_enabled and holds.delay_hold_applied


def test_exclude_from_org_holds_is_for_inactive_mailboxes_only(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": ALICE, "ExcludeFromOrgHolds": [str(ORG_POLICY)]})
    assert "only be used with inactive mailboxes" in rt.text()


def test_exclude_from_org_holds_rejects_bad_guid(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": GRACE, "InactiveMailbox": ON, "ExcludeFromOrgHolds": ["mbxabc:2"]})
    assert "isn't a valid retention policy GUID" in rt.text()


def test_compliance_tag_hold_on_active_needs_consent(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": ALICE, "RemoveComplianceTagHoldApplied": ON})
    assert "ProvideConsent" in rt.text()
    ok(h.run("Set-Mailbox", {"Identity": ALICE, "RemoveComplianceTagHoldApplied": ON, "ProvideConsent": ON}))


def test_set_mailbox_other_parameters_are_not_simulated(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": ALICE, "DisplayName": "x"})
    assert rt.error.fq_error_id == "SandboxNotImplemented,Set-Mailbox"
