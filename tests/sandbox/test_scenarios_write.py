"""Write-side scenarios end to end: pypsrp client -> WinRM endpoint -> evaluator -> host -> cmdlets.

Each scenario runs the very kind of script the orchestrator renders (values through ``param()``)
against an in-process sandbox, and checks the tenant through the Get-* cmdlets and the audit log.
Simulated time moves with ``advance_clock`` (what ``sandbox advance`` does), never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import orchestrator.sandbox.cmdlets.compliance
import orchestrator.sandbox.cmdlets.exchange_write
import orchestrator.sandbox.cmdlets.graph_write
import orchestrator.sandbox.cmdlets.restore_requests  # noqa: F401  (until CMDLET_MODULES lists them)
from orchestrator.results import InvokeResult
from orchestrator.sandbox.embedded import (
    SandboxConnection,
    advance_clock,
    read_audit_log,
    running_sandbox,
    showcase_fixture,
)
from orchestrator.session import PowerShellSession

CONNECT = """
param($AppId, $Thumb, $Org)
Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $Thumb -Organization $Org -ShowBanner:$false
Connect-MgGraph -ClientId $AppId -TenantId $Org -CertificateThumbprint $Thumb -NoWelcome
Connect-IPPSSession -AppId $AppId -CertificateThumbprint $Thumb -Organization $Org -ShowBanner:$false
"""
USER_ALICE = "63b11f5f-6010-5127-91b3-b6bc92a10bdc"
DAVE = "b340a699-81c1-50ff-942f-76ecaf244ec3"
FRANK1 = "53dda549-c0c6-5261-b75c-0631e7870fad"
SKU_E5 = "d5a5f698-61eb-5b39-a0a2-48d71bfd65a6"


class Client:
    """A connected PowerShellSession plus the sandbox's state directory."""

    def __init__(self, conn: SandboxConnection, session: PowerShellSession) -> None:
        self.conn = conn
        self.session = session

    def run(self, script: str, **params: object) -> InvokeResult:
        return self.session.invoke(script, params)

    def advance(self, minutes: float) -> None:
        advance_clock(self.conn.state_dir, minutes)

    def audit(self, cmdlet: str) -> list[dict[str, Any]]:
        return [r for r in read_audit_log(self.conn.state_dir) if r.get("cmdlet") == cmdlet]


def _client(conn: SandboxConnection) -> Iterator[Client]:
    with PowerShellSession(conn.settings().winrm) as session:
        client = Client(conn, session)
        result = client.run(
            CONNECT, AppId=conn.app_id, Thumb=conn.certificate_thumbprint, Org=conn.organization
        )
        assert result.ok, result.errors
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running_sandbox(tmp_path / "tenant") as conn:
        yield from _client(conn)


def fixture_with_knobs(tmp_path: Path, **knobs: Any) -> Path:
    data = json.loads(showcase_fixture().read_text(encoding="utf-8"))
    data["knobs"] = {**data.get("knobs", {}), **knobs}
    path = tmp_path / "fixture.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def only_error(result: InvokeResult) -> Any:
    assert len(result.errors) == 1, [e.message for e in result.errors]
    return result.errors[0]


# --------------------------------------------------------------------------- scenarios


def test_purge_path_user_then_recycle_bin_then_mailbox(client: Client) -> None:
    script = """
    param($UserId, $Address)
    Remove-MgUser -UserId $UserId
    Remove-MgDirectoryDeletedItem -DirectoryObjectId $UserId
    Get-Mailbox -SoftDeletedMailbox $Address | Remove-Mailbox -PermanentlyDelete -Confirm:$false
    """
    result = client.run(script, UserId=USER_ALICE, Address="alice@contoso.com")
    assert result.ok, [e.message for e in result.errors]
    for probe in (
        "Get-Mailbox -Identity $A",
        "Get-Mailbox -SoftDeletedMailbox -Identity $A",
        "Get-Mailbox -InactiveMailboxOnly -Identity $A",
        "Get-EXOMailbox -Identity $A -SoftDeletedMailbox",
    ):
        gone = client.run(f"param($A) {probe}", A="alice@contoso.com")
        assert gone.output == [] and "couldn't be found" in only_error(gone).message
    purges = client.audit("Remove-Mailbox")
    assert len(purges) == 1 and purges[0]["outcome"] == "ok" and purges[0]["piped"] is True


def test_purge_without_confirm_false_fails_the_prompt(client: Client) -> None:
    """A statement-terminating error: the statement stops, the script goes on (unless Stop)."""
    result = client.run("param($Id) Remove-Mailbox -Identity $Id -PermanentlyDelete; 'after'", Id=DAVE)
    assert result.output == ["after"]
    error = only_error(result)
    assert (
        error.fq_error_id == "HostFunctionNotImplemented,Remove-Mailbox" and error.reason == "HostException"
    )
    stopped = client.run(
        "param($Id) $ErrorActionPreference = 'Stop'; "
        "Remove-Mailbox -Identity $Id -PermanentlyDelete; 'after'",
        Id=DAVE,
    )
    assert stopped.state == "Failed" and stopped.output == []
    still = client.run(
        "param($Id) Get-Mailbox -SoftDeletedMailbox -Identity $Id | Select-Object -ExpandProperty Name",
        Id=DAVE,
    )
    assert still.output == ["Dave Davis"]


def test_placeholder_user_fallback_of_b_purge(client: Client) -> None:
    script = """
    param($Source, $Upn, $Name)
    $pw = ConvertTo-SecureString -String 'Placeholder-Pa55' -AsPlainText -Force
    New-Mailbox -InactiveMailbox $Source -Name $Name -MicrosoftOnlineServicesID $Upn -Password $pw | Out-Null
    Remove-Mailbox -Identity $Upn -Confirm:$false
    $id = (Get-MgDirectoryDeletedItemAsUser -All | Where-Object { $_.UserPrincipalName -like "*$Upn" }).Id
    Remove-MgDirectoryDeletedItem -DirectoryObjectId $id
    Get-Mailbox -SoftDeletedMailbox $Upn | Remove-Mailbox -PermanentlyDelete -Confirm:$false
    """
    upn = "placeholder-frank@contoso.onmicrosoft.com"
    result = client.run(script, Source=FRANK1, Upn=upn, Name="placeholder-frank")
    assert result.errors == [], [e.message for e in result.errors]
    assert any("30 days" in w for w in result.warnings)
    gone = client.run("param($G) Get-Mailbox -SoftDeletedMailbox -Identity $G", G=FRANK1)
    assert gone.output == [] and gone.errors


def test_kb3158794_relicense_reconnects_after_provisioning_delay(client: Client) -> None:
    script = """
    param($Upn, $Sku)
    Set-MgUserLicense -UserId $Upn -AddLicenses @(@{SkuId = $Sku}) -RemoveLicenses @() | Out-Null
    """
    assert client.run(script, Upn="mallory@contoso.com", Sku=SKU_E5).ok
    probe = "param($A) Get-Mailbox -Identity $A | Select-Object -ExpandProperty RecipientTypeDetails"
    assert client.run(probe, A="mallory@contoso.com").output == []
    client.advance(10)
    assert client.run(probe, A="mallory@contoso.com").output == ["UserMailbox"]


def test_restore_request_progresses_with_sandbox_advance(client: Client) -> None:
    new = """
    param($Source, $Target)
    New-MailboxRestoreRequest -SourceMailbox $Source -TargetMailbox $Target -AllowLegacyDNMismatch |
        Select-Object -ExpandProperty Identity
    """
    # Bob already has a completed "MailboxRestore" (showcase), so the next default name is MailboxRestore1.
    assert client.run(new, Source=DAVE, Target="bob@contoso.com").output == ["bob\\MailboxRestore1"]
    status = (
        "param($I) Get-MailboxRestoreRequestStatistics -Identity $I | Select-Object -ExpandProperty Status"
    )
    assert client.run(status, I="bob\\MailboxRestore1").output == ["Queued"]
    client.advance(2)
    assert client.run(status, I="bob\\MailboxRestore1").output == ["InProgress"]
    client.advance(180)
    assert client.run(status, I="bob\\MailboxRestore1").output == ["Completed"]
    done = client.run("Get-MailboxRestoreRequest -Status Completed | Select-Object -ExpandProperty Name")
    assert sorted(str(name) for name in done.output) == ["MailboxRestore", "MailboxRestore1"]


def test_release_inactive_mailbox_hold_then_purge(client: Client) -> None:
    script = """
    param($Id)
    Set-Mailbox -InactiveMailbox -Identity $Id -LitigationHoldEnabled $false -RemoveDelayHoldApplied
    Set-Mailbox -InactiveMailbox -Identity $Id -RemoveDelayReleaseHoldApplied
    Get-Mailbox -SoftDeletedMailbox -Identity $Id | Select-Object -ExpandProperty WasInactiveMailbox
    """
    grace = "caaaf1ff-8399-5baf-b3b9-e75ae9c16a47"
    result = client.run(script, Id=grace)
    assert result.errors == [] and result.output == [True]
    assert client.run(
        "param($Id) Remove-Mailbox -Identity $Id -PermanentlyDelete -Confirm:$false", Id=grace
    ).ok


def test_documented_inactive_litigation_hold_command_binds(client: Client) -> None:
    """[P-DEL] ``Set-Mailbox -InactiveMailbox -Identity <id> -LitigationHoldEnabled $false`` works in EXO."""
    grace = "caaaf1ff-8399-5baf-b3b9-e75ae9c16a47"
    result = client.run(
        "param($Id) Set-Mailbox -InactiveMailbox -Identity $Id -LitigationHoldEnabled $false", Id=grace
    )
    assert result.ok, [e.message for e in result.errors]


# --------------------------------------------------------------------------- §4 rows through the stack

ROWS = [
    (
        1,
        "Remove-Mailbox -Identity 'Soft Deleted Objects\\Frank Miller' -PermanentlyDelete -Confirm:$false",
        "ManagementObjectAmbiguousException",
        "matches multiple entries.",
    ),
    (
        2,
        "Remove-Mailbox -Identity carol@contoso.com -PermanentlyDelete -Confirm:$false",
        "TaskInvalidOperationException",
        "there is a soft deleted user; please remove the soft deleted user",
    ),
    (
        3,
        "Remove-Mailbox -Identity erin@contoso.com -PermanentlyDelete -Confirm:$false",
        "ADScopeException",
        "outside the writing scope of this server",
    ),
    (
        4,
        "Get-Mailbox -SoftDeletedMailbox | Where-Object { $_.Name -eq 'Frank Miller' } | "
        "Remove-Mailbox -PermanentlyDelete -Confirm:$false",
        "ParameterNotInRoleException",
        'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet',
    ),
    (
        5,
        "Remove-Mailbox -Identity grace@contoso.com -PermanentlyDelete -Confirm:$false",
        "RecipientTaskException",
        "Mailbox is placed on Litigation Hold or In-Place Hold and cannot be deleted",
    ),
    (
        6,
        "New-Mailbox -InactiveMailbox grace@contoso.com -Name g9 -MicrosoftOnlineServicesID g9@fabrikam.com "
        "-Password (ConvertTo-SecureString -String 'x-Pa55word' -AsPlainText -Force)",
        "UserInputInvalidException",
        "represent a managed account, which doesn't match the namespace state",
    ),
    (
        7,
        "Remove-Mailbox -Identity nobody@contoso.com -Confirm:$false",
        "ManagementObjectNotFoundException",
        "couldn't be found on",
    ),
    (
        12,
        "Set-Mailbox -Identity olivia@contoso.com -DisplayName 'Olivia O.'",
        "ADTransientException",
        "DualWrite (Graph) RequestId:",
    ),
    (
        13,
        "Update-MgUser -UserId olivia@contoso.com -DisplayName 'O'",
        None,
        "Unable to update the specified properties for on-premises mastered Directory Sync objects",
    ),
    (
        16,
        "Set-MgUserLicense -UserId alice@contoso.com -AddLicenses @() "
        "-RemoveLicenses @('4973f1dd-a9f0-5260-9769-1b5a594acc7f')",
        None,
        "User license is inherited from a group membership and it cannot be removed directly from the user.",
    ),
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """One sandbox for the catalogue rows: each row's script is refused, so nothing changes."""
    with running_sandbox(tmp_path_factory.mktemp("rows") / "tenant") as conn:
        yield from _client(conn)


@pytest.mark.parametrize(("row", "script", "reason", "text"), ROWS, ids=[f"row{r[0]}" for r in ROWS])
def test_catalogue_row_through_the_stack(
    shared: Client, row: int, script: str, reason: str | None, text: str
) -> None:
    result = shared.run(script)
    assert result.state == "Completed"  # non-terminating, as the EXO V3 module and the Graph SDK do
    error = result.errors[-1]
    assert text in error.message
    if reason is not None:
        assert error.reason == reason and error.fq_error_id.endswith("],Write-ErrorMessage")
    else:
        assert error.fq_error_id.startswith("Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.")


def test_row_10_throttling_from_the_destructive_budget(tmp_path: Path) -> None:
    fixture = fixture_with_knobs(tmp_path, destructive_budget=1, destructive_window_s=3600)
    with running_sandbox(tmp_path / "tenant", fixture=fixture) as conn:
        for client in _client(conn):
            script = (
                "param($A, $B) Remove-Mailbox -Identity $A -Confirm:$false; "
                "Remove-Mailbox -Identity $B -Confirm:$false"
            )
            result = client.run(script, A="alice@contoso.com", B="bob@contoso.com")
            error = only_error(result)
            assert (
                "exceeds the throttling budget" in error.message and "Suggested backoff time" in error.message
            )
            assert error.reason == "OverBudgetException"


def test_row_14_transient_fault_from_the_knobs(tmp_path: Path) -> None:
    fixture = fixture_with_knobs(tmp_path, transient_fault_rates={"Remove-Mailbox": 1.0})
    with running_sandbox(tmp_path / "tenant", fixture=fixture) as conn:
        for client in _client(conn):
            result = client.run("Remove-Mailbox -Identity alice@contoso.com -Confirm:$false")
            error = only_error(result)
            assert error.reason == "ADTransientException" and "Active Directory server" in error.message
            still = client.run("Get-Mailbox -Identity alice@contoso.com | Select-Object -ExpandProperty Name")
            assert still.output == ["Alice Adams"]
