"""PowerShellSession happy paths against the sandbox's real WinRM endpoint (loopback, Basic).

The endpoint is driven by the protocol-level peer host of the endpoint tests (tests/sandbox/
wsman_peer.py): each script text is one verb, so these tests exercise the session layer (binding,
deadline, streams, value conversion) and not the PowerShell evaluator.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sandbox"))

from wsman_peer import PASSWORD, SAMPLE_GUID, SAMPLE_TIME, USER, PeerFactory  # type: ignore[import-not-found]

from orchestrator.config import Secret, WinRMSettings
from orchestrator.errors import HostTimeout, ScriptError, TransientHostError
from orchestrator.sandbox.wsman import WinRMEndpoint
from orchestrator.session import PowerShellSession


def settings_for(endpoint: WinRMEndpoint, **kw: object) -> WinRMSettings:
    values: dict[str, object] = {
        "host": endpoint.host,
        "port": endpoint.port,
        "https": endpoint.ca_cert_path is not None,
        "ca_bundle": endpoint.ca_cert_path,
        "auth": "basic",
        "username": USER,
        "password": Secret(PASSWORD),
        "operation_timeout": 1,
        "read_timeout": 5.0,
        "connection_timeout": 2.0,
    }
    values.update(kw)
    return WinRMSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def factory() -> PeerFactory:
    return PeerFactory()


@pytest.fixture(params=["http", "https"])
def endpoint(request: pytest.FixtureRequest, factory: PeerFactory, tmp_path: Path) -> Iterator[WinRMEndpoint]:
    https = request.param == "https"
    with WinRMEndpoint(
        factory,
        username=USER,
        password=PASSWORD,
        https=https,
        cert_dir=tmp_path if https else None,
        operation_timeout_cap_s=1.0,
    ) as ep:
        yield ep


@pytest.fixture
def session(endpoint: WinRMEndpoint) -> Iterator[PowerShellSession]:
    with PowerShellSession(settings_for(endpoint)) as s:
        yield s


def test_parameters_are_bound_not_spliced(session: PowerShellSession) -> None:
    hostile = "a'; Remove-Mailbox -Identity * -Confirm:$false; '\u2019"
    result = session.invoke("echo-params", {"Identity": hostile, "Count": 3}, name="echo")
    assert result.state == "Completed" and result.ok and result.name == "echo"
    assert result.output == [{"Identity": hostile, "Count": 3}]
    assert result.duration_s > 0


def test_values_are_plain_python(session: PowerShellSession) -> None:
    out = session.invoke("samples", {}).output
    assert None in out and True in out and 7 in out and "text" in out
    when = next(v for v in out if isinstance(v, datetime))
    assert when == SAMPLE_TIME and when.tzinfo is not None and when.utcoffset() == UTC.utcoffset(None)
    assert SAMPLE_GUID in out and all(not isinstance(v, str) or "<Obj" not in v for v in out)
    mailbox = next(v for v in out if isinstance(v, dict) and "Name" in v)
    assert mailbox == {"Name": "alice", "Emails": ["a@x", "b@x"], "Size": 12}
    assert ["a", "b", 3] in out


def test_non_terminating_error_and_warning(session: PowerShellSession) -> None:
    result = session.invoke("error", {"Message": "Mailbox x not found", "Target": "x"})
    assert result.state == "Completed" and not result.ok
    assert result.output == ["after-error"]
    (err,) = result.errors
    assert err.message == "Mailbox x not found" and err.fq_error_id == "PeerError,Invoke-Peer"
    assert err.category == "ObjectNotFound" and err.activity == "Invoke-Peer"
    assert err.exception_type == "Microsoft.Exchange.Management.PeerException"
    assert err.target == "x"
    assert session.invoke("warn", {"Message": "careful"}).warnings == ["careful"]


def test_terminating_error_is_failed_with_records(session: PowerShellSession) -> None:
    result = session.invoke("throw", {"Message": "boom"}, name="thrower")
    assert result.state == "Failed" and result.output == ["before-throw"]
    assert [e.message for e in result.errors] == ["boom"]
    with pytest.raises(ScriptError, match="boom"):
        result.raise_if_failed()


def test_own_deadline_stops_the_pipeline_and_pool_stays_usable(
    session: PowerShellSession, factory: PeerFactory
) -> None:
    started = time.monotonic()
    with pytest.raises(HostTimeout) as info:
        session.invoke("sleep", {"Seconds": 30}, name="slow", timeout_s=1.0)
    assert time.monotonic() - started < 4
    assert "slow" in info.value.message and "stopped" in info.value.message
    assert factory.stopped.wait(5)
    assert session.invoke("emit", {"Value": "again"}).output == ["again"]


def test_many_invokes_on_one_session(session: PowerShellSession) -> None:
    for i in range(20):
        assert session.invoke("emit", {"Value": i}).output == [i]


def test_endpoint_gone_then_back_gives_transient_then_fresh_pool(
    factory: PeerFactory, tmp_path: Path
) -> None:
    first = WinRMEndpoint(factory, username=USER, password=PASSWORD, operation_timeout_cap_s=1.0)
    first.start()
    session = PowerShellSession(settings_for(first))
    try:
        session.open()
        assert session.invoke("emit", {"Value": 1}).output == [1]
        first.stop()
        with pytest.raises(TransientHostError):
            session.invoke("emit", {"Value": 2})
        second = WinRMEndpoint(
            factory, username=USER, password=PASSWORD, port=first.port, operation_timeout_cap_s=1.0
        )
        second.start()
        try:  # same WSMan, new RunspacePool (the old one is dead and cannot be reopened)
            assert session.invoke("emit", {"Value": 3}).output == [3]
        finally:
            session.close()
            second.stop()
    finally:
        session.close()
        first.stop()
    assert len({pool for pool, _, _ in factory.invocations}) == 2
    assert uuid.UUID(next(iter(factory.hosts)))
