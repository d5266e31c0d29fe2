"""What crosses the PSRP boundary: values arrive intact, scripts are strict, errors are PowerShell's."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.session import PowerShellSession
from orchestrator.templates import TemplateCatalog
from orchestrator.workflow import connection_parameters

HOSTILE = [
    "O'Brien",
    "\u2018quoted\u2019 \u201alow\u201b",
    "$(Remove-Mailbox -Identity x -PermanentlyDelete)",
    "`$env:PATH` and `n",
    "a; Remove-Mailbox x",
    "line1\nline2\r\nline3",
    "\"double\" and 'single'",
    "x" * 10_000,
    "",
    " padded ",
]


@pytest.fixture(scope="module")
def echo_catalog(tmp_path_factory) -> TemplateCatalog:
    """A template catalog with one extra template that echoes its value back."""
    root: Path = tmp_path_factory.mktemp("templates")
    source = Path(__file__).resolve().parents[2] / "ps_templates" / "_prelude.ps1.j2"
    (root / "_prelude.ps1.j2").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "echo.ps1.j2").write_text(
        "{#-\nsummary: Echoes a value (test only).\n-#}\n"
        "[CmdletBinding()]\nparam(\n    [AllowEmptyString()][string]$Value\n)\n"
        "$ErrorActionPreference = 'Stop'\n"
        "[pscustomobject]@{ Value = $Value; Length = $Value.Length }\n",
        encoding="utf-8",
    )
    return TemplateCatalog(root)


def test_hostile_values_never_change_the_script_and_arrive_intact(sandbox, echo_catalog):
    texts = set()
    settings = sandbox.settings()
    with PowerShellSession(settings.winrm) as session:
        for value in HOSTILE:
            script = echo_catalog.render("echo").bind({"Value": value})
            texts.add(script.text)
            result = session.invoke(script.text, script.parameters, name="echo")
            assert result.ok, result.errors
            (row,) = result.output
            assert row == {"Value": value, "Length": len(value)}
    assert len(texts) == 1


def connect_script(extra: str) -> str:
    return (
        "[CmdletBinding()]\nparam([string]$Organization, [string]$AppId, [string]$CertificateThumbprint)\n"
        "Connect-ExchangeOnline -AppId $AppId -Organization $Organization "
        "-CertificateThumbprint $CertificateThumbprint -ShowBanner:$false\n" + extra
    )


def connection_values(sandbox):
    return connection_parameters(sandbox.settings().require_tenant())


def test_a_misspelled_parameter_fails_with_powershells_error(sandbox):
    with PowerShellSession(sandbox.settings().winrm) as session:
        result = session.invoke(
            connect_script("Get-Mailbox -SoftDeletedMailbx -ResultSize 1\n"), connection_values(sandbox)
        )
    (error,) = result.errors
    assert error.fq_error_id == "NamedParameterNotFound,Get-Mailbox"
    assert error.message == "A parameter cannot be found that matches parameter name 'SoftDeletedMailbx'."
    assert error.exception_type == "System.Management.Automation.ParameterBindingException"


def test_exchange_cmdlets_do_not_exist_before_connecting(sandbox):
    with PowerShellSession(sandbox.settings().winrm) as session:
        result = session.invoke("Get-Mailbox -ResultSize 1", {})
    (error,) = result.errors
    assert error.exception_type == "System.Management.Automation.CommandNotFoundException"
    assert "Get-Mailbox" in error.message


def test_graph_cmdlets_fail_until_connect_mggraph(sandbox):
    with PowerShellSession(sandbox.settings().winrm) as session:
        result = session.invoke("Get-MgUser -All", {})
    (error,) = result.errors
    assert "Connect-MgGraph" in error.message


def test_connect_refuses_a_certificate_the_app_does_not_have(sandbox):
    values = {**connection_values(sandbox), "CertificateThumbprint": "0" * 40}
    with PowerShellSession(sandbox.settings().winrm) as session:
        exo = session.invoke(connect_script("Get-Mailbox -ResultSize 1\n"), values)
        graph = session.invoke(
            "param($Organization, $AppId, $CertificateThumbprint)\n"
            "Connect-MgGraph -ClientId $AppId -TenantId $Organization "
            "-CertificateThumbprint $CertificateThumbprint -NoWelcome\n",
            values,
        )
    assert [e.fq_error_id for e in exo.errors] == [
        "MsalServiceException,Connect-ExchangeOnline",
        "CommandNotFoundException",  # not connected: the EXO cmdlets still don't exist
    ]
    assert exo.errors[0].message.startswith("AADSTS700027:")
    assert [e.fq_error_id for e in graph.errors] == ["AuthenticationFailedException,Connect-MgGraph"]
