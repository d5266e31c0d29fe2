"""The seed fixtures: one small tenant per failure of the purge procedure (reference "EXO Voice").

Each fixture loads (JSON Schema and ``Tenant.init``), and its failure is reproduced through the
real pypsrp client with the catalogue row's exact text and exception type (reference section 4,
rows 1-4 and 6); then the documented remedy is shown to work, as far as the sandbox implements it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from orchestrator.core.service_errors import ServiceErrorKind, classify
from orchestrator.results import InvokeResult
from orchestrator.sandbox.embedded import SandboxConnection, running_sandbox
from orchestrator.sandbox.fixtures import FIXTURE_DIR, load_fixture_file
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.sandbox.tenant.fixture_schema import json_schema
from orchestrator.sandbox.tenant.service import Tenant
from orchestrator.session import PowerShellSession

SEEDS = ("ambiguous", "user-in-recycle-bin", "dirsynced", "rbac", "federated")
CONNECT = """
param($AppId, $Thumb, $Org)
Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $Thumb -Organization $Org -ShowBanner:$false
Connect-MgGraph -ClientId $AppId -TenantId $Org -CertificateThumbprint $Thumb -NoWelcome
"""
guid = FixtureBuilder.guid
PURGE = "param($Id) Remove-Mailbox -Identity $Id -PermanentlyDelete -Confirm:$false"
SOFT_DELETED_NAMES = "Get-Mailbox -SoftDeletedMailbox | Select-Object -ExpandProperty Name"


class Client:
    def __init__(self, session: PowerShellSession) -> None:
        self.session = session

    def run(self, script: str, **params: object) -> InvokeResult:
        return self.session.invoke(script, params)


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[Any]:
    """``seed(name)``: a connected client on a fresh tenant made from ``seed-<name>.json``."""
    opened: list[tuple[Any, PowerShellSession]] = []

    def start(name: str) -> Client:
        cm = running_sandbox(tmp_path / name, fixture=FIXTURE_DIR / f"seed-{name}.json")
        conn: SandboxConnection = cm.__enter__()
        session = PowerShellSession(conn.settings().winrm)
        opened.append((cm, session))
        client = Client(session)
        result = client.run(
            CONNECT, AppId=conn.app_id, Thumb=conn.certificate_thumbprint, Org=conn.organization
        )
        assert result.ok, [e.message for e in result.errors]
        return client

    yield start
    for cm, session in reversed(opened):
        session.close()
        cm.__exit__(None, None, None)


def only_error(result: InvokeResult) -> Any:
    assert len(result.errors) == 1, [e.message for e in result.errors]
    return result.errors[0]


def exo_text(error: Any, exception_type: str) -> str:
    """The text of a REST-mode EXO error, after checking its ``<code>|<type>|`` prefix and type."""
    code, kind, text = error.message.split("|", 2)
    assert code.startswith("Ex") and kind == exception_type == error.exception_type
    assert error.fq_error_id.endswith("],Write-ErrorMessage")
    return str(text)


@pytest.mark.parametrize("name", SEEDS)
def test_seed_fixture_is_valid(name: str, tmp_path: Path) -> None:
    data = load_fixture_file(f"seed-{name}")
    jsonschema.validate(data, json_schema())
    assert data.get("description", "").startswith("Seed: ")
    Tenant.init(tmp_path / "t", FIXTURE_DIR / f"seed-{name}.json").close()


def test_row1_ambiguous_identity_then_purge_by_exchange_guid(seed: Any) -> None:
    client = seed("ambiguous")
    failed = client.run(PURGE, Id="Soft Deleted Objects\\Mailbox1")
    error = only_error(failed)
    assert (
        exo_text(error, "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException")
        == "The operation couldn't be performed because 'Soft Deleted Objects\\Mailbox1' matches multiple "
        "entries."
    )
    assert classify(error).kind is ServiceErrorKind.AMBIGUOUS_IDENTITY
    # Remedy: list the candidates, then purge each by ExchangeGuid, one at a time.
    candidates = client.run(
        "Get-Mailbox -SoftDeletedMailbox | Where-Object { $_.Name -eq 'Mailbox1' } | "
        "ForEach-Object { $_.ExchangeGuid.ToString() }"
    ).output
    assert sorted(candidates) == sorted([guid("mbx-mailbox1"), guid("mbx-mailbox1b")])  # type: ignore[type-var]
    for exchange_guid in candidates:
        assert client.run(PURGE, Id=exchange_guid).ok
    assert client.run(SOFT_DELETED_NAMES).output == []


def test_row2_user_in_recycle_bin_then_hard_delete_the_user_first(seed: Any) -> None:
    client = seed("user-in-recycle-bin")
    failed = client.run(PURGE, Id="carol@contoso.com")
    error = only_error(failed)
    assert (
        exo_text(error, "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException")
        == "The operation couldn't be performed because there is a soft deleted user; please remove the "
        "soft deleted user and then try again"
    )
    assert classify(error).kind is ServiceErrorKind.SOFT_DELETED_USER_EXISTS
    assert client.run(SOFT_DELETED_NAMES).output == ["Carol"]  # the refusal changed nothing
    # Remedy: hard-delete the user from the Entra ID recycle bin, then purge the (now orphaned) mailbox.
    remedy = client.run(
        "param($UserId, $Address)\n"
        "Remove-MgDirectoryDeletedItem -DirectoryObjectId $UserId\n"
        "Get-Mailbox -SoftDeletedMailbox $Address | Remove-Mailbox -PermanentlyDelete -Confirm:$false",
        UserId=guid("user-carol"),
        Address="carol@contoso.com",
    )
    assert remedy.ok, [e.message for e in remedy.errors]
    assert client.run(SOFT_DELETED_NAMES).output == []


def test_row3_dirsynced_mailbox_is_outside_the_writing_scope(seed: Any) -> None:
    """Refusal only: the remedy (delete or de-scope the user on-premises, let sync run) has no
    counterpart in the sandbox, which simulates no on-premises directory."""
    client = seed("dirsynced")
    assert client.run(
        "Get-Mailbox -SoftDeletedMailbox -Identity erin@contoso.com | "
        "Select-Object -ExpandProperty IsDirSynced"
    ).output == [True]
    piped = (
        "param($Id) Get-Mailbox -SoftDeletedMailbox $Id | Remove-Mailbox -PermanentlyDelete -Confirm:$false"
    )
    for script in (PURGE, piped):  # by identity, and as the procedure writes it
        error = only_error(client.run(script, Id="erin@contoso.com"))
        assert (
            exo_text(error, "Microsoft.Exchange.Data.Directory.ADScopeException")
            == "The operation couldn't be performed because it is outside the writing scope of this server"
        )
        assert classify(error).kind is ServiceErrorKind.OUTSIDE_WRITE_SCOPE
    assert client.run(SOFT_DELETED_NAMES).output == ["Erin"]


def test_row4_rbac_bulk_purge_then_one_at_a_time(seed: Any) -> None:
    client = seed("rbac")
    bulk = client.run(
        "Get-Mailbox -SoftDeletedMailbox | Sort-Object Name | "
        "Remove-Mailbox -PermanentlyDelete -Confirm:$false"
    )
    # The first mailbox of the pipeline is purged; each further one needs the Disconnect parameter.
    assert len(bulk.errors) == 2
    for error in bulk.errors:
        assert (
            exo_text(error, "Microsoft.Exchange.Configuration.Tasks.ParameterNotInRoleException")
            == 'The "Disconnect" parameter can\'t be used on the "Remove-Mailbox" cmdlet because it isn\'t '
            "present in the role definition for the current user. Check the management roles assigned to "
            "you, and try again."
        )
        assert classify(error).kind is ServiceErrorKind.RBAC_PARAMETER_MISSING
    assert client.run(SOFT_DELETED_NAMES).output == ["Oscar", "Otto"]
    # Remedy: one Remove-Mailbox command per mailbox.
    one_by_one = client.run(
        "Get-Mailbox -SoftDeletedMailbox | ForEach-Object { "
        "Remove-Mailbox -Identity $_.ExchangeGuid.ToString() -PermanentlyDelete -Confirm:$false }"
    )
    assert one_by_one.ok, [e.message for e in one_by_one.errors]
    assert client.run(SOFT_DELETED_NAMES).output == []


RECONNECT = """
param($Source, $Upn, $Name)
$pw = ConvertTo-SecureString -String 'Placeholder-Pa55' -AsPlainText -Force
New-Mailbox -InactiveMailbox $Source -Name $Name -MicrosoftOnlineServicesID $Upn -Password $pw |
    Select-Object -ExpandProperty RecipientTypeDetails
"""


def test_row6_federated_placeholder_fails_managed_domain_works(seed: Any) -> None:
    client = seed("federated")
    frank = guid("mbx-frank")
    failed = client.run(
        RECONNECT, Source=frank, Upn="placeholder-frank@fabrikam.com", Name="placeholder-frank"
    )
    error = only_error(failed)
    assert (
        exo_text(error, "Microsoft.Exchange.Management.Tasks.UserInputInvalidException")
        == "The parameters passed to the cmdlet represent a managed account, which doesn't match the "
        "namespace state, which is federated."
    )
    assert classify(error).kind is ServiceErrorKind.FEDERATED_NAMESPACE
    assert client.run(SOFT_DELETED_NAMES).output == ["Frank"]
    # Remedy: a MicrosoftOnlineServicesID in a managed domain (the tenant's onmicrosoft.com domain).
    upn = "placeholder-frank@contoso.onmicrosoft.com"
    reconnected = client.run(RECONNECT, Source=frank, Upn=upn, Name="placeholder-frank")
    assert reconnected.errors == [] and reconnected.output == ["UserMailbox"]
    assert any("30 days" in w for w in reconnected.warnings)
    assert client.run(SOFT_DELETED_NAMES).output == []
    assert client.run(
        "param($U) Get-MgUser -UserId $U | Select-Object -ExpandProperty UserPrincipalName", U=upn
    ).output == [upn]
