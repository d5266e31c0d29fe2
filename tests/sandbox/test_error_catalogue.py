"""Every row of the reference's error catalogue (exchange-online-lifecycle.md §4) the sandbox models,
produced by a real cmdlet call with its exact text, exception type and FullyQualifiedErrorId form.

Out of scope here (see docs/sandbox/cmdlets-write.md "Error catalogue coverage"): row 8
(Disable-Mailbox is not simulated), row 9 (RPS micro-delay warning) and row 11 (RPS concurrent
shells) are legacy remote-PowerShell behaviours of the endpoint, row 15 needs directory sync, row
17 needs Graph mailbox endpoints that are not in the catalog. Rows 10 and 14 are raised by the host
from the fixture's service knobs; their factories are checked here and the host path end to end in
tests/sandbox/test_scenarios_write.py.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_cmdlets_write import (  # type: ignore[import-not-found,unused-ignore]
    DAVE,
    ERIN,
    GRACE,
    OFF,
    OLIVIA,
    ON,
    PASSWORD,
    SKU_E3,
    USER_ALICE,
    USER_CAROL,
    USER_OLIVIA,
    Harness,
)

from orchestrator.sandbox.cmdlets import errors
from orchestrator.sandbox.runtime import ErrorCategory, ErrorRecord, PSObject

WRITE_ERROR_FQ = re.compile(
    r"^\[Server=[A-Z0-9]+,RequestId=[0-9a-f-]{36},TimeStamp=[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} "
    r"\d{2}:\d{2}:\d{2} GMT\],Write-ErrorMessage$"
)
EX = "Microsoft.Exchange"


@pytest.fixture
def h(tmp_path: Path) -> Any:
    harness = Harness(tmp_path / "tenant")
    yield harness
    harness.close()


def exo(record: ErrorRecord, exception_type: str, text: str, activity: str) -> None:
    """The Write-ErrorMessage form: ``<code>|<type>|<text>``, fq id ``[Server=...],Write-ErrorMessage``."""
    code, etype, message = record.message.split("|", 2)
    assert re.fullmatch(r"Ex[0-9A-F]{6}", code)
    assert etype == exception_type == record.exception_type
    assert message == text
    assert WRITE_ERROR_FQ.match(record.fq_error_id), record.fq_error_id
    assert record.category is ErrorCategory.NotSpecified
    assert record.activity == activity


def graph(record: ErrorRecord, text: str, code: str, fq_suffix: str, status: str) -> None:
    assert record.message.startswith(text + "\n\nStatus: " + status + "\nErrorCode: " + code)
    assert record.fq_error_id == f"{code},Microsoft.Graph.PowerShell.Cmdlets.{fq_suffix}"


def purge(h: Harness, identity: object, **extra: Any) -> Any:
    return h.run("Remove-Mailbox", {"Identity": identity, "PermanentlyDelete": ON, "Confirm": OFF, **extra})


def test_row_1_matches_multiple_entries(h: Harness) -> None:
    rt = purge(h, "Soft Deleted Objects\\Frank Miller")
    exo(
        rt.error,
        f"{EX}.Configuration.Tasks.ManagementObjectAmbiguousException",
        "The operation couldn't be performed because 'Soft Deleted Objects\\Frank Miller' matches multiple "
        "entries.",
        "Remove-Mailbox",
    )


def test_row_2_there_is_a_soft_deleted_user(h: Harness) -> None:
    rt = purge(h, "carol@contoso.com")
    exo(
        rt.error,
        f"{EX}.Configuration.Tasks.TaskInvalidOperationException",
        "The operation couldn't be performed because there is a soft deleted user; please remove the soft "
        "deleted user and then try again",
        "Remove-Mailbox",
    )


def test_row_2_goes_away_once_the_user_is_purged(h: Harness) -> None:
    h.run("Remove-MgDirectoryDeletedItem", {"DirectoryObjectId": str(USER_CAROL)}, parameter_set="Delete")
    assert purge(h, "carol@contoso.com").errors == []


def test_row_3_outside_the_writing_scope(h: Harness) -> None:
    rt = purge(h, ERIN)
    exo(
        rt.error,
        f"{EX}.Data.Directory.ADScopeException",
        "The operation couldn't be performed because it is outside the writing scope of this server",
        "Remove-Mailbox",
    )
    exo(
        h.run("Remove-Mailbox", {"Identity": OLIVIA, "Confirm": OFF}).error,
        f"{EX}.Data.Directory.ADScopeException",
        "The operation couldn't be performed because it is outside the writing scope of this server",
        "Remove-Mailbox",
    )


def test_row_4_parameter_not_in_role_definition_when_purging_several(h: Harness) -> None:
    from test_cmdlets_write import FRANK1, Collected  # type: ignore[import-not-found,unused-ignore]

    rt = Collected()
    invocation = uuid.uuid4().hex  # one invocation (pipeline) for both calls, as the host stamps it
    for index, guid in enumerate((DAVE, FRANK1)):
        h.run(
            "Remove-Mailbox",
            {"Identity": PSObject({"ExchangeGuid": guid}), "PermanentlyDelete": ON, "Confirm": OFF},
            piped=True,
            runtime=rt,
            invocation_id=invocation,
            pipeline_index=index,
        )
    exo(
        rt.error,
        f"{EX}.Configuration.Tasks.ParameterNotInRoleException",
        'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet because it isn\'t '
        "present in the role definition for the current user. Check the management roles assigned to you, "
        "and try again.",
        "Remove-Mailbox",
    )


def test_row_5_on_hold(h: Harness) -> None:
    rt = purge(h, GRACE)
    exo(
        rt.error,
        f"{EX}.Management.Tasks.RecipientTaskException",
        "Mailbox is placed on Litigation Hold or In-Place Hold and cannot be deleted",
        "Remove-Mailbox",
    )


def test_row_6_managed_account_in_federated_namespace(h: Harness) -> None:
    rt = h.run(
        "New-Mailbox",
        {
            "InactiveMailbox": GRACE,
            "Name": "g2",
            "MicrosoftOnlineServicesID": "g2@fabrikam.com",
            "Password": PASSWORD,
        },
        parameter_set="MicrosoftOnlineServicesID",
    )
    exo(
        rt.error,
        f"{EX}.Management.Tasks.UserInputInvalidException",
        "The parameters passed to the cmdlet represent a managed account, which doesn't match the namespace "
        "state, which is federated.",
        "New-Mailbox",
    )


def test_row_7_not_found(h: Harness) -> None:
    rt = h.run("Remove-Mailbox", {"Identity": DAVE, "Confirm": OFF})  # soft-deleted, no -PermanentlyDelete
    text = rt.error.message.split("|", 2)[2]
    assert re.fullmatch(
        rf"The operation couldn't be performed because object '{DAVE}' couldn't be found on "
        r"'[A-Z0-9]+DC01\.[A-Z0-9]+\.prod\.outlook\.com'\.",
        text,
    )
    assert rt.error.message.startswith(
        f"Ex6F9304|{EX}.Configuration.Tasks.ManagementObjectNotFoundException|"
    )


def test_row_10_throttling_budget_factory(h: Harness) -> None:
    record = errors.throttled(h.session, "Remove-Mailbox", 5000)
    exo(
        record,
        f"{EX}.Data.Storage.OverBudgetException",
        "This operation exceeds the throttling budget for policy part 'LocalTime', policy value '3000000', "
        "Budget type: 'PowerShell'. Suggested backoff time 5000 ms.",
        "Remove-Mailbox",
    )


def test_row_12_dualwrite_on_dirsynced_mailbox(h: Harness) -> None:
    rt = h.run("Set-Mailbox", {"Identity": OLIVIA, "DisplayName": "Olivia O."})
    message = rt.text()
    assert message.startswith(
        "Error executing request. An Azure Active Directory call was made to keep object in sync between "
        "Azure Active Directory and Exchange Online. However, it failed. Detailed error message: Unable to "
        "update the specified properties for on-premises mastered Directory Sync objects or objects "
        "currently undergoing migration. DualWrite (Graph) RequestId: "
    )
    assert message.endswith(
        "The issue may be transient and please retry a couple of minutes later. If issue "
        "persists, please see exception members for more information."
    )


def test_row_13_graph_update_of_synced_user(h: Harness) -> None:
    rt = h.run(
        "Update-MgUser", {"UserId": str(USER_OLIVIA), "DisplayName": "x"}, parameter_set="UpdateExpanded"
    )
    graph(
        rt.error,
        "Unable to update the specified properties for on-premises mastered Directory Sync objects or "
        "objects currently undergoing migration.",
        "Request_BadRequest",
        "UpdateMgUser_UpdateExpanded",
        "400 (BadRequest)",
    )


def test_row_14_transient_rest_fault_factory(h: Harness) -> None:
    record = errors.rest_transient(h.session, "Get-EXOMailbox")
    assert record.message.startswith(
        'Error while querying REST service. HttpStatusCode=500 ErrorMessage={"error":'
        '{"code":"InternalServerError","message":"The call to Microsoft Exchange Active '
        "Directory Topology service"
    )
    assert record.exception_type == f"{EX}.Management.RestApiClient.RestClientException"
    exo(
        errors.rest_transient(h.session, "Remove-Mailbox"),
        f"{EX}.Data.Directory.ADTransientException",
        errors.rest_transient(h.session, "Remove-Mailbox").message.split("|", 2)[2],
        "Remove-Mailbox",
    )


def test_row_16_group_inherited_licence(h: Harness) -> None:
    rt = h.run(
        "Set-MgUserLicense",
        {"UserId": str(USER_ALICE), "AddLicenses": [], "RemoveLicenses": [str(SKU_E3)]},
        parameter_set="AssignExpanded",
    )
    graph(
        rt.error,
        "User license is inherited from a group membership and it cannot be removed directly from the user.",
        "Request_BadRequest",
        "SetMgUserLicense_AssignExpanded",
        "400 (BadRequest)",
    )


def test_graph_not_found_form(h: Harness) -> None:
    rt = h.run(
        "Remove-MgDirectoryDeletedItem",
        {"DirectoryObjectId": "00000000-0000-0000-0000-00000000beef"},
        parameter_set="Delete",
    )
    graph(
        rt.error,
        "Resource '00000000-0000-0000-0000-00000000beef' does not exist or one of its queried "
        "reference-property objects are not present.",
        "Request_ResourceNotFound",
        "RemoveMgDirectoryDeletedItem_Delete",
        "404 (NotFound)",
    )
    assert rt.error.category is ErrorCategory.ObjectNotFound
