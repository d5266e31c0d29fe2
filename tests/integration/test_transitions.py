# ruff: noqa: E501  (PowerShell script text keeps one command per line)
"""Each lifecycle transition of the sandbox, driven and observed through the real pypsrp client.

Directory and mailbox events (reference section 1) are caused by scripts, as an operator's would
be, and observed the way an operator observes them: Get-Mailbox with the right switch, Get-User,
Graph. Timers are driven by the tenant's simulated clock (``sandbox advance``); nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest

from orchestrator.sandbox.embedded import SandboxConnection, advance_clock, running_sandbox
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.session import PowerShellSession
from orchestrator.workflow import connection_parameters

PRELUDE = """[CmdletBinding()]
param($Organization, $AppId, $CertificateThumbprint, $Id, $Value)
Connect-ExchangeOnline -AppId $AppId -Organization $Organization -CertificateThumbprint $CertificateThumbprint -ShowBanner:$false
Connect-MgGraph -ClientId $AppId -TenantId $Organization -CertificateThumbprint $CertificateThumbprint -NoWelcome
Connect-IPPSSession -AppId $AppId -Organization $Organization -CertificateThumbprint $CertificateThumbprint -ShowBanner:$false
"""

# How an operator looks at one mailbox: which view finds it, and its key properties.
OBSERVE = """
$view = 'none'
$m = Get-Mailbox -Identity $Id -ErrorAction SilentlyContinue
if ($m) { $view = 'active' } else {
    $m = Get-Mailbox -Identity $Id -SoftDeletedMailbox -ErrorAction SilentlyContinue
    if (-not $m) { $m = Get-Mailbox -Identity $Id -PublicFolder -SoftDeletedMailbox -ErrorAction SilentlyContinue }
    if ($m) { $view = 'soft_deleted' }
}
if ($m) {
    [pscustomobject]@{
        View = $view; Guid = [string]$m.ExchangeGuid
        Inactive = [bool]$m.IsInactiveMailbox; WasInactive = [bool]$m.WasInactiveMailbox
        User = [string]$m.ExternalDirectoryObjectId; DelayHold = [bool]$m.DelayHoldApplied
        LitigationHold = [bool]$m.LitigationHoldEnabled; InPlaceHolds = @($m.InPlaceHolds).Count
    }
} else { [pscustomobject]@{ View = 'none' } }
"""


class Operator:
    """Runs scripts against one sandbox tenant and advances its clock."""

    def __init__(self, sandbox: SandboxConnection, session: PowerShellSession) -> None:
        self.sandbox = sandbox
        self.session = session
        self.values = connection_parameters(sandbox.settings().require_tenant())

    def run(self, body: str, identity: str | None = None, value: Any = None) -> list[Any]:
        result = self.session.invoke(PRELUDE + body, {**self.values, "Id": identity, "Value": value})
        assert result.ok, [f"{e.fq_error_id}: {e.message}" for e in result.errors]
        return result.output

    def observe(self, identity: str) -> dict[str, Any]:
        (row,) = self.run(OBSERVE, identity)
        return row

    def user_state(self, user_id: str) -> str:
        body = """
if (Get-MgUser -UserId $Id -ErrorAction SilentlyContinue) { 'active' }
elseif (Get-MgDirectoryDeletedItemAsUser -DirectoryObjectId $Id -ErrorAction SilentlyContinue) { 'recycle_bin' }
else { 'gone' }
"""
        (state,) = self.run(body, user_id)
        return str(state)

    def advance_days(self, days: float) -> None:
        advance_clock(self.sandbox.state_dir, days * 1440)


@pytest.fixture
def op(tmp_path) -> Iterator[Operator]:
    with (
        running_sandbox(tmp_path / "tenant") as sandbox,
        PowerShellSession(sandbox.settings().winrm) as session,
    ):
        yield Operator(sandbox, session)


def test_deleting_a_licensed_user_soft_deletes_the_mailbox(op: Operator) -> None:
    before = op.observe("alice@contoso.com")
    assert before["View"] == "active"
    op.run("Remove-MgUser -UserId $Id -Confirm:$false", "alice@contoso.com")
    after = op.observe("alice@contoso.com")
    assert after["View"] == "soft_deleted" and not after["Inactive"]
    assert after["User"] == before["User"]  # the user is in the recycle bin: the id stays (P365)
    assert op.user_state(before["User"]) == "recycle_bin"


def test_deleting_a_user_whose_mailbox_is_on_hold_makes_it_inactive(op: Operator) -> None:
    op.run("Remove-MgUser -UserId $Id -Confirm:$false", "bob@contoso.com")  # bob: litigation hold
    after = op.observe("bob@contoso.com")
    assert (after["View"], after["Inactive"], after["LitigationHold"]) == ("soft_deleted", True, True)


def test_restoring_the_user_reconnects_the_mailbox(op: Operator) -> None:
    carol = op.observe("carol@contoso.com")
    assert carol["View"] == "soft_deleted" and carol["User"]
    op.run("Restore-MgDirectoryDeletedItem -DirectoryObjectId $Id", carol["User"])
    assert op.observe("carol@contoso.com")["View"] == "active"
    assert op.user_state(carol["User"]) == "active"


def test_purging_the_user_leaves_an_orphaned_soft_deleted_mailbox(op: Operator) -> None:
    carol = op.observe("carol@contoso.com")
    op.run("Remove-MgDirectoryDeletedItem -DirectoryObjectId $Id -Confirm:$false", carol["User"])
    after = op.observe("carol@contoso.com")
    assert after["View"] == "soft_deleted" and after["User"] == ""  # B-PURGE: an orphan
    assert op.user_state(carol["User"]) == "gone"


def test_remove_mailbox_soft_deletes_and_deletes_the_user_then_undo_brings_both_back(op: Operator) -> None:
    alice = op.observe("alice@contoso.com")
    op.run("Remove-Mailbox -Identity $Id -Confirm:$false", "alice@contoso.com")
    assert op.observe("alice@contoso.com")["View"] == "soft_deleted"
    assert op.user_state(alice["User"]) == "recycle_bin"  # X-DEL: Remove-Mailbox deletes the user too
    op.run("Undo-SoftDeletedMailbox -SoftDeletedObject $Id -Confirm:$false | Out-Null", "alice@contoso.com")
    assert op.observe("alice@contoso.com")["View"] == "active"
    assert op.user_state(alice["User"]) == "active"


def test_permanently_deleting_a_public_folder_mailbox(op: Operator) -> None:
    assert op.observe("pf-archive@contoso.com")["View"] == "soft_deleted"
    op.run(
        "Get-Mailbox -PublicFolder -SoftDeletedMailbox -Identity $Id | "
        "Remove-Mailbox -PublicFolder -PermanentlyDelete -Confirm:$false",
        "pf-archive@contoso.com",
    )
    assert op.observe("pf-archive@contoso.com")["View"] == "none"


def test_soft_deleted_mailbox_expires_after_30_days(op: Operator) -> None:
    assert op.observe("dave@contoso.com")["View"] == "soft_deleted"  # 10 days left in the showcase
    op.advance_days(9)
    assert op.observe("dave@contoso.com")["View"] == "soft_deleted"
    op.advance_days(2)
    assert op.observe("dave@contoso.com")["View"] == "none"


def test_users_leave_the_recycle_bin_after_30_days_and_their_mailbox_with_them(op: Operator) -> None:
    op.run("Remove-MgUser -UserId $Id -Confirm:$false", "alice@contoso.com")
    alice = op.observe("alice@contoso.com")
    op.advance_days(29)
    assert op.user_state(alice["User"]) == "recycle_bin"
    assert op.observe("alice@contoso.com")["View"] == "soft_deleted"
    op.advance_days(2)
    assert op.user_state(alice["User"]) == "gone"
    assert op.observe("alice@contoso.com")["View"] == "none"  # its own 30 days ran out too


def test_licence_removal_disconnects_and_relicensing_after_the_grace_does_not_reconnect(op: Operator) -> None:
    olivia = op.observe("olivia@contoso.com")
    assert olivia["View"] == "active"
    skus = op.run(
        "(Get-MgUser -UserId $Id -Property 'AssignedLicenses').AssignedLicenses.SkuId", olivia["User"]
    )
    op.run(
        "Set-MgUserLicense -UserId $Id -AddLicenses @() -RemoveLicenses @($Value) | Out-Null",
        olivia["User"],
        skus,
    )
    assert op.observe("olivia@contoso.com")["View"] == "none"  # KB 3158794: invisible to both switches
    (kind,) = op.run("(Get-User -Identity $Id).RecipientTypeDetails", "olivia@contoso.com")
    assert kind == "User"
    op.advance_days(31)
    body = (
        "Set-MgUserLicense -UserId $Id -AddLicenses @(@{ SkuId = $Value[0] }) -RemoveLicenses @() | Out-Null"
    )
    op.run(body, olivia["User"], skus)
    op.advance_days(1)  # provisioning delay
    again = op.observe("olivia@contoso.com")
    assert again["View"] == "active"  # a licensed user gets a mailbox ...
    assert again["Guid"] != olivia["Guid"]  # ... a new, empty one: the old data went after 30 days


def test_last_delay_hold_expiring_releases_an_inactive_mailbox_for_183_days(op: Operator) -> None:
    judy = op.observe("judy@contoso.com")  # inactive only through delay holds (20 days left)
    assert (judy["Inactive"], judy["DelayHold"]) == (True, True)
    op.advance_days(19)
    assert op.observe("judy@contoso.com")["Inactive"] is True
    op.advance_days(2)  # the delay holds expired on day 20: released then
    released = op.observe("judy@contoso.com")
    assert (released["View"], released["Inactive"], released["WasInactive"]) == ("soft_deleted", False, True)
    op.advance_days(181)  # day 202: 182 days after the release
    assert op.observe("judy@contoso.com")["View"] == "soft_deleted"
    op.advance_days(2)  # day 204: past 183 days
    assert op.observe("judy@contoso.com")["View"] == "none"


def test_removing_a_case_hold_location_applies_delay_holds(op: Operator) -> None:
    heidi = op.observe("heidi@contoso.com")
    assert (heidi["Inactive"], heidi["DelayHold"], heidi["InPlaceHolds"]) == (True, False, 1)
    (policy,) = op.run("(Get-CaseHoldPolicy | Select-Object -First 1).Guid.ToString()")
    op.run(
        "Set-CaseHoldPolicy -Identity $Value -RemoveExchangeLocation ('.' + $Id) -Confirm:$false",
        "heidi@contoso.com",
        policy,
    )
    after = op.observe("heidi@contoso.com")
    assert (after["Inactive"], after["DelayHold"], after["InPlaceHolds"]) == (True, True, 0)  # P-HOLD delay


def test_a_time_scale_lets_simulated_time_run_with_real_time(tmp_path) -> None:
    """``sandbox serve --time-scale``: a demo can watch timers fire without ``sandbox advance``."""
    state = tmp_path / "tenant"
    # 20 simulated days per real second
    with running_sandbox(state, time_scale=86_400 * 20), Tenant.open(state) as tenant:
        start = tenant.now()
        deadline = time.monotonic() + 10
        while tenant.now() - start < dt.timedelta(days=1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tenant.now() - start >= dt.timedelta(days=1)
    with running_sandbox(state, time_scale=0), Tenant.open(state) as tenant:
        frozen = tenant.now()
        time.sleep(0.1)
        assert tenant.now() == frozen
