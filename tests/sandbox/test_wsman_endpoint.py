"""The WinRM endpoint through the real pypsrp client over real loopback sockets: pipelines, values,
errors, streams, stop, async invoke, pool lifecycle."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pypsrp.exceptions import AuthenticationError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from wsman_peer import SAMPLE_GUID, SAMPLE_TIME, SAMPLES, USER, PeerFactory, client, wait_for

from orchestrator.sandbox.runtime import ErrorCategory, Hashtable
from orchestrator.sandbox.wsman import WinRMEndpoint

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def factory() -> PeerFactory:
    return PeerFactory()


@pytest.fixture
def endpoint(factory: PeerFactory) -> Iterator[WinRMEndpoint]:
    from wsman_peer import PASSWORD

    with WinRMEndpoint(factory, username=USER, password=PASSWORD, operation_timeout_cap_s=1.0) as ep:
        yield ep


@pytest.fixture
def pool(endpoint: WinRMEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client(endpoint)) as rp:
        yield rp


def run(pool: RunspacePool, verb: str, *, script: bool = True, **params: Any) -> PowerShell:
    ps = PowerShell(pool)
    (ps.add_script(verb) if script else ps.add_cmdlet(verb)).add_parameters(params)
    ps.invoke()
    return ps


def test_open_invoke_close_calls_the_host_factory(endpoint: WinRMEndpoint, factory: PeerFactory) -> None:
    with RunspacePool(client(endpoint)) as rp:
        ps = run(rp, "emit", Value="hello")
        assert ps.output == ["hello"]
        assert ps.state == PSInvocationState.COMPLETED and not ps.had_errors
        assert list(factory.hosts) == [rp.id]
        assert factory.hosts[rp.id].username == USER
    assert factory.closed_pools == [rp.id]


def test_wrong_password_is_an_authentication_error(endpoint: WinRMEndpoint) -> None:
    with pytest.raises(AuthenticationError):
        RunspacePool(client(endpoint, password="wrong")).open()


def test_hostile_strings_arrive_byte_identical(pool: RunspacePool, factory: PeerFactory) -> None:
    hostile = {
        "Quotes": "it's \"quoted\" 'twice'",
        "Smart": "\u2018single\u2019 \u201adouble\u201b \u201cq\u201d",
        "Subexpr": "$(Remove-Mailbox -Identity x -Confirm:$false)",
        "Backtick": "a`nb``c`$d",
        "Semicolon": "x; Remove-Item C:\\ -Recurse; #",
        "Newlines": "line1\nline2\r\nline3\r",
        "Long": ("\u00e9\u4e2d\U0001f600<&>`$" * 1250)[:10000],
        "Xml": '<Obj RefId="0"><S>x</S></Obj>]]>&amp;',
    }
    ps = PowerShell(pool)
    ps.add_script("echo-params").add_parameters(hostile).add_argument("positional; $(x)")
    ps.invoke()
    _, commands, _ = factory.invocations[-1]
    assert commands[0].is_script and commands[0].command_text == "echo-params"
    assert commands[0].parameters == [*hostile.items(), (None, "positional; $(x)")]
    assert len(hostile["Long"]) == 10000
    echoed = ps.output[0].extended_properties
    assert {k: echoed[k] for k in hostile} == hostile


def test_parameter_value_types_are_converted_to_runtime_values(
    pool: RunspacePool, factory: PeerFactory
) -> None:
    guid = uuid.uuid4()
    ps = PowerShell(pool)
    ps.add_cmdlet("echo-params").add_parameters(
        {"Text": "t", "Number": 42, "Flag": True, "Off": False, "Items": ["a", "b"]}
    ).add_parameters({"Table": {"Key": "v"}, "Id": guid}).add_parameter("Switch")
    ps.invoke()
    params = dict(factory.invocations[-1][1][0].parameters)
    assert factory.invocations[-1][1][0].is_script is False
    assert params["Text"] == "t" and params["Number"] == 42
    assert params["Flag"] is True and params["Off"] is False
    assert params["Items"] == ["a", "b"] and isinstance(params["Items"], list)
    assert isinstance(params["Table"], Hashtable) and params["Table"]["key"] == "v"
    assert params["Id"] == guid and type(params["Id"]) is uuid.UUID
    assert params["Switch"] is None


def test_outputs_of_every_value_type(pool: RunspacePool) -> None:
    ps = run(pool, "samples")
    out = ps.output
    assert len(out) == len(SAMPLES)
    assert out[:7] == SAMPLES[:7]
    assert datetime.datetime.fromisoformat(out[7]) == SAMPLE_TIME
    assert out[8] == SAMPLE_GUID
    assert out[9] == ["a", "b", 3]
    assert out[10] == {"One": 1, "Two": "2"}
    svc = out[11]
    assert svc.types == SAMPLES[11].type_names
    assert svc.adapted_properties == {"Name": "alice", "Emails": ["a@x", "b@x"], "Size": 12}
    assert svc.extended_properties == {}
    cust = out[12]
    assert cust.types == ["System.Management.Automation.PSCustomObject", "System.Object"]
    assert cust.extended_properties["Alias"] == "bob" and cust.extended_properties["Tags"] == ["x"]
    assert cust.extended_properties["Nested"].extended_properties == {"Deep": 1}
    assert out[13] == [1, "tuple"]


def test_arrays_nested_in_arrays_arrive_as_pypsrp_does_with_real_powershell(pool: RunspacePool) -> None:
    # PowerShell writes arrays as System.Object[]; pypsrp then deserialises *collections* directly
    # inside such an array as GenericComplexObject (scalars and objects are fine). The sandbox
    # keeps that real-world quirk rather than hiding it.
    ps = PowerShell(pool)
    ps.add_script("emit").add_parameter("Value", [["inner"], "scalar"])
    ps.invoke()
    ((nested, scalar),) = ps.output
    assert scalar == "scalar" and not isinstance(nested, list)


def test_each_value_type_as_a_separate_output(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_script("emit").add_argument(None).add_argument(3.5).add_argument(-(2**31))
    ps.invoke()
    assert ps.output == [None, 3.5, -(2**31)]


def test_non_terminating_error_record_fields(pool: RunspacePool) -> None:
    ps = run(
        pool,
        "error",
        script=False,
        Message="The operation couldn't be performed because object 'bob' couldn't be found.",
        ErrorId="ManagementObjectNotFound,Get-Mailbox",
        Category=int(ErrorCategory.ObjectNotFound),
        ExceptionType="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        Target="bob",
        Activity="Get-Mailbox",
    )
    assert ps.state == PSInvocationState.COMPLETED and ps.had_errors is False
    assert ps.output == ["after-error"]
    (rec,) = ps.streams.error
    assert str(rec) == "The operation couldn't be performed because object 'bob' couldn't be found."
    assert rec.fq_error == "ManagementObjectNotFound,Get-Mailbox"
    assert rec.category == 13
    assert rec.reason == "ManagementObjectNotFoundException"
    assert rec.activity == "Get-Mailbox"
    assert rec.target_object == "bob"
    assert (
        rec.exception.types[0] == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    )
    assert "System.Exception" in rec.exception.types
    assert rec.exception.adapted_properties["Message"] == str(rec)


def test_terminating_error_fails_the_pipeline_and_keeps_output(pool: RunspacePool) -> None:
    ps = run(pool, "throw", Message="Cannot bind parameter 'Identity'.", ErrorId="ParameterBindingFailed,X")
    assert ps.state == PSInvocationState.FAILED and ps.had_errors is True
    assert ps.output == ["before-throw"]
    (rec,) = ps.streams.error
    assert str(rec) == "Cannot bind parameter 'Identity'."
    assert rec.fq_error == "ParameterBindingFailed,X"


def test_host_crash_is_an_internal_sandbox_error(
    pool: RunspacePool, caplog: pytest.LogCaptureFixture
) -> None:
    ps = run(pool, "crash")
    assert ps.state == PSInvocationState.FAILED
    assert str(ps.streams.error[0]).startswith(
        "internal sandbox error: RuntimeError: peer crashed on purpose"
    )
    assert any("internal sandbox error" in r.getMessage() for r in caplog.records)
    assert run(pool, "emit", Value="still usable").output == ["still usable"]


def test_warnings(pool: RunspacePool) -> None:
    ps = run(pool, "warn", Message="mailbox is on hold")
    assert [str(w.message) for w in ps.streams.warning] == ["mailbox is on hold"]
    assert ps.state == PSInvocationState.COMPLETED


def test_statements_and_pipeline_input(pool: RunspacePool, factory: PeerFactory) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet("emit").add_parameter("Value", "first").add_statement()
    ps.add_cmdlet("emit").add_parameter("Value", "second")
    ps.invoke()
    assert ps.output == ["first", "second"]
    ps = PowerShell(pool)
    ps.add_cmdlet("emit")
    ps.invoke(["in-1", "in-2"])
    assert ps.output == ["in-1", "in-2"]
    assert factory.invocations[-1][2] == ["in-1", "in-2"]


def test_stop_a_long_pipeline_and_keep_using_the_pool(pool: RunspacePool, factory: PeerFactory) -> None:
    ps = PowerShell(pool)
    ps.add_script("sleep").add_parameter("Seconds", 20)
    ps.begin_invoke()
    assert wait_for(factory.sleeping.is_set)
    ps.stop()
    assert ps.state == PSInvocationState.STOPPED
    assert wait_for(factory.stopped.is_set)
    assert run(pool, "emit", Value="after stop").output == ["after stop"]


def test_stopped_pipeline_cannot_write_any_more(pool: RunspacePool, factory: PeerFactory) -> None:
    ps = PowerShell(pool)
    ps.add_script("sleep").add_parameters({"Seconds": 20, "IgnoreStop": True})
    ps.begin_invoke()
    assert wait_for(factory.sleeping.is_set)
    ps.stop()
    assert wait_for(factory.late_write_refused.is_set)


def test_begin_poll_end_invoke(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_script("sleep").add_parameter("Seconds", 0.3)
    ps.begin_invoke()
    polls = 0
    while ps.state == PSInvocationState.RUNNING and polls < 50:
        ps.poll_invoke(timeout=1)
        polls += 1
    assert ps.state == PSInvocationState.COMPLETED
    assert ps.end_invoke() == ["slept"]


def test_idle_receive_answers_operation_timeout_and_poll_retries(pool: RunspacePool) -> None:
    ps = PowerShell(pool)
    ps.add_script("sleep").add_parameter("Seconds", 1.5)  # longer than the 1 s cap of the endpoint
    ps.begin_invoke()
    ps.poll_invoke()  # gets the OperationTimeout fault, which pypsrp swallows
    assert ps.state == PSInvocationState.RUNNING
    assert ps.end_invoke() == ["slept"]


def test_is_alive_and_after_endpoint_stop(factory: PeerFactory) -> None:
    from wsman_peer import PASSWORD

    endpoint = WinRMEndpoint(factory, username=USER, password=PASSWORD)
    endpoint.start()
    try:
        rp = RunspacePool(client(endpoint, reconnection_retries=0))
        rp.open()
        assert rp.is_alive() is True
    finally:
        endpoint.stop()
        endpoint.stop()  # idempotent
    assert rp.is_alive() is False
    assert factory.closed_pools == [rp.id]


def test_is_alive_false_for_a_pool_the_endpoint_no_longer_knows(endpoint: WinRMEndpoint) -> None:
    wsman = client(endpoint)
    first = RunspacePool(wsman)
    first.open()
    ghost = RunspacePool(wsman)
    ghost.shell.id = "00000000-0000-0000-0000-000000000001"
    ghost.shell._selector_set = first.shell._selector_set.__class__()
    ghost.shell._selector_set.add_option("ShellId", ghost.shell.id)
    ghost.shell.opened = True
    assert first.is_alive() is True
    assert ghost.is_alive() is False
    first.close()


def test_update_max_payload_size_reads_winrm_config(endpoint: WinRMEndpoint) -> None:
    wsman = client(endpoint)
    wsman.update_max_payload_size()
    assert wsman.max_envelope_size == 500 * 1024
