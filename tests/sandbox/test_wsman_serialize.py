"""serialize.py in isolation, plus the SecureString path and log hygiene through the real client."""

from __future__ import annotations

import datetime
import logging
import uuid

import pytest
from psrpcore.types import PSDateTime, PSDict, PSGuid, PSInt, PSList, PSNoteProperty, PSObject, PSString
from pypsrp.complex_objects import ObjectMeta
from pypsrp.powershell import PowerShell, RunspacePool
from wsman_peer import PASSWORD, USER, PeerFactory, client

from orchestrator.sandbox import runtime
from orchestrator.sandbox.wsman import WinRMEndpoint
from orchestrator.sandbox.wsman.serialize import exception_type_chain, from_clixml, to_clixml


def test_from_clixml_gives_plain_runtime_values() -> None:
    obj = PSObject()
    obj.PSObject.type_names = ["Deserialized.My.Type", "Deserialized.System.Object"]
    obj.PSObject.extended_properties.append(PSNoteProperty("Name", PSString("n")))
    values = from_clixml(
        PSList(
            [
                PSString("s"),
                PSInt(3),
                True,
                PSGuid(str(uuid.UUID(int=5))),
                PSDict({PSString("K"): PSInt(1)}),
                obj,
            ]
        )
    )
    assert values[:3] == ["s", 3, True] and type(values[0]) is str and type(values[1]) is int
    assert values[3] == uuid.UUID(int=5) and type(values[3]) is uuid.UUID
    assert isinstance(values[4], runtime.Hashtable) and values[4]["k"] == 1
    assert isinstance(values[5], runtime.PSObject)
    assert values[5].type_names == ["My.Type", "System.Object"] and values[5].get("name") == "n"
    when = from_clixml(PSDateTime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    assert type(when) is datetime.datetime and when.tzinfo is not None


def test_to_clixml_edge_cases() -> None:
    naive = to_clixml(datetime.datetime(2024, 1, 1, 12, 0))
    assert naive.tzinfo is not None
    assert to_clixml(2**70) == str(2**70)
    assert to_clixml(runtime.SecureString("secret")) == "System.Security.SecureString"
    assert to_clixml(object()).startswith("<object object")


def test_exception_type_chain() -> None:
    assert exception_type_chain("System.Management.Automation.ParameterBindingException") == [
        "System.Management.Automation.ParameterBindingException",
        "System.Management.Automation.RuntimeException",
        "System.SystemException",
        "System.Exception",
        "System.Object",
    ]
    assert exception_type_chain("System.Exception") == ["System.Exception", "System.Object"]
    assert exception_type_chain("Microsoft.Exchange.X")[-2:] == ["System.Exception", "System.Object"]


@pytest.mark.timeout(30)
def test_secure_string_parameter_and_no_password_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="orchestrator.sandbox.wsman")
    factory = PeerFactory()
    with WinRMEndpoint(factory, username=USER, password=PASSWORD) as ep, RunspacePool(client(ep)) as pool:
        pool.exchange_keys()
        ps = PowerShell(pool)
        ps.add_cmdlet("echo-params").add_parameter("Pw", pool.serialize("hunter2", ObjectMeta("SS")))
        (echoed,) = ps.invoke()
        assert echoed.extended_properties["Pw"] == "System.Security.SecureString"
    received = dict(factory.invocations[-1][1][0].parameters)["Pw"]
    assert received == runtime.SecureString("hunter2")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("orchestrator."))
    assert "opened runspace pool" in logged
    assert PASSWORD not in logged and "hunter2" not in logged
