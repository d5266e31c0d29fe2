"""Service knobs through the real stack: pypsrp client -> WinRM endpoint -> host -> behaviour.

Each test builds a small fixture whose ``knobs`` turn one behaviour on, serves it with
``running_sandbox`` and shows the effect as a client sees it: a slower answer, the throttling
budget error (reference section 4, row 10), the REST 500 fault (row 14), a dropped connection
(``TransientHostError``) or a hung one (``HostTimeout``). Every service error is also run through
``core.service_errors.classify``, which is what the orchestrator's retry logic reads.

Timing assertions are lower bounds only; waits are real but short (the knobs are real-time).
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.config import WinRMSettings
from orchestrator.core.service_errors import ServiceErrorKind, classify
from orchestrator.errors import HostTimeout, TransientHostError
from orchestrator.results import InvokeResult
from orchestrator.sandbox.embedded import SandboxConnection, read_audit_log, running_sandbox
from orchestrator.sandbox.tenant.fixture_builder import FixtureBuilder
from orchestrator.session import PowerShellSession

CONNECT = """
param($AppId, $Thumb, $Org)
Connect-ExchangeOnline -AppId $AppId -CertificateThumbprint $Thumb -Organization $Org -ShowBanner:$false
"""
USERS = ("ann", "ben", "cat", "dan", "eve")


def write_fixture(tmp_path: Path, name: str = "fixture", **knobs: Any) -> Path:
    builder = FixtureBuilder()
    for key in USERS:
        builder.active(key)
    builder.data["knobs"].update(knobs)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(builder.build()), encoding="utf-8")
    return path


@dataclasses.dataclass
class Served:
    conn: SandboxConnection

    def connected(self, winrm: WinRMSettings | None = None) -> PowerShellSession:
        session = PowerShellSession(winrm or self.conn.settings().winrm)
        result = session.invoke(
            CONNECT,
            {
                "AppId": self.conn.app_id,
                "Thumb": self.conn.certificate_thumbprint,
                "Org": self.conn.organization,
            },
        )
        assert result.ok, [e.message for e in result.errors]
        return session


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """``serve(**knobs)``: a fresh tenant from a small fixture with those knobs, served on loopback."""
    stack: list[Any] = []

    def start(name: str = "t", **knobs: Any) -> Served:
        fixture = write_fixture(tmp_path, name, **knobs)
        cm = running_sandbox(tmp_path / name, fixture=fixture)
        stack.append(cm)
        return Served(cm.__enter__())

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


def only_error(result: InvokeResult) -> Any:
    assert len(result.errors) == 1, [e.message for e in result.errors]
    return result.errors[0]


def short_timeouts(conn: SandboxConnection) -> WinRMSettings:
    return dataclasses.replace(
        conn.settings().winrm,
        read_timeout=2.0,
        operation_timeout=1,
        connection_timeout=2.0,
        invoke_timeout=3.0,
    )


# --------------------------------------------------------------------------- latency


def test_per_cmdlet_and_default_latency_delay_the_answer(serve: Any) -> None:
    served = serve(default_latency_ms=150, cmdlet_latency_ms={"Get-Mailbox": 400})
    with served.connected() as session:
        started = time.monotonic()
        slow = session.invoke(
            "Get-Mailbox -Identity ann@contoso.com | Select-Object -ExpandProperty Alias", {}
        )
        slow_s = time.monotonic() - started
        started = time.monotonic()
        default = session.invoke(
            "Get-Recipient -Identity ben@contoso.com | Select-Object -ExpandProperty Alias", {}
        )
        default_s = time.monotonic() - started
    assert slow.output == ["ann"] and default.output == ["ben"]
    assert slow_s >= 0.4 and default_s >= 0.15
    audit = {r["cmdlet"]: r for r in read_audit_log(served.conn.state_dir)}
    assert audit["Get-Mailbox"]["duration_ms"] >= 400 and audit["Get-Recipient"]["duration_ms"] >= 150


# --------------------------------------------------------------------------- concurrency cap


def test_concurrency_cap_throttles_the_surplus_callers(serve: Any) -> None:
    cap, workers = 2, 5
    served = serve(concurrency_cap=cap, cmdlet_latency_ms={"Get-Mailbox": 1000})
    connect_lock = threading.Lock()  # connect one at a time: the cap counts Connect-* too
    barrier = threading.Barrier(workers)
    results: dict[int, InvokeResult | BaseException] = {}

    def worker(i: int) -> None:
        try:
            with connect_lock:
                session = served.connected()
            with session:
                barrier.wait(timeout=30)
                results[i] = session.invoke(f"Get-Mailbox -Identity {USERS[i]}@contoso.com", {})
        except BaseException as exc:  # reported below
            barrier.abort()
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    outcomes = [results[i] for i in range(workers)]
    assert all(isinstance(r, InvokeResult) for r in outcomes), outcomes
    served_ok = [r for r in outcomes if isinstance(r, InvokeResult) and r.ok]
    refused = [r for r in outcomes if isinstance(r, InvokeResult) and not r.ok]
    assert len(served_ok) == cap and len(refused) == workers - cap
    for result in refused:
        error = only_error(result)
        assert "exceeds the throttling budget" in error.message
        assert "Suggested backoff time" in error.message and error.reason == "OverBudgetException"
        kind = classify(error)
        assert kind.kind is ServiceErrorKind.THROTTLED and kind.retryable
        assert kind.retry_after_s is not None and kind.retry_after_s > 0
    # Every call reached the service; the slots free up once the served calls end.
    outcomes_logged = [
        r["outcome"] for r in read_audit_log(served.conn.state_dir) if r["cmdlet"] == "Get-Mailbox"
    ]
    assert len(outcomes_logged) == workers and outcomes_logged.count("ok") == cap
    with served.connected() as session:
        assert session.invoke(
            "Get-Mailbox -Identity ann@contoso.com | Select-Object -ExpandProperty Alias", {}
        ).output == ["ann"]


# --------------------------------------------------------------------------- destructive budget


def test_destructive_budget_refuses_the_call_beyond_it(serve: Any) -> None:
    served = serve(destructive_budget=2, destructive_window_s=600)
    with served.connected() as session:
        outcomes = [
            session.invoke(
                "param($A) Remove-Mailbox -Identity $A -Confirm:$false", {"A": f"{key}@contoso.com"}
            )
            for key in USERS[:3]
        ]
        still = session.invoke(
            "Get-Mailbox -Identity cat@contoso.com | Select-Object -ExpandProperty Alias", {}
        )
    assert outcomes[0].ok and outcomes[1].ok, [e.message for r in outcomes for e in r.errors]
    error = only_error(outcomes[2])
    assert "exceeds the throttling budget" in error.message and "Suggested backoff time" in error.message
    kind = classify(error)
    assert kind.kind is ServiceErrorKind.THROTTLED and kind.retry_after_s is not None
    assert 0 < kind.retry_after_s <= 600
    assert still.output == ["cat"]  # the refused call changed nothing


# --------------------------------------------------------------------------- transient faults


def test_transient_fault_rate_one_fails_every_call_with_the_rest_500(serve: Any) -> None:
    served = serve(transient_fault_rates={"Get-EXOMailbox": 1.0})
    with served.connected() as session:
        for _ in range(4):
            result = session.invoke("Get-EXOMailbox -Identity ann@contoso.com", {})
            error = only_error(result)
            assert result.output == []
            assert error.message.startswith("Error while querying REST service. HttpStatusCode=500 ")
            assert '"code":"InternalServerError"' in error.message and "is not available" in error.message
            kind = classify(error)
            assert kind.kind is ServiceErrorKind.TRANSIENT_SERVICE and kind.retryable
        other = session.invoke(
            "Get-Mailbox -Identity ann@contoso.com | Select-Object -ExpandProperty Alias", {}
        )
    assert other.output == ["ann"]  # the rate is per cmdlet


def _outcomes(served: Served, calls: int) -> list[bool]:
    with served.connected() as session:
        return [session.invoke("Get-EXOMailbox -Identity ann@contoso.com", {}).ok for _ in range(calls)]


def test_transient_fault_rate_half_is_reproducible_with_a_seed(serve: Any) -> None:
    knobs = {"seed": 1234, "transient_fault_rates": {"Get-EXOMailbox": 0.5}}
    first = _outcomes(serve("a", **knobs), 16)
    second = _outcomes(serve("b", **knobs), 16)
    assert first == second
    assert True in first and False in first


# --------------------------------------------------------------------------- dropped / hung connections


def test_dropped_connections_surface_as_transient_host_errors(serve: Any) -> None:
    served = serve(dropped_connection_rate=1.0)
    with PowerShellSession(short_timeouts(served.conn)) as session, pytest.raises(TransientHostError):
        session.invoke("'hello'", {})


def test_hung_connections_surface_within_the_short_timeouts(serve: Any) -> None:
    served = serve("hung", hang_rate=1.0)
    session = PowerShellSession(short_timeouts(served.conn))
    started = time.monotonic()
    try:
        with pytest.raises((HostTimeout, TransientHostError)):
            session.invoke("'hello'", {})
        assert time.monotonic() - started < 15  # the short timeouts, not the default 300 s
    finally:
        session.close()
    healthy = serve("healthy")  # the knob cleared: a tenant without it
    with PowerShellSession(short_timeouts(healthy.conn)) as fine:
        assert fine.invoke("'hello'", {}).output == ["hello"]
